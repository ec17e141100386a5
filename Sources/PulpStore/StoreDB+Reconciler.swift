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

    /// The users and roles the reconciler manages: `(kind, name, applied, password fingerprint)`.
    public func accessRecords() throws -> [(kind: String, name: String, applied: String, password: String?)] {
        try Row.fetchAll(db, cached: "SELECT kind, name, applied, password_fingerprint FROM reconciler_access").compactMap { row in
            guard let k = row["kind"] as String?, let n = row["name"] as String?, let a = row["applied"] as String? else { return nil }
            return (k, n, a, row["password_fingerprint"] as String?)
        }
    }

    /// Records what the reconciler applied to a user or role, or forgets it when `applied` is nil.
    public func setAccessRecord(kind: String, name: String, applied: String?, password: String?) throws {
        if let applied {
            try db.execute(cached: """
                INSERT INTO reconciler_access (kind, name, applied, password_fingerprint) VALUES (?, ?, ?, ?)
                ON CONFLICT(kind, name) DO UPDATE SET applied = excluded.applied, password_fingerprint = excluded.password_fingerprint
                """, arguments: [kind, name, applied, password])
        } else {
            try db.execute(cached: "DELETE FROM reconciler_access WHERE kind = ? AND name = ?", arguments: [kind, name])
        }
    }
}
