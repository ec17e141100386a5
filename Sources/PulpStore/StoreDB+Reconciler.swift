import GRDB

/// The reconciler's own state in the embedded store: a salt and the fingerprints of applied secrets.
extension StoreDB {
    public func meta(_ key: String) throws -> String? {
        try String.fetchOne(db, cached: "SELECT value FROM reconciler_meta WHERE key = ?", arguments: [key])
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try db.execute(cached: "INSERT INTO reconciler_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, value])
    }

    /// `(repo_id, plugin, key) → fingerprint`.
    public func secretFingerprints() throws -> [(repoId: String, plugin: String, key: String, fingerprint: String)] {
        try Row.fetchAll(db, cached: "SELECT repo_id, plugin, key, fingerprint FROM secret_fingerprints").compactMap { row in
            guard let r = row["repo_id"] as String?, let p = row["plugin"] as String?, let k = row["key"] as String?,
                  let f = row["fingerprint"] as String?
            else { return nil }
            return (r, p, k, f)
        }
    }

    /// Records a fingerprint, or forgets it when `fingerprint` is nil. A repository that is gone records nothing.
    public func setSecretFingerprint(repoId: String, plugin: String, key: String, fingerprint: String?) throws {
        if let fingerprint {
            try db.execute(cached: """
                INSERT INTO secret_fingerprints (repo_id, plugin, key, fingerprint)
                SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM repositories WHERE repo_id = ?)
                ON CONFLICT(repo_id, plugin, key) DO UPDATE SET fingerprint = excluded.fingerprint
                """, arguments: [repoId, plugin, key, fingerprint, repoId])
        } else {
            try db.execute(cached: "DELETE FROM secret_fingerprints WHERE repo_id = ? AND plugin = ? AND key = ?",
                           arguments: [repoId, plugin, key])
        }
    }
}
