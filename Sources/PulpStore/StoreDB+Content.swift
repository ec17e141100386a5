public import Foundation
import GRDB
public import PulpModel

/// A content unit as stored: its key, metadata, and where its file is.
public struct ContentUnit: Sendable, Equatable {
    public var unitId: String
    public var typeId: String
    /// The sha256 of the key's sorted `k1v1k2v2…` (Pulp's `unit_key_as_digest`): one unit per type and key.
    public var keyDigest: String
    public var unitKey: JSONObject
    public var metadata: JSONObject
    /// For rpm and srpm: the package checksum that filelists and other name.
    public var pkgid: String?
    /// The file's address in the content directory, once downloaded.
    public var fileSha256: String?
    public var size: Int?
    public var downloaded: Bool
    public var lastUpdated: Double

    public init(unitId: String, typeId: String, keyDigest: String, unitKey: JSONObject, metadata: JSONObject = [:],
                pkgid: String? = nil, fileSha256: String? = nil, size: Int? = nil, downloaded: Bool = false, lastUpdated: Double)
    {
        self.unitId = unitId
        self.typeId = typeId
        self.keyDigest = keyDigest
        self.unitKey = unitKey
        self.metadata = metadata
        self.pkgid = pkgid
        self.fileSha256 = fileSha256
        self.size = size
        self.downloaded = downloaded
        self.lastUpdated = lastUpdated
    }
}

/// The three repodata snippets of a package.
public enum RepodataKind: String, Sendable, CaseIterable {
    case primary = "primary_xml", filelists = "filelists_xml", other = "other_xml"
}

/// Content units, their repodata snippets, and their association with repositories.
extension StoreDB {
    static func contentUnit(_ row: Row) throws -> ContentUnit {
        let id = try string(row, "unit_id")
        return ContentUnit(
            unitId: id, typeId: try string(row, "type_id"), keyDigest: try string(row, "key_digest"),
            unitKey: try decodeObject(row["unit_key"], "unit_key of \(id)"),
            metadata: try decodeObject(row["metadata"], "metadata of \(id)"), pkgid: row["pkgid"],
            fileSha256: row["file_sha256"], size: row["size"], downloaded: (row["downloaded"] as Int?) == 1,
            lastUpdated: row["last_updated"] ?? 0)
    }

