import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Tasks and task groups.
extension LocalPulp {
    public func task(_ id: String) async throws -> TaskReport {
        try await store.read { db in
            guard let t = try db.task(id) else { throw PulpError.missingResource(["resource_id": id]) }
            return t.report
        }
    }

    public func tasks(tags: [String]) async throws -> [TaskReport] {
        try await store.read { db in try db.tasks(withAllTags: tags).map(\.report) }
    }

    public func tasks(ids: [String]) async throws -> [TaskReport] {
        try await store.read { db in try db.tasks(ids: ids).map(\.report) }
    }

    public func cancelTask(_ id: String) async throws {
        try await engine.cancel(id)
    }

    public func purgeTasks(states: [String]) async throws {
        guard !states.isEmpty else { throw PulpError.noPurgeState() }
        var parsed: [TaskState] = []
        for s in states {
            guard let state = TaskState(rawValue: s), TaskState.purgeable.contains(state) else {
                throw PulpError.invalidPurgeState(s)
            }
            parsed.append(state)
        }
        let toPurge = parsed
        _ = try await store.write { db in try db.purgeTasks(states: toPurge) }
    }

    /// Tasks run by this process are awaited without polling. Tasks that another process sharing the
    /// store runs (a server) are polled, backing off from 10 ms to 500 ms.
    public func waitForTasks(_ ids: [String], followSpawned: Bool) async throws -> [TaskReport] {
        var pending = ids
        var seen = Set<String>()
        var out: [TaskReport] = []
        while !pending.isEmpty {
            let reports = try await completedReports(pending)
            seen.formUnion(pending)
            out += reports
            pending = followSpawned ? reports.flatMap(\.spawnedTasks).filter { !seen.contains($0) } : []
        }
        return out
    }

    /// Returns once one of the tasks is complete, or after `timeout`: a caller that reports progress polls
    /// with it and still sees a task's end at once.
    public func waitForAnyTask(_ ids: [String], timeout: Duration) async {
        await engine.waitForAny(ids, timeout: timeout)
    }

    func completedReports(_ ids: [String]) async throws -> [TaskReport] {
        var delay: UInt64 = 10_000_000
        while true {
            await engine.wait(for: ids)
            let reports = try await tasks(ids: ids)
            for id in ids where !reports.contains(where: { $0.taskId == id }) {
                throw PulpError.missingResource(["resource_id": id])
            }
            if reports.allSatisfy(\.state.isComplete) { return reports }
            try await Task.sleep(nanoseconds: delay)
            delay = min(delay * 2, 500_000_000)
        }
    }

    public func taskGroupSummary(_ groupId: String) async throws -> TaskGroupSummary {
        try await store.read { db in TaskGroupSummary(states: try db.taskStates(groupId: groupId)) }
    }

    public func cancelTaskGroup(_ groupId: String) async throws {
        let ids = try await store.read { db in try db.tasks(groupId: groupId).map(\.report.taskId) }
        guard !ids.isEmpty else { throw PulpError.missingResource(["group_id": groupId]) }
        for id in ids { try await engine.cancel(id) }
    }
}
