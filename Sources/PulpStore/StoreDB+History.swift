import Foundation
import GRDB
public import PulpModel

/// Sync and publish history.
extension StoreDB {
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
