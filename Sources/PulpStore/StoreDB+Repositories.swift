import Foundation
import GRDB
public import PulpModel

/// Repositories: rows, content hashes, notes, paged ids.
extension StoreDB {
    static func repository(_ row: Row) throws -> Repository {
        let id = try string(row, "repo_id")
        return Repository(
            id: id, oid: try string(row, "oid"), displayName: try string(row, "display_name"),
            description: row["description"], notes: try decodeObject(row["notes"], "notes of \(id)"),
            scratchpad: try decodeObject(row["scratchpad"], "scratchpad of \(id)"),
            contentUnitCounts: try decodeObject(row["content_unit_counts"], "content_unit_counts of \(id)"),
            lastUnitAdded: date(row, "last_unit_added"), lastUnitRemoved: date(row, "last_unit_removed"))
    }

    public func repository(_ id: String) throws -> Repository? {
        try Row.fetchOne(db, cached: "SELECT * FROM repositories WHERE repo_id = ?", arguments: [id]).map(StoreDB.repository)
    }

    public func repositoryExists(_ id: String) throws -> Bool {
        try Bool.fetchOne(db, cached: "SELECT 1 FROM repositories WHERE repo_id = ?", arguments: [id]) ?? false
    }

    /// Every repository, in creation order.
    public func repositories() throws -> [Repository] {
        try Row.fetchAll(db, cached: "SELECT * FROM repositories ORDER BY seq").map(StoreDB.repository)
    }

    public func insertRepository(_ r: Repository) throws {
        try insertRepository(row: StoreDB.repositoryRow(r))
    }

    static func repositoryRow(_ r: Repository) -> StatementArguments {
        [r.id, r.oid, r.displayName, r.description, StoreDB.json(r.notes), StoreDB.json(r.scratchpad),
         StoreDB.json(r.contentUnitCounts), r.lastUnitAdded?.epoch, r.lastUnitRemoved?.epoch]
    }

