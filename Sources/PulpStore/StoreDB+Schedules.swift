import Foundation
import GRDB
public import PulpModel

/// Schedules of every kind.
extension StoreDB {
    static func schedule(_ row: Row) throws -> Schedule {
        let id = try string(row, "schedule_id")
        guard let kind = ScheduleKind(rawValue: try string(row, "kind")) else { throw StoreError.corrupt("kind of schedule \(id)") }
        let ownerId = try string(row, "owner_id")
        let owner: ScheduleOwner
        switch kind {
        case .sync: owner = .importer(repoId: try string(row, "repo_id"), importerId: ownerId)
        case .publish: owner = .distributor(repoId: try string(row, "repo_id"), distributorId: ownerId)
        case .install, .update, .uninstall: owner = .consumer(consumerId: ownerId, action: kind)
        }
        guard let firstRun = PulpDateTime.parse(try string(row, "first_run")) else {
            throw StoreError.corrupt("first_run of schedule \(id)")
        }
        return Schedule(
            id: id, owner: owner, schedule: try string(row, "schedule"),
            kwargs: try decodeObject(row["kwargs"], "kwargs of schedule \(id)"),
            enabled: (row["enabled"] as Int? ?? 0) != 0, failureThreshold: row["failure_threshold"],
            consecutiveFailures: row["consecutive_failures"] as Int? ?? 0, remainingRuns: row["remaining_runs"],
            totalRunCount: row["total_run_count"] as Int? ?? 0, firstRun: firstRun, lastRunAt: date(row, "last_run_at"),
            lastUpdated: row["last_updated"] as Double? ?? 0)
    }

    /// The schedules under one owner, in creation order.
    public func schedules(owner: ScheduleOwner) throws -> [Schedule] {
        let rows: [Row]
        switch owner {
        case .importer(let r, let t), .distributor(let r, let t):
            rows = try Row.fetchAll(db, cached: "SELECT * FROM schedules WHERE kind = ? AND repo_id = ? AND owner_id = ? ORDER BY seq",
                                    arguments: [owner.kind.rawValue, r, t])
        case .consumer(let c, let action):
            rows = try Row.fetchAll(db, cached: "SELECT * FROM schedules WHERE kind = ? AND consumer_id = ? ORDER BY seq",
                                    arguments: [action.rawValue, c])
        }
        return try rows.map(StoreDB.schedule)
    }

    /// Every schedule of every kind, in creation order.
    public func allSchedules() throws -> [Schedule] {
        try Row.fetchAll(db, cached: "SELECT * FROM schedules ORDER BY seq").map(StoreDB.schedule)
    }

    /// Every schedule of these kinds, in creation order (the reconciler's bulk read).
    public func schedules(kinds: Set<ScheduleKind>) throws -> [Schedule] {
        let list = kinds.map(\.rawValue).sorted()
        let marks = Array(repeating: "?", count: list.count).joined(separator: ",")
        return try Row.fetchAll(db, sql: "SELECT * FROM schedules WHERE kind IN (\(marks)) ORDER BY seq",
                                arguments: StatementArguments(list)).map(StoreDB.schedule)
    }

    /// The sync and publish schedules of these repositories, in creation order.
    public func repositorySchedules(repoIds: [String]) throws -> [Schedule] {
        // `kind` first: the (kind, repo_id, owner_id) index serves the lookup.
        try rows(of: repoIds, "SELECT * FROM schedules WHERE kind IN ('sync', 'publish') AND repo_id IN (?) ORDER BY seq",
                 StoreDB.schedule)
    }

    public func schedule(id: String) throws -> Schedule? {
        try Row.fetchOne(db, cached: "SELECT * FROM schedules WHERE schedule_id = ?", arguments: [id]).map(StoreDB.schedule)
    }

    public func saveSchedule(_ s: Schedule) throws {
        try save(ScheduleRow(s))
    }

    /// A schedule as statement arguments built before the write: `saveSchedule` for the same schedule.
    public struct ScheduleRow: Sendable {
        let arguments: StatementArguments

        public init(_ s: Schedule) {
            let consumerId: String? = s.kind.isConsumerContent ? s.owner.ownerId : nil
            arguments = [s.id, s.kind.rawValue, s.owner.repoId, consumerId, s.owner.ownerId, s.schedule,
                         StoreDB.json(s.kwargs), s.enabled ? 1 : 0, s.failureThreshold, s.consecutiveFailures,
                         s.remainingRuns, s.totalRunCount, s.firstRun.iso8601, s.lastRunAt?.epoch, s.lastUpdated]
        }
    }

    public func save(_ row: ScheduleRow) throws {
        try db.execute(cached: """
            INSERT INTO schedules (schedule_id, kind, repo_id, consumer_id, owner_id, schedule, kwargs, enabled,
                failure_threshold, consecutive_failures, remaining_runs, total_run_count, first_run, last_run_at, last_updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(schedule_id) DO UPDATE SET schedule = excluded.schedule, kwargs = excluded.kwargs,
                enabled = excluded.enabled, failure_threshold = excluded.failure_threshold,
                consecutive_failures = excluded.consecutive_failures, remaining_runs = excluded.remaining_runs,
                total_run_count = excluded.total_run_count, first_run = excluded.first_run,
                last_run_at = excluded.last_run_at, last_updated = excluded.last_updated
            """, arguments: row.arguments)
    }

    public func deleteSchedule(id: String) throws {
        try db.execute(cached: "DELETE FROM schedules WHERE schedule_id = ?", arguments: [id])
    }

    /// Deletes every schedule under an owner (an importer's sync schedules, a distributor's publish schedules).
    public func deleteSchedules(owner: ScheduleOwner) throws {
        switch owner {
        case .importer(let r, _):
            // Every sync schedule of the repository: a repository has one importer.
            try db.execute(cached: "DELETE FROM schedules WHERE kind = 'sync' AND repo_id = ?", arguments: [r])
        case .distributor(let r, let d):
            try db.execute(cached: "DELETE FROM schedules WHERE kind = 'publish' AND repo_id = ? AND owner_id = ?", arguments: [r, d])
        case .consumer(let c, let action):
            try db.execute(cached: "DELETE FROM schedules WHERE kind = ? AND consumer_id = ?", arguments: [action.rawValue, c])
        }
    }
}
