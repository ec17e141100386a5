import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// Uploads (pulp2-content.md §4.6) against `pulpform serve`: files into an iso repository, and RPMs whose header
/// pulpform reads itself, checked against createrepo_c's view of the same packages, then installed by dnf.
@Suite("uploads", .serialized)
struct UploadTests {
    /// Uploads `data` in chunks of `chunk` bytes, the last chunk first; returns the upload id.
    static func upload(_ server: ServeProcess, _ tmp: TempDir, _ data: [UInt8], chunk: Int = 4096) throws -> String {
        let made = try curl(["-s", "-i", "-X", "POST", server.base + "content/uploads/"]).out
        #expect(made.hasPrefix("HTTP/1.1 201"), "\(made)")
        #expect(made.lowercased().contains("location: /pulp/api/v2/content/uploads/"), "\(made)")
        let body = try JSONValue.parse(String(made[made.range(of: "\r\n\r\n")!.upperBound...]))
        let id = try #require(body["upload_id"]?.stringValue)
        #expect(body["_href"]?.stringValue == "/pulp/api/v2/content/uploads/\(id)/")
        let offsets = Array(stride(from: 0, to: max(data.count, 1), by: chunk)).reversed()
        for offset in offsets {
            let part = tmp.path("chunk-\(UUID().uuidString)")
            try Data(data[offset..<min(offset + chunk, data.count)]).write(to: URL(fileURLWithPath: part))
            let r = try curl(["-s", "-X", "PUT", "--data-binary", "@" + part, server.base + "content/uploads/\(id)/\(offset)/"])
            #expect(r.out == "null", "\(r.out)")
        }
        return id
    }

    @Test("iso: chunks out of order, import with the key checked, served after publish; bad offsets, holes, unknown uploads and types refused; re-import is PLP0047")
    func isoUploads() throws {
        let tmp = try TempDir("pulpform-upload")
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue { try server.call(method, path, body) }
        _ = try call("POST", "repositories/", ["id": "files", "importer_type_id": "iso_importer",
                                                 "distributors": [["distributor_id": "iso", "distributor_type_id": "iso_distributor",
                                                                   "distributor_config": ["serve_http": true]]]])
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sha = try sha256(data)
        let id = try Self.upload(server, tmp, data)
        #expect(try call("GET", "content/uploads/")["upload_ids"] == [.string(id)])

        // Bad input, nothing changed.
        #expect(try call("PUT", "content/uploads/nope/0/")["http_status"] == 404)
        let badOffset = try call("PUT", "content/uploads/\(id)/abc/")
        #expect(badOffset["http_status"] == 400 && badOffset["property_names"] == ["offset"], "\(badOffset)")
        let pastEnd = try call("PUT", "content/uploads/\(id)/\(20_000 + (1 << 30))/")
        #expect(pastEnd["http_status"] == 400 && pastEnd["property_names"] == ["offset"], "an offset far past the end: \(pastEnd)")
        let key: JSONValue = ["name": "images/disk.img", "checksum": .string(sha), "size": 10_000]
        let missingKey = try call("POST", "repositories/files/actions/import_upload/", ["upload_id": .string(id), "unit_type_id": "iso"])
        #expect(missingKey["http_status"] == 400 && missingKey["error"]?["code"] == "PLP0016", "\(missingKey)")
        let unknownUpload = try call("POST", "repositories/files/actions/import_upload/", ["upload_id": "nope", "unit_type_id": "iso", "unit_key": key])
        #expect(unknownUpload["http_status"] == 404, "\(unknownUpload)")
        let wrongType = try call("POST", "repositories/files/actions/import_upload/", ["upload_id": .string(id), "unit_type_id": "rpm", "unit_key": [:]])
        #expect(wrongType["http_status"] == 400 && wrongType["property_names"] == ["unit_type_id"], "\(wrongType)")
        let holed = try Self.upload(server, tmp, Array(data[0..<100]))
        _ = try curl(["-s", "-X", "PUT", "--data-binary", "x", server.base + "content/uploads/\(holed)/500/"])
        let unfinished = try call("POST", "repositories/files/actions/import_upload/", ["upload_id": .string(holed), "unit_type_id": "iso", "unit_key": key])
        #expect(unfinished["http_status"] == 400 && unfinished["property_names"] == ["upload_id"], "an upload with a hole: \(unfinished)")
        #expect(try call("GET", "repositories/files/")["content_unit_counts"] == [:])

        // A wrong size or checksum fails the task; the right key makes the unit.
        let wrong: JSONValue = ["name": "images/disk.img", "checksum": .string(sha), "size": 9_999]
        let refused = try YumContentTests.run(server, "repositories/files/actions/import_upload/",
                                              (["upload_id": .string(id), "unit_type_id": "iso", "unit_key": wrong] as JSONValue).serialized())
        #expect(refused.first?["state"] == "error", "\(refused)")
        let imported = try YumContentTests.run(server, "repositories/files/actions/import_upload/",
                                               (["upload_id": .string(id), "unit_type_id": "iso", "unit_key": key] as JSONValue).serialized())
        #expect(imported.first?["state"] == "finished", "\(imported)")
        #expect(imported.first?["result"] == ["success_flag": true, "summary": .null, "details": .null], "\(imported)")
        #expect(imported.first?["tags"] == ["pulp:repository:files", "pulp:action:import_upload"])
        #expect(try call("GET", "repositories/files/")["content_unit_counts"] == ["iso": 1])
        let again = try YumContentTests.run(server, "repositories/files/actions/import_upload/",
                                            (["upload_id": .string(id), "unit_type_id": "iso", "unit_key": key] as JSONValue).serialized())
        #expect(again.first?["error"]?["code"] == "PLP0047" && again.first?["error"]?["data"]?["summary"] == "ISO already exists", "\(again)")
        #expect(try call("DELETE", "content/uploads/\(id)/") == .null)
        #expect(try call("DELETE", "content/uploads/\(id)/")["http_status"] == 404)
        #expect(try call("GET", "content/uploads/")["upload_ids"] == [.string(holed)])

        #expect(try YumContentTests.run(server, "repositories/files/actions/publish/", #"{"id": "iso"}"#).first?["state"] == "finished")
        let served = try curl(["-s", "-o", tmp.path("got"), "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/pulp/isos/files/images/disk.img"])
        #expect(served.out == "200" && (try? Data(contentsOf: URL(fileURLWithPath: tmp.path("got")))) == Data(data))
        #expect(try curl(["-s", "http://127.0.0.1:\(server.port)/pulp/isos/files/PULP_MANIFEST"]).out == "images/disk.img,\(sha),10000\r\n")
    }