    /// The units of one type with these key digests, by digest.
    public func contentUnits(typeId: String, digests: [String]) throws -> [String: ContentUnit] {
        var out: [String: ContentUnit] = [:]
        for chunk in stride(from: 0, to: digests.count, by: 500) {
            let part = Array(digests[chunk..<min(chunk + 500, digests.count)])
            let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM content_units WHERE type_id = ? AND key_digest IN (\(marks))",
                                        arguments: StatementArguments([typeId] + part))
            for row in rows {
                let u = try StoreDB.contentUnit(row)
                out[u.keyDigest] = u
            }
        }
        return out
    }

    public func contentUnit(id: String) throws -> ContentUnit? {
        try Row.fetchOne(db, cached: "SELECT * FROM content_units WHERE unit_id = ?", arguments: [id]).map(StoreDB.contentUnit)
    }

    /// Inserts a unit (an erratum, a comps group, a metadata file: packages go through `insertPackageUnit`).
    public func insertContentUnit(_ u: ContentUnit) throws {
        try db.execute(cached: """
            INSERT INTO content_units (unit_id, type_id, key_digest, unit_key, metadata, pkgid, file_sha256, size, downloaded, last_updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [u.unitId, u.typeId, u.keyDigest, StoreDB.json(u.unitKey), StoreDB.json(u.metadata), u.pkgid,
                             u.fileSha256, u.size, u.downloaded ? 1 : 0, u.lastUpdated])
    }

    /// Inserts a package's unit whose key and metadata are JSON already (a sync's, written straight from
    /// primary), with its file (none yet for a deferred download: `sha256` nil) and its repodata snippets. When another unit has the same key (a sync of
    /// another repository stored it meanwhile), nothing is inserted; that unit is given the file if it had
    /// none, and its id is returned.
    public func insertPackageUnit(unitId: String, typeId: String, keyDigest: String, unitKey: String, metadata: String,
                                  pkgid: String, sha256: String?, size: Int, now: Double,
                                  primary: [UInt8], filelists: [UInt8]?, other: [UInt8]?) throws -> String?
    {
        try db.execute(cached: """
            INSERT INTO content_units (unit_id, type_id, key_digest, unit_key, metadata, pkgid, file_sha256, size, downloaded, last_updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (type_id, key_digest) DO NOTHING
            """, arguments: [unitId, typeId, keyDigest, unitKey, metadata, pkgid, sha256, size, sha256 == nil ? 0 : 1, now])
        guard db.changesCount > 0 else {
            guard let row = try Row.fetchOne(db, cached: "SELECT unit_id, downloaded FROM content_units WHERE type_id = ? AND key_digest = ?",
                                             arguments: [typeId, keyDigest]), let other: String = row["unit_id"]
            else { throw StoreError.corrupt("content unit \(keyDigest)") }
            if let sha256, (row["downloaded"] as Int?) != 1 { try markDownloaded(other, sha256: sha256, size: size, now: now) }
            return other
        }
        try db.execute(cached: "INSERT INTO unit_repodata (unit_id, primary_xml, filelists_xml, other_xml) VALUES (?, ?, ?, ?)",
                       arguments: [unitId, Data(primary), filelists.map { Data($0) }, other.map { Data($0) }])
        return nil
    }

    /// Replaces a unit's metadata (an erratum merged, a comps group re-read).
    public func updateContentUnitMetadata(_ unitId: String, _ metadata: JSONObject, now: Double) throws {
        try db.execute(cached: "UPDATE content_units SET metadata = ?, last_updated = ? WHERE unit_id = ?",
                       arguments: [StoreDB.json(metadata), now, unitId])
    }

    /// Sets one snippet of the units whose package checksum is `pkgid`, where they have none yet.
    public func setRepodata(_ kind: RepodataKind, pkgid: String, _ bytes: [UInt8]) throws {
        try db.execute(cached: """
            UPDATE unit_repodata SET \(kind.rawValue) = ?
            WHERE \(kind.rawValue) IS NULL AND unit_id IN (SELECT unit_id FROM content_units WHERE pkgid = ?)
            """, arguments: [Data(bytes), pkgid])
    }

    /// Records that a unit's file is in the content directory.
    public func markDownloaded(_ unitId: String, sha256: String, size: Int, now: Double) throws {
        try db.execute(cached: "UPDATE content_units SET downloaded = 1, file_sha256 = ?, size = ?, last_updated = ? WHERE unit_id = ?",
                       arguments: [sha256, size, now, unitId])
    }

    /// Associates units with a repository. A unit it already holds has its `updated` bumped. Returns how many were
    /// added and how many were already there.
    public func associate(repoId: String, units: [(unitId: String, typeId: String)], now: Double) throws -> (added: Int, updated: Int) {
        var added = 0, updated = 0
        // One statement for a unit the repository did not hold (all of a first sync's), two for one it did.
        let insert = try db.cachedStatement(sql: """
            INSERT INTO repo_content (repo_id, unit_id, type_id, created, updated) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (repo_id, unit_id) DO NOTHING
            """)
        let bump = try db.cachedStatement(sql: "UPDATE repo_content SET updated = ? WHERE repo_id = ? AND unit_id = ?")
        for u in units {
            try insert.execute(arguments: [repoId, u.unitId, u.typeId, now, now])
            if db.changesCount > 0 {
                added += 1
            } else {
                try bump.execute(arguments: [now, repoId, u.unitId])
                updated += 1
            }
        }
        return (added, updated)
    }

    /// Removes units from a repository; returns how many it held.
    public func disassociate(repoId: String, unitIds: [String]) throws -> Int {
        var removed = 0
        let statement = try db.cachedStatement(sql: "DELETE FROM repo_content WHERE repo_id = ? AND unit_id = ?")
        for id in unitIds {
            try statement.execute(arguments: [repoId, id])
            removed += db.changesCount
        }
        return removed
    }

    /// The units a repository holds, of these types (all types if nil).
    public func repositoryContent(repoId: String, typeIds: [String]? = nil) throws -> [ContentUnit] {
        try repositoryUnitRows(repoId: repoId, typeIds: typeIds, columns: "u.*").map(StoreDB.contentUnit)
    }

    /// The rows of a repository's units (`u`, joined with their associations `r`), by type then unit id.
    func repositoryUnitRows(repoId: String, typeIds: [String]?, columns: String, limit: Int? = nil, offset: Int = 0) throws -> [Row] {
        let (page, args) = associationPage(repoId: repoId, typeIds: typeIds, limit: limit, offset: offset)
        return try Row.fetchAll(db, sql: "SELECT \(columns) FROM (\(page)) r JOIN content_units u ON u.unit_id = r.unit_id ORDER BY r.type_id, r.unit_id",
                                arguments: StatementArguments(args))
    }

    /// The repository's associations (`unit_id`, `type_id`, `created`, `updated`) of these types (all types if
    /// nil), by type then unit id; a page of them with `limit` and `offset`. Read from the association index
    /// alone, so that a deep `offset` walks only that index and a join reads only the page's units.
    private func associationPage(repoId: String, typeIds: [String]?, limit: Int?, offset: Int) -> (String, [(any DatabaseValueConvertible)?]) {
        var sql = "SELECT unit_id, type_id, created, updated FROM repo_content WHERE repo_id = ?"
        var args: [(any DatabaseValueConvertible)?] = [repoId]
        if let typeIds {
            sql += " AND type_id IN (\(Array(repeating: "?", count: typeIds.count).joined(separator: ",")))"
            args += typeIds.map { $0 as (any DatabaseValueConvertible)? }
        }
        sql += " ORDER BY type_id, unit_id"
        if limit != nil || offset > 0 {
            sql += " LIMIT ? OFFSET ?"
            args += [limit ?? -1, offset]
        }
        return (sql, args)
    }

    /// A repository's units with their association times (`created`, `updated`), by type then unit id; only the
    /// `typeIds` given, when given; a page of them with `limit` and `offset`.
    public func repositoryAssociations(repoId: String, typeIds: [String]? = nil, limit: Int? = nil,
                                       offset: Int = 0) throws -> [(unit: ContentUnit, created: Double, updated: Double)] {
        try repositoryUnitRows(repoId: repoId, typeIds: typeIds, columns: "u.*, r.created AS assoc_created, r.updated AS assoc_updated",
                               limit: limit, offset: offset).map { row in
            (try StoreDB.contentUnit(row), row["assoc_created"] ?? 0, row["assoc_updated"] ?? 0)
        }
    }

    /// One association of a repository's page of units, read without decoding the unit: its key and metadata
    /// as the store keeps them (compact JSON with sorted keys) and its snippets, valid during the call only.
    public struct AssociationRow {
        public var unitId: String
        public var typeId: String
        public var unitKey: Data
        public var metadata: Data
        public var downloaded: Bool
        public var fileSha256: String?
        public var lastUpdated: Double
        public var created: Double
        public var updated: Double
        /// Nil when the unit has no snippets row (or they were not asked for); a nil snippet is one not stored.
        public var repodata: (primary: Data?, filelists: Data?, other: Data?)?
    }

    /// Calls `body` with a page of the repository's units, in `repositoryAssociations`' order (by type, then unit
    /// id): only the page's units and snippets are read.
    public func eachRepositoryAssociation(repoId: String, typeIds: [String]?, limit: Int?, offset: Int, snippets: Bool,
                                          _ body: (AssociationRow) throws -> Void) throws {
        let (page, args) = associationPage(repoId: repoId, typeIds: typeIds, limit: limit, offset: offset)
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT u.unit_id, u.type_id, u.unit_key, u.metadata, u.downloaded, u.file_sha256, u.last_updated, p.created, p.updated,
                   \(snippets ? "d.unit_id, d.primary_xml, d.filelists_xml, d.other_xml" : "NULL, NULL, NULL, NULL")
            FROM (\(page)) p JOIN content_units u ON u.unit_id = p.unit_id
            \(snippets ? "LEFT JOIN unit_repodata d ON d.unit_id = u.unit_id" : "")
            ORDER BY p.type_id, p.unit_id
            """, arguments: StatementArguments(args))
        while let row = try cursor.next() {
            guard let id = row[0] as String?, let typeId = row[1] as String? else { throw StoreError.corrupt("a unit without an id or type") }
            let hasRepodata = row.hasNull(atIndex: 9) == false
            try row.withUnsafeData(atIndex: 2) { key in
                try row.withUnsafeData(atIndex: 3) { metadata in
                    try row.withUnsafeData(atIndex: 10) { primary in
                        try row.withUnsafeData(atIndex: 11) { filelists in
                            try row.withUnsafeData(atIndex: 12) { other in
                                try body(AssociationRow(
                                    unitId: id, typeId: typeId, unitKey: key ?? Data("{}".utf8), metadata: metadata ?? Data("{}".utf8),
                                    downloaded: (row[4] as Int?) == 1, fileSha256: row[5], lastUpdated: row[6] ?? 0,
                                    created: row[7] ?? 0, updated: row[8] ?? 0,
                                    repodata: hasRepodata ? (primary, filelists, other) : nil))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every unit of a type, by unit id.
    public func contentUnits(typeId: String) throws -> [ContentUnit] {
        try Row.fetchAll(db, sql: "SELECT * FROM content_units WHERE type_id = ? ORDER BY unit_id", arguments: [typeId])
            .map(StoreDB.contentUnit)
    }

    /// The repositories that hold each of the given units, sorted, by unit id.
    public func repositoryMemberships(unitIds: [String]) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for chunk in stride(from: 0, to: unitIds.count, by: 500) {
            let part = Array(unitIds[chunk..<min(chunk + 500, unitIds.count)])
            let rows = try Row.fetchAll(db, sql: """
                SELECT unit_id, repo_id FROM repo_content
                WHERE unit_id IN (\(Array(repeating: "?", count: part.count).joined(separator: ","))) ORDER BY repo_id
                """, arguments: StatementArguments(part))
            for row in rows {
                if let unit: String = row["unit_id"], let repo: String = row["repo_id"] { out[unit, default: []].append(repo) }
            }
        }
        return out
    }

    /// The repodata snippets of the given units, as text, by unit id (those that have any).
    public func repodataSnippets(unitIds: [String]) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for chunk in stride(from: 0, to: unitIds.count, by: 500) {
            let part = Array(unitIds[chunk..<min(chunk + 500, unitIds.count)])
            let rows = try Row.fetchAll(db, sql: """
                SELECT unit_id, primary_xml, filelists_xml, other_xml FROM unit_repodata
                WHERE unit_id IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))
                """, arguments: StatementArguments(part))
            for row in rows {
                var snippets: [String: String] = [:]
                for (name, column) in [("primary", "primary_xml"), ("filelists", "filelists_xml"), ("other", "other_xml")] {
                    if let data = row[column] as Data? { snippets[name] = String(decoding: data, as: UTF8.self) }
                }
                if let id: String = row["unit_id"] { out[id] = snippets }
            }
        }
        return out
    }

    /// How many units of each type a repository holds (legacy harness units included).
    public func contentCounts(repoId: String) throws -> [String: Int] {
        var out = try unitCounts(repoId: repoId)
        for row in try Row.fetchAll(db, cached: "SELECT type_id, COUNT(*) AS n FROM repo_content WHERE repo_id = ? GROUP BY type_id",
                                    arguments: [repoId]) {
            if let t = row["type_id"] as String?, let n = row["n"] as Int?, n > 0 { out[t, default: 0] += n }
        }
        return out
    }

    /// Calls `body` with each package the repository holds and its snippets, in a stable order, reading the rows
    /// as it goes (a publish of 50,000 packages does not hold them all).
    /// What a publish needs of each package of the repository, read without decoding the unit: its file, its
    /// file name, its NEVRA joined by NULs (empty unless `nevra`), and its snippets (only valid during `body`).
    public struct PackageToPublish {
        public var fileSha256: String?
        public var filename: String?
        public var nevra: String
        /// Not copied out of SQLite: valid during `body` only.
        public var primary: Data?
        public var filelists: Data?
        public var other: Data?
    }

    public func eachPackageToPublish(repoId: String, nevra wantNevra: Bool = true, _ body: (PackageToPublish) throws -> Void) throws {
        // The units' row ids first (from the unit_id index alone), then the rows in row id order, 500 at a time:
        // the pages are read in the order they lie in the file, not once per package in unit id order (a
        // repository of 50,000 packages is most of a store far larger than SQLite's cache). A sync stores a
        // unit and its snippets together, so both tables' rows come in nearly the same order.
        var rowids = try Int64.fetchAll(db, sql: """
            SELECT u.rowid FROM repo_content r JOIN content_units u ON u.unit_id = r.unit_id
            WHERE r.repo_id = ? AND r.type_id IN ('rpm', 'srpm')
            """, arguments: [repoId])
        rowids.sort()
        for chunk in stride(from: 0, to: rowids.count, by: 500) {
            let ids = rowids[chunk..<min(chunk + 500, rowids.count)].map(String.init).joined(separator: ",")
            try eachPackageToPublish(rowids: ids, nevra: wantNevra, body)
        }
    }

    private func eachPackageToPublish(rowids: String, nevra wantNevra: Bool, _ body: (PackageToPublish) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT u.file_sha256, json_extract(u.metadata, '$.filename'), json_extract(u.unit_key, '$.name'),
                   json_extract(u.unit_key, '$.epoch'), json_extract(u.unit_key, '$.version'),
                   json_extract(u.unit_key, '$.release'), json_extract(u.unit_key, '$.arch'),
                   d.primary_xml, d.filelists_xml, d.other_xml
            FROM content_units u LEFT JOIN unit_repodata d ON d.unit_id = u.unit_id
            WHERE u.rowid IN (\(rowids)) ORDER BY u.rowid
            """)
        while let row = try cursor.next() {
            func text(_ i: Int) -> String {
                switch (row[i] as DatabaseValue).storage {
                case .string(let s): return s
                case .int64(let n): return String(n)
                default: return ""
                }
            }
            var nevra = ""
            if wantNevra {
                let epoch = text(3)
                nevra = "\(text(2))\u{0}\(epoch.isEmpty ? "0" : epoch)\u{0}\(text(4))\u{0}\(text(5))\u{0}\(text(6))"
            }
            try row.withUnsafeData(atIndex: 7) { primary in
                try row.withUnsafeData(atIndex: 8) { filelists in
                    try row.withUnsafeData(atIndex: 9) { other in
                        try body(PackageToPublish(fileSha256: row[0], filename: row[1], nevra: nevra, primary: primary,
                                                  filelists: filelists, other: other))
                    }
                }
            }
        }
    }
}

extension StoreDB {
    /// How many of the repository's packages have no file (skip-if-unchanged needs none).
    /// The pkgids of packages whose filelists or other snippet is missing (added by a sync that was killed or
    /// failed before it read them).
    public func pkgidsMissingRepodata() throws -> Set<String> {
        Set(try String.fetchAll(db, sql: """
            SELECT u.pkgid FROM unit_repodata d INDEXED BY unit_repodata_incomplete CROSS JOIN content_units u ON u.unit_id = d.unit_id
            WHERE (d.filelists_xml IS NULL OR d.other_xml IS NULL) AND u.pkgid IS NOT NULL
            """))
    }

    /// Packages of the repository whose file name another of its packages has already (same NEVRA, another
    /// checksum): a publish serves only one of each.
    public func duplicatePackageFilenames(repoId: String) throws -> Int {
        try Int.fetchOne(db, cached: """
            SELECT COUNT(*) - COUNT(DISTINCT json_extract(u.metadata, '$.filename')) FROM repo_content r
            JOIN content_units u ON u.unit_id = r.unit_id WHERE r.repo_id = ? AND r.type_id IN ('rpm', 'srpm')
            """, arguments: [repoId]) ?? 0
    }

    public func packagesWithoutFile(repoId: String) throws -> Int {
        try Int.fetchOne(db, cached: """
            SELECT COUNT(*) FROM content_units u INDEXED BY content_units_not_downloaded
            CROSS JOIN repo_content r ON r.repo_id = ? AND r.unit_id = u.unit_id
            WHERE u.downloaded = 0 AND r.type_id IN ('rpm', 'srpm')
            """, arguments: [repoId]) ?? 0
    }

    /// The ids of the repository's units of one type.
    public func repositoryUnitIds(repoId: String, typeId: String) throws -> [String] {
        try String.fetchAll(db, cached: "SELECT unit_id FROM repo_content WHERE repo_id = ? AND type_id = ?", arguments: [repoId, typeId])
    }
}
