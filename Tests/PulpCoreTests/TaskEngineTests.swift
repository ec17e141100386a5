import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

@Suite("Tasks: states, reservations, cancel, groups, restart")
struct TaskEngineTests {
    @Test("a task goes waiting → running → finished, with times and a worker")
    func lifecycle() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        await t.gate.hold("pulp:repository:harness_repo_1")
        let report = try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:])
        let id = try #require(report.spawnedTasks.first)
        await t.gate.waitForStarts(1)
        let running = try await t.pulp.task(id)
        #expect(running.state == .running)
        #expect(running.startTime != nil && running.finishTime == nil)
        #expect(running.workerName?.hasPrefix("reserved_resource_worker-") == true)
        #expect(running.json(includeQueue: true)["queue"]?.stringValue == running.workerName.map { "\($0).dq" })
        await t.gate.release("pulp:repository:harness_repo_1")
        let done = try await t.finished(report)
        #expect(done.finishTime != nil)
    }

    @Test("tasks on one repository run one at a time, in order; other repositories run in parallel")
    func reservations() async throws {
        let t = try TestPulp.core(workers: 4)
        _ = try await t.createHarnessRepo("a")
        _ = try await t.createHarnessRepo("b")
        await t.gate.hold("pulp:repository:a")
        let a1 = try await t.pulp.sync(repoId: "a", overrides: [:])
        let a2 = try await t.pulp.publish(repoId: "a", distributorId: "dist_1", overrides: [:])
        await t.gate.waitForStarts(1)
        // a1 holds the reservation on a: a2 waits, while b's task runs to the end.
        let b1 = try await t.pulp.sync(repoId: "b", overrides: [:])
        try await t.finished(b1)
        #expect(try await t.pulp.task(a1.spawnedTasks[0]).state == .running)
        #expect(try await t.pulp.task(a2.spawnedTasks[0]).state == .waiting)
        await t.gate.release("pulp:repository:a")
        let first = try await t.finished(a1)
        let second = try await t.finished(a2)
        #expect(await t.gate.started == [a1.spawnedTasks[0], b1.spawnedTasks[0], a2.spawnedTasks[0]])
        #expect(try #require(second.startTime) >= (try #require(first.finishTime)))
        // The publish saw the sync's units.
        #expect(second.result["summary"]?["files_written"] == 5)
    }

    @Test("the worker pool bounds how many tasks run at once")
    func workerPool() async throws {
        let t = try TestPulp.core(workers: 2)
        for r in ["a", "b", "c"] { _ = try await t.pulp.createRepository(RepositoryCreate(id: r)) }
        for r in ["a", "b", "c"] { await t.gate.hold("pulp:repository:\(r)") }
        let reports = try await [t.pulp.download(repoId: "a", verifyAllUnits: false),
                                 t.pulp.download(repoId: "b", verifyAllUnits: false),
                                 t.pulp.download(repoId: "c", verifyAllUnits: false)]
        await t.gate.waitForStarts(2)
        let states = try await t.pulp.tasks(ids: reports.map { $0.spawnedTasks[0] }).map(\.state)
        #expect(states == [.running, .running, .waiting])
        for r in ["a", "b", "c"] { await t.gate.release("pulp:repository:\(r)") }
        for r in reports { try await t.finished(r) }
    }

    @Test("canceling a waiting task: it ends canceled and never runs")
    func cancelWaiting() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        await t.gate.hold("pulp:repository:harness_repo_1")
        let first = try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:])
        let second = try await t.pulp.deleteRepository("harness_repo_1")
        await t.gate.waitForStarts(1)
        try await t.pulp.cancelTask(second.spawnedTasks[0])
        await t.gate.release("pulp:repository:harness_repo_1")
        try await t.finished(first)
        let canceled = try #require(try await t.wait(second).first)
        #expect(canceled.state == .canceled)
        #expect(canceled.startTime == nil && canceled.finishTime != nil)
        #expect(await !t.gate.started.contains(second.spawnedTasks[0]))
        #expect(try await t.pulp.repository("harness_repo_1", include: .none).repository.id == "harness_repo_1", "not deleted")
        // Canceling a complete task is a no-op that succeeds.
        try await t.pulp.cancelTask(second.spawnedTasks[0])
        try await t.pulp.cancelTask(first.spawnedTasks[0])
        #expect(try await t.pulp.task(first.spawnedTasks[0]).state == .finished)
    }

    @Test("canceling a running task rolls its work back; it stays canceled")
    func cancelRunning() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        let before = try t.store.dump().filter { !$0.hasPrefix("tasks:") }
        await t.gate.hold("pulp:repository:harness_repo_1")
        let report = try await t.pulp.deleteRepository("harness_repo_1")
        await t.gate.waitForStarts(1)
        try await t.pulp.cancelTask(report.spawnedTasks[0])
        await t.gate.release("pulp:repository:harness_repo_1")
        let task = try #require(try await t.wait(report).first)
        #expect(task.state == .canceled)
        #expect(try t.store.dump().filter { !$0.hasPrefix("tasks:") } == before, "the delete did not happen")
    }

    @Test("task groups: tasks carry the group, the summary counts all 8 states, cancel cancels the rest")
    func groups() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        let grouped = t.pulp.inGroup("g1")
        await t.gate.hold("pulp:repository:harness_repo_1")
        let sync = try await grouped.sync(repoId: "harness_repo_1", overrides: [:])
        let publish = try await grouped.publish(repoId: "harness_repo_1", distributorId: "dist_1", overrides: [:])
        await t.gate.waitForStarts(1)
        var summary = try await t.pulp.taskGroupSummary("g1")
        #expect(summary.counts[.running] == 1 && summary.counts[.waiting] == 1 && summary.total == 2)
        #expect(!summary.isDone)
        #expect(try await t.pulp.task(sync.spawnedTasks[0]).groupId == "g1")
        #expect(try await t.pulp.tasks(tags: ["pulp:action:sync"]).isEmpty, "grouped tasks are not listed by tag")
        try await t.pulp.cancelTaskGroup("g1")
        await t.gate.release("pulp:repository:harness_repo_1")
        _ = try await t.wait(sync)
        _ = try await t.wait(publish)
        summary = try await t.pulp.taskGroupSummary("g1")
        #expect(summary.counts[.canceled] == 2 && summary.isDone)
        await expectPulpError("PLP0009", status: 404) { try await t.pulp.cancelTaskGroup("nope") }
        #expect(try await t.pulp.taskGroupSummary("nope").total == 0)
    }

    @Test("a restarted process picks up waiting and interrupted tasks from the store")
    func restart() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        await t.pulp.engine.pause()
        let report = try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:])
        #expect(await t.pulp.engine.queuedCount == 1)
        // Simulate a worker killed mid-task: the row says running, its work never committed.
        try await t.store.write { db in
            guard var task = try db.task(report.spawnedTasks[0]) else { return }
            task.report.state = .running
            task.report.workerName = "reserved_resource_worker-0@gone"
            try db.updateTask(task.report)
        }
        // A new process on the same file.
        let restarted = LocalPulp(store: try PulpStore(path: t.store.path), clock: t.clock)
        #expect(try await restarted.engine.recover() == 1)
        let done = try await restarted.waitForTasks(report.spawnedTasks, followSpawned: true)
        #expect(done.map(\.state) == [.finished])
        #expect(done.first?.result["added_count"] == 5)
        #expect(try await restarted.syncHistory(repoId: "harness_repo_1", query: HistoryQuery()).count == 1, "ran once")
    }

    @Test("a task run by another process on the same store is awaited by polling")
    func crossProcessWait() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo(autoPublish: true)
        await t.gate.hold("pulp:repository:harness_repo_1")
        let report = try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:])
        await t.gate.waitForStarts(1)
        // Another process (a CLI next to a server) waits on the server's task.
        let other = LocalPulp(store: try PulpStore(path: t.store.path), clock: t.clock)
        let waiter = Task { try await other.waitForTasks(report.spawnedTasks, followSpawned: true) }
        await t.gate.release("pulp:repository:harness_repo_1")
        let done = try await waiter.value
        #expect(done.map(\.state) == [.finished, .finished], "the sync and its auto-publish")
    }

    @Test("operations round-trip through their stored JSON")
    func operationJSON() {
        let ops: [TaskOperation] = [
            .deleteRepository(repoId: "r"), .setImporter(repoId: "r", typeId: "t", config: ["a": 1]),
            .updateImporter(repoId: "r", typeId: "t", config: ["a": nil]), .removeImporter(repoId: "r", typeId: "t"),
            .updateDistributor(repoId: "r", distributorId: "d", config: nil, delta: ["auto_publish": true]),
            .updateDistributor(repoId: "r", distributorId: "d", config: ["x": 1], delta: nil),
            .removeDistributor(repoId: "r", distributorId: "d"), .sync(repoId: "r", overrides: ["x": 1]),
            .publish(repoId: "r", distributorId: "d", overrides: [:]), .download(repoId: "r", verifyAllUnits: true),
            .consumerContent(consumerId: "c", action: .uninstall, units: [["type_id": "rpm"]], options: ["reboot": true]),
        ]
        for op in ops { #expect(TaskOperation(json: op.json) == op) }
        #expect(TaskOperation(json: ["op": "nope"]) == nil)
    }
}
