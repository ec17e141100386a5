import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore
#if canImport(Glibc)
import Glibc
#endif

/// `pulpform serve` as a real process on 127.0.0.1 with an ephemeral port.
@Suite("pulpform serve")
struct ServeTests {
    @Test("the README's curl session: create a repository, sync it, poll the task; keep-alive; SIGTERM")
    func curlSession() throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("pulpform.db"))
        let create = try curl(["-X", "POST", server.base + "repositories/", "-H", "Content-Type: application/json",
                               "-d", #"{"id": "zoo", "importer_type_id": "harness_importer", "importer_config": {"num_units": "3"}}"#])
        #expect(try JSONValue.parse(create.out)["id"] == "zoo", "\(create)")
        let sync = try JSONValue.parse(try curl(["-X", "POST", server.base + "repositories/zoo/actions/sync/"]).out)
        let href = try #require(sync["spawned_tasks"]?.arrayValue?.first?["_href"]?.stringValue)
        var state = ""
        for _ in 0..<200 {
            state = try JSONValue.parse(try curl(["http://127.0.0.1:\(server.port)\(href)"]).out)["state"]?.stringValue ?? ""
            if state == "finished" || state == "error" { break }
            usleep(10_000)
        }
        #expect(state == "finished")
        // Several requests on one keep-alive connection.
        let urls = Array(repeating: server.base + "repositories/zoo/?details=true", count: 5)
        let many = try curl(["-v", "-H", "Connection: keep-alive"] + urls)
        #expect(many.out.components(separatedBy: "\"id\":\"zoo\"").count - 1 == 5)
        #expect(many.err.contains("Re-using existing connection") || many.err.contains("Reusing existing connection"), "\(many.err.suffix(600))")
        // One log line per request with method, path, status and duration.
        #expect(server.output.contains("method=POST path=/pulp/api/v2/repositories/ status=201"))
        #expect(server.output.contains("duration_ms="))
        #expect(server.stop() == 0)
        #expect(server.output.contains("scheduler stopped"))
    }

    @Test("restarting on the same store resumes waiting tasks")
    func resume() async throws {
        let tmp = try TempDir()
        let db = tmp.path("pulpform.db")
        // A task left waiting: dispatched by a process whose workers never ran it.
        let pulp = LocalPulp(store: try PulpStore(path: db))
        _ = try await pulp.createRepository(RepositoryCreate(id: "zoo", importerTypeId: "harness_importer"))
        await pulp.engine.pause()
        let report = try await pulp.sync(repoId: "zoo", overrides: [:])
        let id = try #require(report.spawnedTasks.first)
        #expect(try await pulp.task(id).state == .waiting)
        let server = try ServeProcess(store: db)
        var state = ""
        for _ in 0..<200 {
            state = try JSONValue.parse(try curl([server.base + "tasks/\(id)/"]).out)["state"]?.stringValue ?? ""
            if state == "finished" { break }
            usleep(10_000)
        }
        #expect(state == "finished")
        #expect(server.stop() == 0)
    }

    @Test("a repository changed through the API is drift (exit 3), and apply converges it back")
    func driftThroughAPI() throws {
        let tmp = try TempDir()
        let db = tmp.path("pulpform.db")
        let env = ["PULPFORM_DB": db]
        #expect(try CLI.run(["apply", "--auto-approve", "examples/quickstart"], environment: env).status == 0)
        let server = try ServeProcess(store: db)
        let put = try curl(["-X", "PUT", server.base + "repositories/zoo/", "-d", #"{"delta": {"description": "changed by hand"}}"#])
        #expect(put.status == 0 && put.out.contains("changed by hand"))
        let changed = try curl(["-X", "PUT", server.base + "repositories/zoo/distributors/yum/", "-d", #"{"distributor_config": {"relative_url": "moved"}}"#])
        #expect(changed.out.contains("spawned_tasks"))
        usleep(200_000)
        let drift = try CLI.run(["drift", "examples/quickstart"], environment: env)
        #expect(drift.status == 3, "\(drift.stdout)")
        #expect(drift.stdout.contains("outside: repository.zoo"))
        let apply = try CLI.run(["apply", "--auto-approve", "examples/quickstart"], environment: env)
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(try CLI.run(["drift", "examples/quickstart"], environment: env).status == 0)
        let after = try JSONValue.parse(try curl([server.base + "repositories/zoo/?details=true"]).out)
        #expect(after["description"] == "A yum repository mirrored from a CDN.")
        #expect(after["distributors"]?.arrayValue?.first?["config"]?["relative_url"] == "zoo")
        #expect(server.stop() == 0)
    }
}

@Suite("pulpform serve and a task killed in its work phase")
struct KilledWorkTests {
    @Test("SIGKILL while a sync works, then a restart: the sync runs again and finishes exactly once")
    func killedDuringWork() throws {
        let tmp = try TempDir()
        let signal = tmp.path("go")
        var server = try ServeProcess(store: tmp.path("pulpform.db"))
        let create = try curl(["-X", "POST", server.base + "repositories/", "-H", "Content-Type: application/json", "-d",
                               #"{"id": "slow", "importer_type_id": "harness_importer", "importer_config": {"num_units": "4", "wait_for_file": "\#(signal)"}}"#])
        #expect(create.status == 0 && create.out.contains("\"slow\""), "\(create)")
        let sync = try JSONValue.parse(try curl(["-X", "POST", server.base + "repositories/slow/actions/sync/"]).out)
        let href = try #require(sync["spawned_tasks"]?.arrayValue?.first?["_href"]?.stringValue)
        let taskURL = "http://127.0.0.1:\(server.port)\(href)"
        // Wait until the work phase reports that it is waiting.
        var state: JSONValue = .null
        for _ in 0..<300 {
            state = (try? JSONValue.parse(try curl([taskURL]).out)) ?? .null
            if state["progress_report"]?["harness_importer"]?["state"] == "waiting" { break }
            usleep(20_000)
        }
        #expect(state["state"] == "running", "\(state)")
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()

        server = try ServeProcess(store: tmp.path("pulpform.db"))
        #expect(FileManager.default.createFile(atPath: signal, contents: Data()))
        var task: JSONValue = .null
        for _ in 0..<500 {
            task = (try? JSONValue.parse(try curl(["http://127.0.0.1:\(server.port)\(href)"]).out)) ?? .null
            if task["state"] == "finished" || task["state"] == "error" { break }
            usleep(20_000)
        }
        #expect(task["state"] == "finished", "\(task)")
        #expect(task["result"]?["added_count"] == 4)
        let history = try JSONValue.parse(try curl([server.base + "repositories/slow/history/sync/"]).out)
        #expect(history.arrayValue?.count == 1, "one sync recorded: \(history)")
        let repo = try JSONValue.parse(try curl([server.base + "repositories/slow/"]).out)
        #expect(repo["content_unit_counts"]?["harness_type_one"] == 4)
        #expect(server.stop() == 0)
    }
}
