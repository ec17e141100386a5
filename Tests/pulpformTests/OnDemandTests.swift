import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `download_policy: on_demand` and `background`, and `actions/download/` (pulp2-content.md §1.1), with a real dnf.
@Suite("on-demand content", .serialized)
struct OnDemandTests {
    static func requests(_ feed: YumContentTests.FeedServer, _ path: String) -> Int {
        ((try? String(contentsOfFile: feed.log, encoding: .utf8)) ?? "").components(separatedBy: "\"GET /\(path) ").count - 1
    }

    static func packageFiles(_ content: String) -> [String] {
        YumContentTests.files(content + "/units")
    }

    @Test("on_demand: the sync moves no package; dnf installs through /pulp/repos/, which fetches exactly what it installs, once; then from disk with the feed gone; 502 and nothing stored when the feed fails")
    func onDemandDnf() throws {
        let tmp = try TempDir("pulpform-ondemand")
        try YumContentTests.fixture(tmp.path("feed"))
        var feed: YumContentTests.FeedServer? = try YumContentTests.FeedServer(directory: tmp.path("feed"), tmp: tmp)
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        try YumContentTests.createRepo(server, "lazy", feed: feed?.url ?? "", relativeURL: "lazy", importer: #""download_policy": "on_demand""#)
        let sync = try YumContentTests.run(server, "repositories/lazy/actions/sync/")
        #expect(sync.map { $0["state"] } == ["finished", "finished"], "sync and publish: \(sync)")
        #expect(Self.packageFiles(tmp.path("content")).isEmpty, "no package file moved")
        #expect(Self.requests(feed!, "Packages/") == 0)
        let units = try YumContentTests.json(["-X", "POST", server.base + "repositories/lazy/search/units/", "-d",
                                              #"{"criteria": {"type_ids": ["rpm", "srpm"]}}"#]).arrayValue ?? []
        #expect(units.count == 6 && units.allSatisfy { $0["metadata"]?["downloaded"] == false && $0["metadata"]?["_storage_path"] == nil }, "\(units)")

        // dnf installs the app and its dependency: two packages fetched, each once.
        let url = "http://127.0.0.1:\(server.port)/pulp/repos/lazy/"
        let install = try YumContentTests.dnf(tmp, url, ["install", "pulpform-app"])
        #expect(install.status == 0, "\(install.out)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("root") + "/usr/share/pulpform-app/version.txt"))
        #expect(Self.packageFiles(tmp.path("content")).count == 2, "\(Self.packageFiles(tmp.path("content")))")
        #expect(Self.requests(feed!, "Packages/pulpform-app-2.0-1.noarch.rpm") == 1 && Self.requests(feed!, "Packages/pulpform-hello-1.1-1.noarch.rpm") == 1)
        #expect(Self.requests(feed!, "Packages/pulpform-hello-1.0-1.noarch.rpm") == 0)

        // Concurrent first requests fetch once; each client gets the whole file.
        let hello10 = "Packages/pulpform-hello-1.0-1.noarch.rpm"
        let original = try Data(contentsOf: URL(fileURLWithPath: tmp.path("feed/" + hello10)))
        let clients = try (0..<4).map { i -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            p.arguments = ["-s", "-o", tmp.path("got-\(i)"), url + "pulpform-hello-1.0-1.noarch.rpm"]
            try p.run()
            return p
        }
        for p in clients { p.waitUntilExit() }
        for i in 0..<4 { #expect((try? Data(contentsOf: URL(fileURLWithPath: tmp.path("got-\(i)")))) == original, "client \(i)") }
        #expect(Self.requests(feed!, hello10) == 1, "one fetch for four clients")
        #expect(Self.packageFiles(tmp.path("content")).count == 3)

        // A feed that sends other bytes: the client's transfer fails, nothing is stored; a missing file is a 502.
        let appSource = "src/pulpform-app-2.0-1.src.rpm"
        let good = try Data(contentsOf: URL(fileURLWithPath: tmp.path("feed/" + appSource)))
        try Data(repeating: 0x41, count: good.count).write(to: URL(fileURLWithPath: tmp.path("feed/" + appSource)))
        let bad = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url + "pulpform-app-2.0-1.src.rpm"])
        #expect(bad.status != 0, "a transfer cut short: \(bad)")
        #expect(Self.packageFiles(tmp.path("content")).count == 3, "the bad bytes are not stored")
        try FileManager.default.removeItem(atPath: tmp.path("feed/" + appSource))
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "pulpform-app-2.0-1.src.rpm"]).out == "502")
        try good.write(to: URL(fileURLWithPath: tmp.path("feed/" + appSource)))
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "pulpform-app-2.0-1.src.rpm"]).out == "200")
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "nope-1-1.noarch.rpm"]).out == "404")

        // The feed goes: what was fetched is served from disk; a fresh install still works.
        feed = nil
        try? FileManager.default.removeItem(atPath: tmp.path("root"))
        try? FileManager.default.removeItem(atPath: tmp.path("dnf-cache"))
        let again = try YumContentTests.dnf(tmp, url, ["install", "pulpform-app"])
        #expect(again.status == 0, "\(again.out)")
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "pulpform-hello-1.1-1.noarch.rpm"]).out == "200")
        #expect(try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "pulpform-hello-1.0-1.src.rpm"]).out == "502", "never fetched, feed gone")
    }

    @Test("actions/download/ fetches whatever is missing, with a progress report; background spawns it after the sync; verify_all_units fetches a damaged file again")
    func downloadAndBackground() throws {
        let tmp = try TempDir("pulpform-download")
        try YumContentTests.fixture(tmp.path("feed"))
        let feed = try YumContentTests.FeedServer(directory: tmp.path("feed"), tmp: tmp)
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        try YumContentTests.createRepo(server, "lazy", feed: feed.url, relativeURL: "lazy", importer: #""download_policy": "on_demand""#)
        #expect(try YumContentTests.run(server, "repositories/lazy/actions/sync/").first?["state"] == "finished")
        #expect(Self.packageFiles(tmp.path("content")).isEmpty)

        let download = try #require(try YumContentTests.run(server, "repositories/lazy/actions/download/").first)
        #expect(download["state"] == "finished" && download["tags"] == ["pulp:repository:lazy", "pulp:action:download_repo"], "\(download)")
        let report = download["progress_report"]?["on_demand_download"] ?? .null
        #expect(report["state"] == "FINISHED" && report["items_total"] == 6 && report["num_success"] == 6 && report["items_left"] == 0, "\(report)")
        try YumContentTests.expectWholeUnits(tmp.path("content"), count: 6)
        let again = try YumContentTests.run(server, "repositories/lazy/actions/download/").first
        #expect(again?["progress_report"]?["on_demand_download"]?["items_total"] == 0, "nothing left: \(again ?? .null)")

        // A damaged file: verify_all_units finds it and fetches it again.
        let victim = tmp.path("content/units") + "/" + (Self.packageFiles(tmp.path("content")).first ?? "")
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: victim))
        let verified = try YumContentTests.run(server, "repositories/lazy/actions/download/", #"{"verify_all_units": true}"#).first
        #expect(verified?["progress_report"]?["on_demand_download"]?["num_success"] == 1, "\(verified ?? .null)")
        try YumContentTests.expectWholeUnits(tmp.path("content"), count: 6)

        // background: the sync stores the units, then a download_repo task fetches them.
        let fresh = try ServeProcess(store: tmp.path("fresh.db"), extra: ["--content-dir", tmp.path("fresh-content")])
        try YumContentTests.createRepo(fresh, "later", feed: feed.url, relativeURL: "later", importer: #""download_policy": "background""#)
        let tasks = try YumContentTests.run(fresh, "repositories/later/actions/sync/")
        #expect(tasks.compactMap { $0["task_type"]?.stringValue } == ["pulp.server.managers.repo.sync.sync", "pulp.server.managers.repo.sync.download",
                                                                       "pulp.server.managers.repo.publish.publish"], "\(tasks.map { $0["task_type"] })")
        #expect(tasks.allSatisfy { $0["state"] == "finished" }, "\(tasks)")
        try YumContentTests.expectWholeUnits(tmp.path("fresh-content"), count: 6)

        let badPolicy = try YumContentTests.run(fresh, "repositories/later/actions/sync/", #"{"override_config": {"download_policy": "lazy"}}"#).first
        #expect(badPolicy?["state"] == "error" && badPolicy?["error"]?["description"]?.stringValue?.contains("download_policy") == true, "\(badPolicy ?? .null)")
    }
}
