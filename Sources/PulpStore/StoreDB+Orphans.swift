import Foundation
import GRDB
public import PulpModel

/// What copy and remove need of a repository's units without decoding them, orphans, and user metadata.
extension StoreDB {
    /// A unit as a copy or remove reports it: its id, type and key (as stored JSON text).
    public struct UnitKeyRow: Sendable, Hashable {
        public var unitId: String
        public var typeId: String
        public var unitKey: String

        public init(unitId: String, typeId: String, unitKey: String) {
            self.unitId = unitId
            self.typeId = typeId
            self.unitKey = unitKey
        }
    }

    /// The repository's units of these types (all types if nil), by type then unit id, without their metadata; a
    /// page of them with `limit` and `offset`.
    public func repositoryUnitKeys(repoId: String, typeIds: [String]? = nil, limit: Int? = nil, offset: Int = 0) throws -> [UnitKeyRow] {
        try repositoryUnitRows(repoId: repoId, typeIds: typeIds, columns: "r.unit_id, r.type_id, u.unit_key", limit: limit,
                               offset: offset).map { row in
            UnitKeyRow(unitId: row[0], typeId: row[1], unitKey: row[2])
        }
    }

    // MARK: - Orphans

    private static let orphanCondition = "NOT EXISTS (SELECT 1 FROM repo_content r WHERE r.unit_id = u.unit_id)"

    /// How many units of each type no repository holds.
    public func orphanCounts() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT u.type_id, COUNT(*) FROM content_units u WHERE \(Self.orphanCondition) GROUP BY u.type_id") {
            out[row[0]] = row[1]
        }
        return out
    }

    /// The units of a type that no repository holds, by unit id.
    public func orphans(typeId: String) throws -> [ContentUnit] {
        try Row.fetchAll(db, sql: "SELECT u.* FROM content_units u WHERE u.type_id = ? AND \(Self.orphanCondition) ORDER BY u.unit_id",
                         arguments: [typeId]).map(StoreDB.contentUnit)
    }

    /// Whether a unit of this type exists and no repository holds it.
    public func isOrphan(typeId: String, unitId: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM content_units u WHERE u.unit_id = ? AND u.type_id = ? AND \(Self.orphanCondition)",
                          arguments: [unitId, typeId]) ?? false
    }

    /// Deletes the orphans (of one type, or one unit, when given) with their snippets. Returns how many went, and
    /// the file addresses (sha256) that no unit uses any more: the caller removes those files once this commits.
    public func deleteOrphans(typeId: String? = nil, unitId: String? = nil) throws -> (deleted: Int, files: [String]) {
        var condition = Self.orphanCondition
        var args: [(any DatabaseValueConvertible)?] = []
        if let typeId { condition += " AND u.type_id = ?"; args.append(typeId) }
        if let unitId { condition += " AND u.unit_id = ?"; args.append(unitId) }
        let files = Set(try String.fetchAll(db, sql: "SELECT DISTINCT u.file_sha256 FROM content_units u WHERE \(condition) AND u.file_sha256 IS NOT NULL",
                                            arguments: StatementArguments(args)))
        try db.execute(sql: "DELETE FROM content_units AS u WHERE \(condition)", arguments: StatementArguments(args))
        let deleted = db.changesCount
        var unused: [String] = []
        let stillUsed = try db.cachedStatement(sql: "SELECT 1 FROM content_units WHERE file_sha256 = ? LIMIT 1")
        for sha in files.sorted() where try Bool.fetchOne(stillUsed, arguments: [sha]) != true { unused.append(sha) }
        return (deleted, unused)
    }

    // MARK: - User metadata

    /// Replaces a unit's `pulp_user_metadata`. False when there is no such unit of that type.
    public func setUserMetadata(typeId: String, unitId: String, _ value: JSONObject, now: Double) throws -> Bool {
        guard var unit = try contentUnit(id: unitId), unit.typeId == typeId else { return false }
        unit.metadata["pulp_user_metadata"] = .object(value)
        try updateContentUnitMetadata(unitId, unit.metadata, now: now)
        return true
    }
}
