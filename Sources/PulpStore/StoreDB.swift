import Foundation
import GRDB
public import PulpModel

/// Typed access to the store inside one transaction. Only lives inside `PulpStore.read`/`write`.
public struct StoreDB {
    let db: Database

    // MARK: Helpers

    /// Runs `body` in a savepoint: if it throws, what it wrote is rolled back and the error rethrown.
    public func atomically<T>(_ body: () throws -> T) throws -> T {
        try db.atomically(body)
    }

    static func json(_ v: JSONValue) -> String { v.serialized() }
    static func json(_ o: JSONObject) -> String { JSONValue.object(o).serialized() }

    static func decode(_ text: String?, _ what: String) throws -> JSONValue {
        guard let text else { return .null }
        do { return try JSONValue.parse(text) } catch { throw StoreError.corrupt(what) }
    }

    static func decodeObject(_ text: String?, _ what: String) throws -> JSONObject {
        guard case .object(let o) = try decode(text, what) else { throw StoreError.corrupt(what) }
        return o
    }

    static func string(_ row: Row, _ col: String) throws -> String {
        guard let s = row[col] as String? else { throw StoreError.corrupt("\(col) is null") }
        return s
    }

    static func date(_ row: Row, _ col: String) -> PulpDateTime? {
        (row[col] as Double?).map { PulpDateTime(epoch: $0) }
    }

    /// The number of rows the last statement changed.
    public var changes: Int { db.changesCount }

    // MARK: Schedules

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

    // MARK: Units

    /// Adds units to a repository; returns how many were new.
    public func addUnits(repoId: String, typeId: String, unitIds: [String]) throws -> Int {
        var added = 0
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO units (repo_id, type_id, unit_id) VALUES (?, ?, ?)")
        for u in unitIds {
            try statement.execute(arguments: [repoId, typeId, u])
            added += db.changesCount
        }
        return added
    }

    /// Unit counts by type.
    public func unitCounts(repoId: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try Row.fetchAll(db, cached: "SELECT type_id, COUNT(*) AS n FROM units WHERE repo_id = ? GROUP BY type_id",
                                    arguments: [repoId]) {
            if let t = row["type_id"] as String?, let n = row["n"] as Int? { out[t] = n }
        }
        return out
    }

    public func unitIds(repoId: String) throws -> [String] {
        try String.fetchAll(db, cached: "SELECT unit_id FROM units WHERE repo_id = ? ORDER BY type_id, unit_id", arguments: [repoId])
    }

    // MARK: History

    public func insertSyncHistory(_ e: SyncHistoryEntry) throws {
        try db.execute(cached: """
            INSERT INTO sync_history (oid, repo_id, importer_type_id, started, completed, result, added_count, updated_count,
                                      removed_count, summary, details, error_message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [e.oid, e.repoId, e.importerTypeId, e.started.epoch, e.completed.epoch, e.result.rawValue,
                             e.addedCount, e.updatedCount, e.removedCount, StoreDB.json(e.summary), StoreDB.json(e.details),
                             e.errorMessage])
    }

    static func historyClause(_ q: HistoryQuery, _ args: inout StatementArguments) -> String {
        var sql = ""
        if let s = q.startDate { sql += " AND started >= ?"; args += [s.epoch] }
        if let e = q.endDate { sql += " AND started <= ?"; args += [e.epoch] }
        sql += q.ascending ? " ORDER BY seq ASC" : " ORDER BY seq DESC"
        if let l = q.limit { sql += " LIMIT ?"; args += [l] }
        return sql
    }

    public func syncHistory(repoId: String, query: HistoryQuery) throws -> [SyncHistoryEntry] {
        var args: StatementArguments = [repoId]
        let sql = "SELECT * FROM sync_history WHERE repo_id = ?" + StoreDB.historyClause(query, &args)
        return try Row.fetchAll(db, sql: sql, arguments: args).map { row in
            SyncHistoryEntry(
                oid: try StoreDB.string(row, "oid"), repoId: try StoreDB.string(row, "repo_id"),
                importerTypeId: try StoreDB.string(row, "importer_type_id"),
                started: StoreDB.date(row, "started") ?? PulpDateTime(epoch: 0),
                completed: StoreDB.date(row, "completed") ?? PulpDateTime(epoch: 0),
                result: SyncHistoryEntry.Result(rawValue: try StoreDB.string(row, "result")) ?? .error,
                addedCount: row["added_count"] as Int? ?? 0, updatedCount: row["updated_count"] as Int? ?? 0,
                removedCount: row["removed_count"] as Int? ?? 0, summary: try StoreDB.decode(row["summary"], "summary"),
                details: try StoreDB.decode(row["details"], "details"), errorMessage: row["error_message"])
        }
    }

    public func insertPublishHistory(_ e: PublishHistoryEntry) throws {
        try db.execute(cached: """
            INSERT INTO publish_history (oid, repo_id, distributor_id, distributor_type_id, started, completed, result,
                                         summary, details, error_message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [e.oid, e.repoId, e.distributorId, e.distributorTypeId, e.started.epoch, e.completed.epoch,
                             e.result.rawValue, StoreDB.json(e.summary), StoreDB.json(e.details), e.errorMessage])
    }

    public func publishHistory(repoId: String, distributorId: String, query: HistoryQuery) throws -> [PublishHistoryEntry] {
        var args: StatementArguments = [repoId, distributorId]
        let sql = "SELECT * FROM publish_history WHERE repo_id = ? AND distributor_id = ?" + StoreDB.historyClause(query, &args)
        return try Row.fetchAll(db, sql: sql, arguments: args).map { row in
            PublishHistoryEntry(
                oid: try StoreDB.string(row, "oid"), repoId: try StoreDB.string(row, "repo_id"),
                distributorId: try StoreDB.string(row, "distributor_id"),
                distributorTypeId: try StoreDB.string(row, "distributor_type_id"),
                started: StoreDB.date(row, "started") ?? PulpDateTime(epoch: 0),
                completed: StoreDB.date(row, "completed") ?? PulpDateTime(epoch: 0),
                result: PublishHistoryEntry.Result(rawValue: try StoreDB.string(row, "result")) ?? .error,
                summary: try StoreDB.decode(row["summary"], "summary"), details: try StoreDB.decode(row["details"], "details"),
                errorMessage: row["error_message"])
        }
    }
}
