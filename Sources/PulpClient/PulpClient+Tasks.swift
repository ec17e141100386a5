import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PulpContract
public import PulpModel
import Synchronization

/// Tasks and task groups.
extension PulpClient {
    public func task(_ id: String) async throws -> TaskReport {
        let r = try await send(.GET, PulpPaths.task(id), idempotent: true)
        return try decode(PulpPaths.task(id)) { () throws(DecodeError) in try TaskReport(json: r.body) }
    }

    public func tasks(tags: [String]) async throws -> [TaskReport] {
        let path = "tasks/" + Self.query(tags.map { ("tag", $0) })
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in
            var out: [TaskReport] = []
            for v in r.body.arrayValue ?? [] { out.append(try TaskReport(json: v)) }
            return out
        }
    }

    /// One `POST /tasks/search/` with `task_id $in`.
    public func tasks(ids: [String]) async throws -> [TaskReport] {
        guard !ids.isEmpty else { return [] }
        let r = try await send(.POST, "tasks/search/", ["criteria": ["filters": ["task_id": ["$in": .array(ids.map(JSONValue.string))]]]],
                               idempotent: true)
        let found = try decode("tasks/search/") { () throws(DecodeError) in
            var out: [String: TaskReport] = [:]
            for v in r.body.arrayValue ?? [] {
                let t = try TaskReport(json: v)
                out[t.taskId] = t
            }
            return out
        }
        return ids.compactMap { found[$0] }
    }

    public func cancelTask(_ id: String) async throws {
        _ = try await send(.DELETE, PulpPaths.task(id), idempotent: false)
    }

    public func purgeTasks(states: [String]) async throws {
        _ = try await send(.DELETE, "tasks/" + Self.query(states.map { ("state", $0) }), idempotent: false)
    }

    /// Polls with one batched search per round: the first after 20 ms, then backing off to 1 s.
    public func waitForTasks(_ ids: [String], followSpawned: Bool) async throws -> [TaskReport] {
        var pending = ids
        var done: [String: TaskReport] = [:]
        var order = ids
        var delay = 20
        while !pending.isEmpty {
            try await Task.sleep(for: .milliseconds(delay))
            let reports = try await tasks(ids: pending)
            for id in pending where !reports.contains(where: { $0.taskId == id }) {
                throw PulpError.missingResource(["resource_id": id])
            }
            var still: [String] = []
            for t in reports {
                if t.state.isComplete {
                    done[t.taskId] = t
                    if followSpawned {
                        let new = t.spawnedTasks.filter { done[$0] == nil && !pending.contains($0) && !still.contains($0) }
                        still += new
                        order += new
                    }
                } else {
                    still.append(t.taskId)
                }
            }
            pending = still
            delay = min(1000, delay * 3 / 2)
        }
        return order.compactMap { done[$0] }
    }

    public func taskGroupSummary(_ groupId: String) async throws -> TaskGroupSummary {
        TaskGroupSummary(json: try await send(.GET, PulpPaths.taskGroup(groupId) + "state_summary/", idempotent: true).body)
    }

    public func cancelTaskGroup(_ groupId: String) async throws {
        _ = try await send(.DELETE, PulpPaths.taskGroup(groupId), idempotent: false)
    }
}
