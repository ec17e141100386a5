import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// iso_importer and iso_distributor (pulp2-content.md §3) against `pulpform serve`, with a feed served over http.
@Suite("iso content", .serialized)
struct ISOContentTests {
    /// Writes files and their PULP_MANIFEST (LF, as a feed may) into `dir`; returns the manifest's lines.
    @discardableResult
    static func feed(_ dir: String, _ files: [String: String], manifest: String? = nil) throws -> [String] {
        try? FileManager.default.removeItem(atPath: dir)
        var lines: [String] = []
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let sha = try runTool(["sha256sum", path]).out.split(separator: " ").first.map(String.init) ?? ""
            lines.append("\(name),\(sha),\(text.utf8.count)")
        }
        try Data((manifest ?? lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/PULP_MANIFEST"))
        return lines
    }

    @Test("sync reads PULP_MANIFEST and downloads each file once; publish serves the files and a CRLF manifest at /pulp/isos/<repo>/; remove_missing, validate, bad manifests")
    func syncAndPublish() throws {
        let tmp = try TempDir("pulpform-iso")
        let files = ["one.iso": "first image\n", "two.iso": String(repeating: "x", count: 70_000), "sub/nested.txt": "nested\n"]
        let lines = try Self.feed(tmp.path("feed"), files)
        let feedServer = try YumContentTests.FeedServer(directory: tmp.path("feed"), tmp: tmp)
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue { try server.call(method, path, body) }
        let created = try call("POST", "repositories/", [
            "id": "isos", "importer_type_id": "iso_importer", "importer_config": ["feed": .string(feedServer.url)],
            "distributors": [["distributor_id": "iso", "distributor_type_id": "iso_distributor", "auto_publish": true,
                              "distributor_config": ["serve_http": true, "serve_https": false]]],
        ])
        #expect(created["id"] == "isos", "\(created)")

        // The first sync downloads the three files; the publish follows.
        let first = try YumContentTests.run(server, "repositories/isos/actions/sync/")
        let sync = try #require(first.first)
        #expect(sync["state"] == "finished", "\(sync)")
        let report = sync["progress_report"]?["iso_importer"] ?? .null
        #expect(report["state"] == "complete" && report["num_isos"] == 3 && report["num_isos_finished"] == 3, "\(report)")
        #expect(report["total_bytes"]?.intValue == files.values.reduce(0) { $0 + $1.utf8.count } && report["finished_bytes"] == report["total_bytes"])
        #expect(report["iso_error_messages"] == [] && report["state_times"]?["manifest_in_progress"]?.stringValue != nil, "\(report)")
        #expect(sync["result"]?["details"] == .null && sync["result"]?["summary"]?["state"] == "complete", "\(sync)")
        #expect(first.count == 2 && first.last?["state"] == "finished", "the auto-publish: \(first)")
        #expect(first.last?["progress_report"]?["iso"]?["state"] == "complete", "\(first)")
        #expect(try call("GET", "repositories/isos/")["content_unit_counts"] == ["iso": 3])

        // Served: the files and a CRLF manifest listing them.
        let manifest = try curl(["-s", "http://127.0.0.1:\(server.port)/pulp/isos/isos/PULP_MANIFEST"]).out
        #expect(manifest == lines.sorted().map { $0 + "\r\n" }.joined(), "\(manifest.debugDescription)")
        #expect(try curl(["-s", "http://127.0.0.1:\(server.port)/pulp/isos/isos/sub/nested.txt"]).out == "nested\n")
        #expect(try curl(["-s", "http://127.0.0.1:\(server.port)/pulp/isos/isos/two.iso"]).out == files["two.iso"])
        let units = try call("POST", "repositories/isos/search/units/", ["criteria": ["type_ids": ["iso"]]]).arrayValue ?? []
        #expect(Set(units.compactMap { $0["metadata"]?["name"]?.stringValue }) == Set(files.keys), "\(units)")
        #expect(units.allSatisfy { $0["metadata"]?["size"]?.intValue != nil && $0["metadata"]?["checksum"]?.stringValue?.count == 64 })

        // Again: nothing to download.
        let again = try YumContentTests.run(server, "repositories/isos/actions/sync/").first ?? .null
        #expect(again["progress_report"]?["iso_importer"]?["num_isos"] == 0 && again["state"] == "finished", "\(again)")

        // The feed changes: one file goes, one comes. Without remove_missing the old one stays; with it, it goes.
        try Self.feed(tmp.path("feed"), ["one.iso": "first image\n", "three.iso": "third\n", "sub/nested.txt": "nested\n"])
        #expect(try YumContentTests.run(server, "repositories/isos/actions/sync/").first?["progress_report"]?["iso_importer"]?["num_isos"] == 1)
        #expect(try call("GET", "repositories/isos/")["content_unit_counts"] == ["iso": 4])
        let pruned = try YumContentTests.run(server, "repositories/isos/actions/sync/", #"{"override_config": {"remove_missing": true}}"#)
        #expect(pruned.first?["state"] == "finished", "\(pruned)")
        #expect(try call("GET", "repositories/isos/")["content_unit_counts"] == ["iso": 3])
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/pulp/isos/isos/two.iso"]).out == "404")
        #expect(try curl(["-s", "http://127.0.0.1:\(server.port)/pulp/isos/isos/three.iso"]).out == "third\n")

        // A file whose bytes are not the manifest's: isos_failed, the task fails, nothing associated; with
        // validate off it is taken as it is.
        let good = try Self.feed(tmp.path("feed"), ["one.iso": "first image\n", "four.iso": "fourth\n"])
        try Data((good[0].replacingOccurrences(of: ",7", with: ",8") + "\n" + good[1] + "\n").utf8).write(to: URL(fileURLWithPath: tmp.path("feed/PULP_MANIFEST")))
        let bad = try YumContentTests.run(server, "repositories/isos/actions/sync/").first ?? .null
        #expect(bad["state"] == "error" && bad["progress_report"]?["iso_importer"]?["state"] == "isos_failed", "\(bad)")
        let failures = bad["progress_report"]?["iso_importer"]?["iso_error_messages"]?.arrayValue ?? []
        #expect(failures.count == 1 && failures.first?["name"] == "four.iso", "\(failures)")
        #expect(try call("GET", "repositories/isos/")["content_unit_counts"] == ["iso": 3], "a failed sync associates nothing")
        let lax = try YumContentTests.run(server, "repositories/isos/actions/sync/", #"{"override_config": {"validate": false}}"#).first ?? .null
        #expect(lax["state"] == "finished", "\(lax)")

        // Bad manifests and a missing feed: manifest_failed, the task fails.
        for text in ["a,b\n", "../escape.iso,\(String(repeating: "0", count: 64)),1\n", "x.iso,nothex,1\n", "x.iso,\(String(repeating: "0", count: 64)),-1\n"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: tmp.path("feed/PULP_MANIFEST")))
            let r = try YumContentTests.run(server, "repositories/isos/actions/sync/").first ?? .null
            #expect(r["state"] == "error" && r["progress_report"]?["iso_importer"]?["state"] == "manifest_failed", "\(text): \(r)")
            #expect(r["progress_report"]?["iso_importer"]?["error_message"]?.stringValue?.contains("PULP_MANIFEST line 1") == true, "\(r)")
        }
        try FileManager.default.removeItem(atPath: tmp.path("feed/PULP_MANIFEST"))
        let gone = try YumContentTests.run(server, "repositories/isos/actions/sync/").first ?? .null
        #expect(gone["state"] == "error" && gone["progress_report"]?["iso_importer"]?["state"] == "manifest_failed", "\(gone)")
        let history = try call("GET", "repositories/isos/history/sync/").arrayValue ?? []
        #expect(history.first?["result"] == "error" && history.last?["result"] == "success", "newest first"); #expect(history.count > 5, "\(history.map { $0["result"] })")

        // serve_http off: the tree is no longer served.
        #expect(try YumContentTests.run(server, "repositories/isos/distributors/iso/", #"{"distributor_config": {"serve_http": false}}"#,
                                        method: "PUT").first?["state"] == "finished")
        #expect(try YumContentTests.run(server, "repositories/isos/actions/publish/", #"{"id": "iso"}"#).first?["state"] == "finished")
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/pulp/isos/isos/PULP_MANIFEST"]).out == "404")

        // No feed: Pulp's error.
        _ = try call("POST", "repositories/", ["id": "nofeed", "importer_type_id": "iso_importer"])
        let noFeed = try YumContentTests.run(server, "repositories/nofeed/actions/sync/").first ?? .null
        #expect(noFeed["error"]?["description"] == "Repository without feed cannot be synchronized", "\(noFeed)")
    }
}
