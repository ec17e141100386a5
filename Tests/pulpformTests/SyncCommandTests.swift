import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `pulpform sync` and `pulpform publish` on the embedded store and against a server, and `sync_after_create`
/// in a plan and an apply, over a real feed read from disk (`file://`).
@Suite("sync and publish commands", .serialized)
struct SyncCommandTests {
    static func manifest(feed: String) -> String {
        """
        sync_after_create: true
        repositories:
          - id: zoo
            importer:
              type: yum_importer
              config:
                feed: \(feed)
            distributors:
              - id: yum
                type: yum_distributor
                auto_publish: true
                config:
                  relative_url: zoo
                  http: true
                  https: false
          - id: empty
        """
    }

    @Test("sync_after_create plans a sync step and the apply runs it; sync and publish wait and report each task")
    func embedded() throws {
        let tmp = try TempDir("pulpform-sync-cli")
        try YumContentTests.fixture(tmp.path("feed"))
        try tmp.write("zoo.yaml", Self.manifest(feed: "file://" + tmp.path("feed") + "/"))
        let store = ["--store", tmp.path("p.db"), "--content-dir", tmp.path("content")]

        let plan = try CLI.run(["plan"] + store + [tmp.path("zoo.yaml")])
        #expect(plan.status == 2 || plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("# repository.zoo.sync will be synced  (POST /pulp/api/v2/repositories/zoo/actions/sync/)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("Plan: 2 to create, 0 to update, 0 to replace, 0 to delete, 1 to sync."), "\(plan.stdout)")
        #expect(!plan.stdout.contains("repository.empty.sync"), "no importer, no sync")
        let json = try JSONValue.parse(Data(try CLI.run(["plan", "--format", "json"] + store + [tmp.path("zoo.yaml")]).stdout.utf8))
        #expect(json["summary"]?["sync"] == 1)
        let syncStep = json["resource_changes"]?.arrayValue?.first { $0["address"] == "repository.zoo.sync" }
        #expect(syncStep?["change"]?["actions"] == ["sync"], "\(json)")

        let apply = try CLI.run(["apply", "--auto-approve"] + store + [tmp.path("zoo.yaml")])
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        let tree = tmp.path("content/published/yum/http/repos/zoo/repodata/repomd.xml")
        #expect(FileManager.default.fileExists(atPath: tree), "the sync ran and its auto-publish too")
        // Nothing more to do: the sync was asked for the create only.
        let again = try CLI.run(["plan"] + store + [tmp.path("zoo.yaml")])
        #expect(again.stdout.contains("No changes."), "\(again.stdout)")

        let sync = try CLI.run(["sync"] + store + ["zoo"])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("zoo: sync finished") && sync.stdout.contains(": 0 added, 0 updated, 0 removed"), "\(sync.stdout)")
        #expect(sync.stdout.contains("zoo: publish yum finished"), "the auto-publish is followed: \(sync.stdout)")
        #expect(sync.stderr.contains("zoo: sync:"), "progress lines on stderr: \(sync.stderr)")

        let publish = try CLI.run(["publish", "--format", "json"] + store + ["zoo"])
        #expect(publish.status == 0, "\(publish.stderr)")
        let reports = try JSONValue.parse(Data(publish.stdout.utf8))
        #expect(reports.arrayValue?.map { $0["state"] } == ["finished"], "\(reports)")
        #expect(reports.arrayValue?.first?["progress_report"]?["yum"]?.arrayValue?.isEmpty == false, "\(reports)")

        // An unknown repository and a repository without distributors: errors, exit 1, the others still run.
        let bad = try CLI.run(["publish"] + store + ["nope", "empty", "zoo"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("error: nope: publish:") && bad.stderr.contains("error: empty: publish: the repository has no distributors"), "\(bad.stderr)")
        #expect(bad.stdout.contains("zoo: publish yum finished"), "\(bad.stdout)")
        let none = try CLI.run(["sync"] + store)
        #expect(none.status == 64 && none.stderr.contains("name at least one repository"), "\(none.stderr)")
        let noWait = try CLI.run(["sync", "--no-wait"] + store + ["zoo"])
        #expect(noWait.status == 64 && noWait.stderr.contains("--no-wait needs --target"), "\(noWait.stderr)")
    }

    @Test("sync --target: a server's sync, followed through its auto-publish; --no-wait prints the task")
    func target() throws {
        let tmp = try TempDir("pulpform-sync-target")
        try YumContentTests.fixture(tmp.path("feed"))
        let server = try ServeProcess(store: tmp.path("server.db"), extra: ["--content-dir", tmp.path("content")])
        try YumContentTests.createRepo(server, "zoo", feed: "file://" + tmp.path("feed") + "/", relativeURL: "zoo")
        let url = "http://127.0.0.1:\(server.port)/"
        let sync = try CLI.run(["sync", "--target", url, "zoo"])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("zoo: sync finished") && sync.stdout.contains(": 9 added, 0 updated, 0 removed"), "\(sync.stdout)")
        #expect(sync.stdout.contains("zoo: publish yum finished"), "\(sync.stdout)")
        let noWait = try CLI.run(["publish", "--no-wait", "--target", url, "zoo"])
        #expect(noWait.status == 0, "\(noWait.stderr)")
        #expect(noWait.stdout.hasPrefix("zoo: publish") && noWait.stdout.contains(": task "), "\(noWait.stdout)")
        let missing = try CLI.run(["sync", "--target", url, "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("error: nope: sync:"), "\(missing.stderr)")
        #expect(server.stop() == 0)
    }
}
