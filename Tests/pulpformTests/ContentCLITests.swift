import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `pulpform content search|copy|remove|upload|orphans`, against `pulpform serve` (--target) and the embedded store.
@Suite("pulpform content", .serialized)
struct ContentCLITests {
    @Test("search, copy (promotion), remove, upload and orphans from the command line; bad input is a clear error")
    func commands() throws {
        let tmp = try TempDir("pulpform-content-cli")
        try YumContentTests.fixture(tmp.path("feed"))
        let server = try ServeProcess(store: tmp.path("served.db"), extra: ["--content-dir", tmp.path("content")])
        try YumContentTests.createRepo(server, "staging", feed: "file://" + tmp.path("feed") + "/", relativeURL: "staging")
        #expect(try YumContentTests.run(server, "repositories/staging/actions/sync/").first?["state"] == "finished")
        try YumContentTests.createRepo(server, "prod", feed: "", relativeURL: "prod")
        _ = try YumContentTests.json(["-X", "POST", server.base + "repositories/", "-d", #"{"id": "files", "importer_type_id": "iso_importer"}"#])
        let target = ["--target", "http://127.0.0.1:\(server.port)/"]

        let search = try CLI.run(["content", "search", "staging", "--type", "rpm", "--match", "name=^pulpform-h"] + target)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(Set(search.stdout.split(separator: "\n").map { $0.split(separator: "\t").prefix(2).joined(separator: " ") })
                == ["rpm pulpform-hello-1.0-1.noarch", "rpm pulpform-hello-1.1-1.noarch"], "\(search.stdout)")
        let json = try JSONValue.parse(try CLI.run(["content", "search", "staging", "--format", "json"] + target).stdout)
        #expect(json.arrayValue?.count == 9)

        let copy = try CLI.run(["content", "copy", "--from", "staging", "--to", "prod", "--type", "rpm", "--filter", "name=pulpform-app"] + target)
        #expect(copy.status == 0 && copy.stdout == "rpm\tpulpform-app-2.0-1.noarch\n" && copy.stderr.contains("1 unit copied"), "\(copy)")
        let missing = try CLI.run(["content", "copy", "--from", "nope", "--to", "prod"] + target)
        #expect(missing.status == 1 && missing.stderr.contains("source_repo_id"), "\(missing.stderr)")

        let unnarrowed = try CLI.run(["content", "remove", "prod"] + target)
        #expect(unnarrowed.status == 64 && unnarrowed.stderr.contains("--all"), "\(unnarrowed.stderr)")
        let remove = try CLI.run(["content", "remove", "prod", "--all"] + target)
        #expect(remove.status == 0 && remove.stderr.contains("1 unit removed"), "\(remove)")

        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: tmp.path("disk.img")))
        let upload = try CLI.run(["content", "upload", "files", tmp.path("disk.img"), "--name", "images/disk.img"] + target)
        #expect(upload.status == 0 && upload.stdout.contains("uploaded"), "\(upload)")
        let files = try CLI.run(["content", "search", "files"] + target)
        #expect(files.stdout.hasPrefix("iso\timages/disk.img (3000000 bytes)\t"), "\(files.stdout)")
        let rpm = try CLI.run(["content", "upload", "prod", tmp.path("feed/Packages/pulpform-hello-1.0-1.noarch.rpm")] + target)
        #expect(rpm.status == 0, "\(rpm)")
        #expect(try CLI.run(["content", "search", "prod"] + target).stdout.contains("rpm\tpulpform-hello-1.0-1.noarch\t"))
        let wrongType = try CLI.run(["content", "upload", "files", tmp.path("feed/Packages/pulpform-hello-1.0-1.noarch.rpm")] + target)
        #expect(wrongType.status == 1 && wrongType.stderr.contains("unit_type_id"), "\(wrongType.stderr)")

        #expect(try CLI.run(["content", "orphans"] + target).stdout == "")
        _ = try YumContentTests.run(server, "repositories/staging/", method: "DELETE")
        let orphans = try CLI.run(["content", "orphans"] + target)
        #expect(orphans.stdout.contains("rpm\t2\n") && orphans.stdout.contains("srpm\t3\n"), "\(orphans.stdout)")
        let delete = try CLI.run(["content", "orphans", "--delete"] + target)
        #expect(delete.status == 0 && delete.stdout == "" && delete.stderr.contains("orphans deleted"), "\(delete)")

        // The embedded store: an unknown repository is an error naming it.
        let none = try CLI.run(["content", "search", "nope", "--store", tmp.path("local.db")])
        #expect(none.status == 1 && none.stderr.contains("no store exists"), "\(none.stderr)")
        #expect(try CLI.run(["content", "orphans", "--delete", "--store", tmp.path("local.db")]).status == 0, "a new store, nothing to delete")
        let embedded = try CLI.run(["content", "search", "nope", "--store", tmp.path("local.db")])
        #expect(embedded.status == 1 && embedded.stderr.contains("nope"), "\(embedded.stderr)")
    }
}