    @Test("rpm: the header is read (key, metadata and snippets as createrepo_c has them); a source package as rpm is RPM1002; a wrong checksum PLP1013; same NEVRA replaced; dnf installs")
    func rpmUploads() throws {
        let tmp = try TempDir("pulpform-upload-rpm")
        try YumContentTests.fixture(tmp.path("feed"))
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue { try server.call(method, path, body) }
        // createrepo_c's view: the same packages synced from the fixture feed.
        try YumContentTests.createRepo(server, "synced", feed: "file://" + tmp.path("feed") + "/", relativeURL: "synced")
        #expect(try YumContentTests.run(server, "repositories/synced/actions/sync/").first?["state"] == "finished")
        try YumContentTests.createRepo(server, "uploaded", feed: "", relativeURL: "uploaded")

        let packages = YumContentTests.files(tmp.path("feed")).filter { $0.hasSuffix(".rpm") }
        #expect(packages.count == 6, "\(packages)")
        for path in packages {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tmp.path("feed") + "/" + path)))
            let type = path.hasSuffix(".src.rpm") ? "srpm" : "rpm"
            let id = try Self.upload(server, tmp, bytes, chunk: 3000)
            if type == "srpm" {
                let wrongKind = try YumContentTests.run(server, "repositories/uploaded/actions/import_upload/",
                                                        (["upload_id": .string(id), "unit_type_id": "rpm", "unit_key": [:]] as JSONValue).serialized())
                #expect(wrongKind.first?["error"]?["code"] == "RPM1002", "\(wrongKind)")
            } else {
                let badSum = try YumContentTests.run(server, "repositories/uploaded/actions/import_upload/", ([
                    "upload_id": .string(id), "unit_type_id": "rpm", "unit_key": [:],
                    "unit_metadata": ["checksum_type": "sha256", "checksum": .string(String(repeating: "0", count: 64))],
                ] as JSONValue).serialized())
                #expect(badSum.first?["error"]?["code"] == "PLP1013", "\(badSum)")
            }
            let done = try YumContentTests.run(server, "repositories/uploaded/actions/import_upload/",
                                               (["upload_id": .string(id), "unit_type_id": .string(type), "unit_key": [:]] as JSONValue).serialized())
            #expect(done.first?["state"] == "finished" && done.first?["result"] == ["success_flag": true, "summary": "", "details": [:]], "\(path): \(done)")
        }
        // A truncated package and something that is no package at all.
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: tmp.path("feed") + "/" + packages[0])))
        for (bytes, what) in [(Array(whole.prefix(whole.count - 10)), "truncated"), (Array("not an rpm".utf8), "not an RPM")] {
            let id = try Self.upload(server, tmp, bytes)
            let r = try YumContentTests.run(server, "repositories/uploaded/actions/import_upload/",
                                            (["upload_id": .string(id), "unit_type_id": "rpm", "unit_key": [:]] as JSONValue).serialized())
            #expect(r.first?["state"] == "error" && r.first?["error"]?["description"]?.stringValue?.contains(what) == true, "\(r)")
        }

        // Each uploaded unit is the synced one: same id (same key), and the metadata createrepo_c gave it.
        func units(_ repo: String) throws -> [String: JSONValue] {
            let all = try call("POST", "repositories/\(repo)/search/units/", ["criteria": ["type_ids": ["rpm", "srpm"]]]).arrayValue ?? []
            return Dictionary(all.map { ($0["metadata"]?["filename"]?.stringValue ?? "", $0["metadata"] ?? .null) }, uniquingKeysWith: { a, _ in a })
        }
        let synced = try units("synced"), uploaded = try units("uploaded")
        #expect(Set(synced.keys) == Set(uploaded.keys) && synced.count == 6, "\(uploaded.keys)")
        for (name, s) in synced {
            let u = uploaded[name] ?? .null
            #expect(u["_id"] == s["_id"], "\(name): one unit, whoever brought it")
            for field in ["name", "epoch", "version", "release", "arch", "checksum", "checksumtype", "size", "sourcerpm", "header_range",
                          "provides", "requires", "summary", "description", "license", "buildhost", "build_time"] {
                #expect(u[field] == s[field], "\(name) \(field): \(u[field] ?? .null) vs \(s[field] ?? .null)")
            }
        }

        // A rebuild of one package (same NEVRA, another build time, so another checksum) replaces it.
        let rebuild = try runTool(["env", "SOURCE_DATE_EPOCH=1793577600", CLI.packageRoot.appendingPathComponent("scripts/make-yum-fixture.sh").path,
                                   tmp.path("rebuild")])
        #expect(rebuild.status == 0, "\(rebuild.err)")
        let rebuilt = Array(try Data(contentsOf: URL(fileURLWithPath: tmp.path("rebuild/Packages/pulpform-hello-1.0-1.noarch.rpm"))))
        let replacing = try Self.upload(server, tmp, rebuilt, chunk: 1 << 20)
        let replaced = try YumContentTests.run(server, "repositories/uploaded/actions/import_upload/",
                                               (["upload_id": .string(replacing), "unit_type_id": "rpm", "unit_key": [:]] as JSONValue).serialized())
        #expect(replaced.first?["state"] == "finished", "\(replaced)")
        let after = try units("uploaded")
        #expect(after.count == 6 && after["pulpform-hello-1.0-1.noarch.rpm"]?["_id"] != synced["pulpform-hello-1.0-1.noarch.rpm"]?["_id"], "\(after.keys)")
        #expect(after["pulpform-hello-1.0-1.noarch.rpm"]?["checksum"]?.stringValue == (try sha256(rebuilt)))
        #expect(try call("GET", "repositories/uploaded/")["last_unit_removed"]?.stringValue != nil)

        // Published from uploads alone, dnf installs a package and its dependency.
        #expect(try YumContentTests.run(server, "repositories/uploaded/actions/publish/", #"{"id": "yum"}"#).first?["state"] == "finished")
        let install = try YumContentTests.dnf(tmp, "http://127.0.0.1:\(server.port)/pulp/repos/uploaded/", ["install", "pulpform-app"])
        #expect(install.status == 0, "\(install.out)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("root") + "/usr/share/pulpform-hello/version.txt"))
    }
}

/// The sha256 of bytes, in hex (through sha256sum, independent of the code under test).
func sha256(_ bytes: [UInt8]) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pulpform-sha-\(UUID().uuidString)").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    defer { unlink(path) }
    return try runTool(["sha256sum", path]).out.split(separator: " ").first.map(String.init) ?? ""
}