    func insertRepository(row: StatementArguments) throws {
        try db.execute(cached: """
            INSERT INTO repositories (repo_id, oid, display_name, description, notes, scratchpad, content_unit_counts,
                                      last_unit_added, last_unit_removed)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: row)
    }

    /// A new repository with its importer and distributors, as statement arguments built before the write (see
    /// `insert(_:)`), so that the writer only runs statements.
    public struct RepositoryRows: Sendable {
        let repository: StatementArguments
        let importer: StatementArguments?
        let distributors: [StatementArguments]

        /// `secrets` seals the importer's secrets (the store's `secrets`).
        public init(_ repository: Repository, importer: Importer?, distributors: [Distributor], secrets: StoreSecrets) throws {
            self.repository = StoreDB.repositoryRow(repository)
            self.importer = try importer.map { try StoreDB.importerRow($0, secrets) }
            self.distributors = distributors.map(StoreDB.distributorRow)
        }
    }

    /// What `insertRepository`, `saveImporter` and `saveDistributor` write for the same values.
    public func insert(_ rows: RepositoryRows) throws {
        try insertRepository(row: rows.repository)
        if let importer = rows.importer { try saveImporter(row: importer) }
        for d in rows.distributors { try saveDistributor(row: d) }
    }

    /// A notes column value built before the write: `setRepositoryNotes` for the same notes.
    public struct NotesRow: Sendable {
        let text: String
        public init(_ notes: JSONObject) { text = StoreDB.json(notes) }
    }

    /// Sets the notes; false when there is no such repository.
    public func setRepositoryNotes(_ id: String, row: NotesRow) throws -> Bool {
        try db.execute(cached: "UPDATE repositories SET notes = ? WHERE repo_id = ?", arguments: [row.text, id])
        return db.changesCount > 0
    }

    public func updateRepository(_ r: Repository) throws {
        try db.execute(cached: """
            UPDATE repositories SET display_name = ?, description = ?, notes = ?, scratchpad = ?, content_unit_counts = ?,
                   last_unit_added = ?, last_unit_removed = ?
            WHERE repo_id = ?
            """, arguments: [r.displayName, r.description, StoreDB.json(r.notes), StoreDB.json(r.scratchpad),
                             StoreDB.json(r.contentUnitCounts), r.lastUnitAdded?.epoch, r.lastUnitRemoved?.epoch, r.id])
    }

    /// A repository's notes and content hash, without the rest of its row; nil when it does not exist.
    public func repositoryNotes(_ id: String) throws -> (notes: JSONObject, contentHash: String?)? {
        guard let row = try Row.fetchOne(db, cached: "SELECT notes, content_hash FROM repositories WHERE repo_id = ?", arguments: [id])
        else { return nil }
        return (try StoreDB.decodeObject(row[0], "notes of \(id)"), row[1])
    }

    public func setRepositoryNotes(_ id: String, _ notes: JSONObject) throws {
        _ = try setRepositoryNotes(id, row: NotesRow(notes))
    }

    /// The repository's content hash (see migration `v3-content-hash`), or nil when none is known.
    public func contentHash(_ id: String) throws -> String? {
        try String.fetchOne(db, cached: "SELECT content_hash FROM repositories WHERE repo_id = ?", arguments: [id])
    }

    /// Records the content hash; a trigger clears it on the next change to the repository's configuration.
    public func setContentHash(_ id: String, _ hash: String?) throws {
        try db.execute(cached: "UPDATE repositories SET content_hash = ? WHERE repo_id = ?", arguments: [hash, id])
    }

    /// (id, content hash) of every repository: the reconciler's one-query read of the whole estate.
    public func contentHashes() throws -> [RepositoryContentHash] {
        var out: [RepositoryContentHash] = []
        let cursor = try Row.fetchCursor(db, cached: "SELECT repo_id, content_hash FROM repositories")
        while let row = try cursor.next() {
            out.append(RepositoryContentHash(id: row[0], contentHash: row[1]))
        }
        return out
    }

    /// The repositories with these ids (unknown ids are left out), in creation order.
    public func repositories(ids: [String]) throws -> [Repository] {
        try rows(of: ids, "SELECT * FROM repositories WHERE repo_id IN (?) ORDER BY seq", StoreDB.repository)
    }

    /// One page of repository ids: by id (ascending or descending), or in creation order when `ascending` is nil.
    public func repositoryIds(ascending: Bool?, limit: Int?, offset: Int) throws -> [String] {
        let order = ascending.map { $0 ? "repo_id ASC" : "repo_id DESC" } ?? "seq"
        return try String.fetchAll(db, cached: "SELECT repo_id FROM repositories ORDER BY \(order) LIMIT ? OFFSET ?",
                                   arguments: [limit ?? -1, max(0, offset)])
    }

    /// Runs `sql`, whose `IN (?)` takes the ids, in chunks that fit SQLite's limit on bound parameters (the order
    /// holds within a chunk), and decodes each row as it is stepped. (A row kept from `fetchAll` is a copy whose
    /// every lookup by column name lowercases the names; a cursor's row finds them in the statement's index.)
    func rows<T>(of ids: [String], _ sql: String, _ decode: (Row) throws -> T) throws -> [T] {
        var out: [T] = []
        for chunk in StoreDB.chunks(ids) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let cursor = try Row.fetchCursor(db, cached: sql.replacingOccurrences(of: "IN (?)", with: "IN (\(marks))"),
                                             arguments: StatementArguments(chunk))
            while let row = try cursor.next() { out.append(try decode(row)) }
        }
        return out
    }

    /// Splits ids into chunks that fit SQLite's limit on bound parameters.
    static func chunks(_ ids: [String]) -> [[String]] {
        stride(from: 0, to: ids.count, by: 500).map { Array(ids[$0..<min($0 + 500, ids.count)]) }
    }

    /// Deletes the repository; its importer, distributors, schedules, units and history go with it.
    public func deleteRepository(_ id: String) throws {
        try db.execute(cached: "DELETE FROM repositories WHERE repo_id = ?", arguments: [id])
    }
}
