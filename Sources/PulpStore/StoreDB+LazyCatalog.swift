import GRDB

/// The lazy catalog: where to fetch the file of a package a deferred sync stored without it.
extension StoreDB {
    /// Records (or updates) where each unit's file is, for this repository.
    public func setLazyCatalog(repoId: String, _ entries: [(unitId: String, url: String)]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO lazy_catalog (unit_id, repo_id, url) VALUES (?, ?, ?)
            ON CONFLICT (unit_id, repo_id) DO UPDATE SET url = excluded.url WHERE url IS NOT excluded.url
            """)
        for e in entries { try statement.execute(arguments: [e.unitId, repoId, e.url]) }
    }

    /// A unit's catalog URL, this repository's first (bound to the repository id): selected as `lazy_url`.
    private static let lazyURL = "(SELECT c.url FROM lazy_catalog c WHERE c.unit_id = u.unit_id ORDER BY c.repo_id = ? DESC LIMIT 1) AS lazy_url"

    /// A package of the repository whose file a client asked for by name: its unit, and where to fetch it if
    /// the content directory does not hold it (nil when it does, or when nothing says where).
    public func publishedPackage(repoId: String, filename: String) throws -> (unit: ContentUnit, url: String?)? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT u.*, \(Self.lazyURL)
            FROM repo_content r JOIN content_units u ON u.unit_id = r.unit_id
            WHERE r.repo_id = ? AND r.type_id IN ('rpm', 'srpm') AND json_extract(u.metadata, '$.filename') = ?
            LIMIT 1
            """, arguments: [repoId, repoId, filename]) else { return nil }
        return (try StoreDB.contentUnit(row), row["lazy_url"])
    }

    /// The repository's packages without their file, with where to fetch each (the repository's own catalog entry
    /// first); those no catalog entry names are left out.
    public func packagesToDownload(repoId: String) throws -> [(unit: ContentUnit, url: String)] {
        try Row.fetchAll(db, sql: """
            SELECT u.*, \(Self.lazyURL)
            FROM repo_content r JOIN content_units u ON u.unit_id = r.unit_id
            WHERE r.repo_id = ? AND r.type_id IN ('rpm', 'srpm') AND u.downloaded = 0
            """, arguments: [repoId, repoId]).compactMap { row in
            guard let url: String = row["lazy_url"] else { return nil }
            return (try StoreDB.contentUnit(row), url)
        }
    }

    /// The repository's packages whose file the store says it has (for `verify_all_units`).
    public func downloadedPackages(repoId: String) throws -> [ContentUnit] {
        try Row.fetchAll(db, sql: """
            SELECT u.* FROM repo_content r JOIN content_units u ON u.unit_id = r.unit_id
            WHERE r.repo_id = ? AND r.type_id IN ('rpm', 'srpm') AND u.downloaded = 1
            """, arguments: [repoId]).map(StoreDB.contentUnit)
    }

    /// Marks units' files missing (a sync or a verify found them gone or damaged): the units are as a deferred
    /// sync stores them, with no file, so that a publish links none and the next request or download fetches it.
    public func markMissing(_ unitIds: [String]) throws {
        let statement = try db.cachedStatement(sql: "UPDATE content_units SET downloaded = 0, file_sha256 = NULL WHERE unit_id = ?")
        for id in unitIds { try statement.execute(arguments: [id]) }
    }
}
