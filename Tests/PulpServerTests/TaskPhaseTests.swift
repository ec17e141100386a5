import Foundation
import Synchronization
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

/// An importer whose work phase reports progress and waits until the test releases it.
final class SignalImporter: ImporterPlugin, @unchecked Sendable {
    let typeId = "signal_importer"
    private let released = Mutex(false)
    private let started = Mutex(false)

    func release() { released.withLock { $0 = true } }
    var hasStarted: Bool { started.withLock { $0 } }

    func sync(_ request: SyncRequest) async throws -> SyncResult {
        started.withLock { $0 = true }
        var step = 0
        while !released.withLock({ $0 }) {
            try Task.checkCancellation()
            step += 1
            await request.progress.report(["signal_importer": ["step": .int(step)]])
            try await Task.sleep(for: .milliseconds(10))
        }
        return SyncResult(units: ["signal_unit": ["u1", "u2", "u3"]], summary: ["steps": .int(step)])
    }

    static var catalog: PluginCatalog {
        var types = Array(PluginCatalog.builtin.types.values)
        types.append(PluginType(id: "signal_importer", kind: .importer, summary: "waits for the test", keys: []))
        return PluginCatalog(types)
    }
}

@Suite("Tasks in three phases")
struct TaskPhaseTests {
    func served(_ plugin: SignalImporter) throws -> TestPulp {
        var plugins = PluginRegistry.builtin
        plugins.register(plugin)
        return try TestPulp(catalog: SignalImporter.catalog, plugins: plugins)
    }

    /// Starts a sync of a signal repository and waits until its work phase runs.
    func startSignalSync(_ api: API, _ plugin: SignalImporter) async throws -> String {
        #expect(try await api.post("repositories/", ["id": "slow", "importer_type_id": "signal_importer"]).status == 201)
        let sync = try await api.post("repositories/slow/actions/sync/")
        let href = try #require(sync.json["spawned_tasks"]?.arrayValue?.first?["_href"]?.stringValue)
        for _ in 0..<500 where !plugin.hasStarted { try await Task.sleep(for: .milliseconds(5)) }
        #expect(plugin.hasStarted)
        return href
    }

    @Test("while a task works, other repositories' tasks finish, API writes succeed, and its progress_report changes")
    func worksOutsideTheWriter() async throws {
        let plugin = SignalImporter()
        try await served(plugin).serve { api in
            let href = try await startSignalSync(api, plugin)
            // Another repository's task and plain API writes go through meanwhile.
            try await api.harnessRepo()
            let other = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/sync/"))
            #expect(other.first?["state"] == "finished")
            #expect(try await api.post("repositories/", ["id": "meanwhile"]).status == 201)
            #expect(try await api.put("repositories/meanwhile/", ["delta": ["display_name": "still writable"]]).status == 200)
            // The running task's progress_report is read back changing.
            var steps: [Int] = []
            for _ in 0..<200 where Set(steps).count < 2 {
                let task = try await api.get(href).object
                #expect(task["state"] == "running")
                if let step = task["progress_report"]?["signal_importer"]?["step"]?.intValue { steps.append(step) }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Set(steps).count >= 2, "progress seen: \(steps)")
            #expect(steps == steps.sorted())
            plugin.release()
            var task = try await api.get(href).object
            for _ in 0..<500 where task["state"] != "finished" {
                try await Task.sleep(for: .milliseconds(5))
                task = try await api.get(href).object
            }
            #expect(task["state"] == "finished")
            #expect(task["result"]?["added_count"] == 3)
            let repo = try await api.get("repositories/slow/").object
            #expect(repo["content_unit_counts"]?["signal_unit"] == 3)
        }
    }

    @Test("a cancel during the work ends the task canceled, with nothing of its work in the store")
    func cancelDuringWork() async throws {
        let plugin = SignalImporter()
        try await served(plugin).serve { api in
            let href = try await startSignalSync(api, plugin)
            #expect(try await api.delete(href).status == 200)
            var task = try await api.get(href).object
            #expect(task["state"] == "canceled")
            // The work sees the cancel and stops; releasing it afterwards changes nothing.
            try await Task.sleep(for: .milliseconds(100))
            plugin.release()
            try await Task.sleep(for: .milliseconds(100))
            task = try await api.get(href).object
            #expect(task["state"] == "canceled")
            let repo = try await api.get("repositories/slow/?details=true").object
            #expect(repo["content_unit_counts"] == .object([:]))
            #expect(repo["importers"]?.arrayValue?.first?["last_sync"] == .null)
            #expect(try await api.get("repositories/slow/history/sync/").json == .array([]))
            // The repository is free again: its next task runs.
            #expect(try await api.post("repositories/slow/actions/sync/").status == 202)
        }
    }
}
