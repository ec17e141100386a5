import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// The real pubtools-pulplib client (Red Hat's release tooling) against `pulpform serve`: sync, search by name,
/// the client-wide search, copy, remove, and a file upload found again (`scripts/pubtools-e2e.py`). The client
/// lives in a venv under `.build/` that `scripts/pubtools-venv.sh` makes once (`.ci/run` makes it up front).
@Suite("pubtools-pulplib", .serialized)
struct PubtoolsTests {
    static func python() throws -> String {
        let script = CLI.packageRoot.appendingPathComponent("scripts/pubtools-venv.sh").path
        let r = try runTool([script, CLI.packageRoot.appendingPathComponent(".build/pubtools-venv").path])
        guard r.status == 0 else {
            throw CLI.CLIError(message: "scripts/pubtools-venv.sh failed (\(r.status)): python3 with venv and pip must work\n\(r.err)")
        }
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("pubtools-pulplib 2.44: sync, search_content by name, client search, copy_content, remove_content, upload_file")
    func endToEnd() throws {
        let python = try Self.python()
        let tmp = try TempDir("pulpform-pubtools")
        try YumContentTests.fixture(tmp.path("feed"))
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue { try server.call(method, path, body) }
        for repo: JSONValue in [
            ["id": "zoo", "importer_type_id": "yum_importer", "notes": ["_repo-type": "rpm-repo"],
             "distributors": [["distributor_id": "yum", "distributor_type_id": "yum_distributor", "distributor_config": ["relative_url": "zoo"]]]],
            ["id": "prod", "importer_type_id": "yum_importer", "notes": ["_repo-type": "rpm-repo"]],
            ["id": "files", "importer_type_id": "iso_importer", "notes": ["_repo-type": "iso-repo"],
             "distributors": [["distributor_id": "iso_distributor", "distributor_type_id": "iso_distributor", "distributor_config": ["serve_http": true]]]],
        ] {
            #expect(try call("POST", "repositories/", repo)["id"] == repo["id"])
        }
        let upload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try Data(upload).write(to: URL(fileURLWithPath: tmp.path("upload.img")))

        let run = try runTool(["timeout", "180", python, CLI.packageRoot.appendingPathComponent("scripts/pubtools-e2e.py").path,
                               "http://127.0.0.1:\(server.port)/", "file://" + tmp.path("feed") + "/", tmp.path("upload.img")])
        #expect(run.status == 0, "\(run.out)\n\(run.err.suffix(3000))")
        #expect(run.out.contains("all work"), "\(run.out)")

        // What the client did, as the server records it.
        #expect(try call("GET", "repositories/zoo/")["content_unit_counts"]?["rpm"] == 3)
        #expect(try call("GET", "repositories/prod/")["content_unit_counts"] == [:], "copied, then removed")
        #expect(try call("GET", "repositories/files/")["content_unit_counts"] == ["iso": 1])
        let file = try call("POST", "repositories/files/search/units/", [:]).arrayValue?.first?["metadata"] ?? .null
        let digest = try sha256(upload)
        #expect(file["name"] == "images/upload.img" && file["checksum"]?.stringValue == digest && file["size"] == 5000, "\(file)")
        #expect(try call("GET", "content/uploads/")["upload_ids"] == [], "pubtools deletes its upload after the import")
    }
}
