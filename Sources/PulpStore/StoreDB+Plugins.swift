import Foundation
import GRDB
public import PulpModel

/// Importers and distributors.
extension StoreDB {
    static func importer(_ row: Row) throws -> Importer {
        let repoId = try string(row, "repo_id")
        return Importer(repoId: repoId, typeId: try string(row, "type_id"), oid: try string(row, "oid"),
                        config: try decodeObject(row["config"], "importer config of \(repoId)"),
                        lastSync: date(row, "last_sync"), scratchpad: try decode(row["scratchpad"], "importer scratchpad"))
    }

    public func importer(repoId: String) throws -> Importer? {
        try Row.fetchOne(db, cached: "SELECT * FROM importers WHERE repo_id = ?", arguments: [repoId]).map(StoreDB.importer)
    }

    /// Every importer, keyed by repository.
    public func importersByRepository() throws -> [String: Importer] {
        var out: [String: Importer] = [:]
        for row in try Row.fetchAll(db, cached: "SELECT * FROM importers") {
            let i = try StoreDB.importer(row)
            out[i.repoId] = i
        }
        return out
    }

    /// The importers of these repositories, keyed by repository.
    public func importers(repoIds: [String]) throws -> [String: Importer] {
        var out: [String: Importer] = [:]
        for i in try rows(of: repoIds, "SELECT * FROM importers WHERE repo_id IN (?)", StoreDB.importer) { out[i.repoId] = i }
        return out
    }

    /// The type of the repository's importer, or nil when it has none.
    public func importerType(repoId: String) throws -> String? {
        try String.fetchOne(db, cached: "SELECT type_id FROM importers WHERE repo_id = ?", arguments: [repoId])
    }

    public func distributorExists(repoId: String, id: String) throws -> Bool {
        try Bool.fetchOne(db, cached: "SELECT 1 FROM distributors WHERE repo_id = ? AND dist_id = ?", arguments: [repoId, id]) ?? false
    }

    /// Inserts or replaces the repository's importer; its secrets are sealed (`StoreSecrets`).
    public func saveImporter(_ i: Importer) throws {
        try saveImporter(row: StoreDB.importerRow(i, secrets))
    }

    /// The importer with its secrets in clear, for the work that sends them to a feed.
    public func revealed(_ i: Importer) throws -> Importer {
        try secrets.reveal(i)
    }

    static func importerRow(_ i: Importer, _ secrets: StoreSecrets) throws -> StatementArguments {
        let sealed = try secrets.seal(i)
        return [sealed.repoId, sealed.typeId, sealed.oid, StoreDB.json(sealed.config), sealed.lastSync?.epoch, StoreDB.json(sealed.scratchpad)]
    }

    func saveImporter(row: StatementArguments) throws {
        try db.execute(cached: """
            INSERT INTO importers (repo_id, type_id, oid, config, last_sync, scratchpad) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(repo_id) DO UPDATE SET type_id = excluded.type_id, oid = excluded.oid, config = excluded.config,
                last_sync = excluded.last_sync, scratchpad = excluded.scratchpad
            """, arguments: row)
    }

    public func deleteImporter(repoId: String) throws {
        try db.execute(cached: "DELETE FROM importers WHERE repo_id = ?", arguments: [repoId])
    }

    static func distributor(_ row: Row) throws -> Distributor {
        let repoId = try string(row, "repo_id")
        return Distributor(repoId: repoId, id: try string(row, "dist_id"), typeId: try string(row, "type_id"),
                           oid: try string(row, "oid"),
                           config: try decodeObject(row["config"], "distributor config of \(repoId)"),
                           autoPublish: (row["auto_publish"] as Int? ?? 0) != 0, lastPublish: date(row, "last_publish"),
                           scratchpad: try decode(row["scratchpad"], "distributor scratchpad"))
    }

    public func distributors(repoId: String) throws -> [Distributor] {
        try Row.fetchAll(db, cached: "SELECT * FROM distributors WHERE repo_id = ? ORDER BY seq", arguments: [repoId])
            .map(StoreDB.distributor)
    }

    /// The distributors of these repositories, in creation order, keyed by repository.
    public func distributors(repoIds: [String]) throws -> [String: [Distributor]] {
        var out: [String: [Distributor]] = [:]
        for d in try rows(of: repoIds, "SELECT * FROM distributors WHERE repo_id IN (?) ORDER BY seq", StoreDB.distributor) {
            out[d.repoId, default: []].append(d)
        }
        return out
    }

    public func distributor(repoId: String, id: String) throws -> Distributor? {
        try Row.fetchOne(db, cached: "SELECT * FROM distributors WHERE repo_id = ? AND dist_id = ?", arguments: [repoId, id])
            .map(StoreDB.distributor)
    }

    /// Every distributor, in creation order.
    public func allDistributors() throws -> [Distributor] {
        try Row.fetchAll(db, cached: "SELECT * FROM distributors ORDER BY seq").map(StoreDB.distributor)
    }

    /// Inserts a new distributor or updates the one with the same id.
    public func saveDistributor(_ d: Distributor) throws {
        try saveDistributor(row: StoreDB.distributorRow(d))
    }

    static func distributorRow(_ d: Distributor) -> StatementArguments {
        [d.repoId, d.id, d.typeId, d.oid, StoreDB.json(d.config), d.autoPublish ? 1 : 0, d.lastPublish?.epoch,
         StoreDB.json(d.scratchpad)]
    }

    func saveDistributor(row: StatementArguments) throws {
        try db.execute(cached: """
            INSERT INTO distributors (repo_id, dist_id, type_id, oid, config, auto_publish, last_publish, scratchpad)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(repo_id, dist_id) DO UPDATE SET type_id = excluded.type_id, oid = excluded.oid,
                config = excluded.config, auto_publish = excluded.auto_publish, last_publish = excluded.last_publish,
                scratchpad = excluded.scratchpad
            """, arguments: row)
    }

    public func deleteDistributor(repoId: String, id: String) throws {
        try db.execute(cached: "DELETE FROM distributors WHERE repo_id = ? AND dist_id = ?", arguments: [repoId, id])
    }
}
