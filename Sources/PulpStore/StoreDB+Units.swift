import Foundation
import GRDB
import PulpModel

/// Units and their association with repositories.
extension StoreDB {
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
}
