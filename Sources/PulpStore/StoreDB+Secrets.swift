import Foundation
import GRDB
import PulpModel

/// How the store's importer secrets are held: by the key that sealed them, or in clear (a store from before
/// secrets were sealed).
public struct SecretCensus: Sendable, Equatable {
    /// Sealed secrets by key id.
    public var byKey: [String: Int] = [:]
    /// Secrets still in clear.
    public var clear = 0
}

/// The store's secrets as a whole: a census, and re-sealing under the first key (rotation).
extension PulpStore {
    /// Counts the secrets by the key that sealed them.
    public func secretCensus() async throws -> SecretCensus {
        let secrets = self.secrets
        return try await read { db in
            var census = SecretCensus()
            for i in try db.importersByRepository().values {
                census.clear += secrets.clearKeys(i).count
                for v in i.config.values where StoreSecrets.isSealed(v) {
                    census.byKey[StoreSecrets.keyId(v) ?? "?", default: 0] += 1
                }
            }
            return census
        }
    }

    /// The ids of keys that the census's sealed secrets name and the key file does not hold.
    public func missingSecretKeys(_ census: SecretCensus) throws -> [String] {
        try census.byKey.keys.sorted().filter { try secrets.keyring.key(id: $0) == nil }
    }

    /// Seals every importer secret under the key file's first key, in one transaction: clear ones and ones sealed
    /// under older keys alike. Repositories keep their content hashes (re-sealing changes no configuration), so
    /// the reconciler sees no drift. Returns how many secrets were sealed again. Fails, changing nothing, when a
    /// secret does not decrypt.
    @discardableResult
    public func resealSecrets() async throws -> Int {
        let secrets = self.secrets
        let first = try secrets.keyring.sealingKey().id
        return try await write(alone: true) { db in
            var count = 0
            for (repoId, importer) in try db.importersByRepository() {
                let stale = secrets.staleKeys(importer, first: first)
                guard !stale.isEmpty else { continue }
                let hash = try db.contentHash(repoId)
                try db.saveImporter(try secrets.reseal(importer))
                try db.setContentHash(repoId, hash)
                count += stale.count
            }
            return count
        }
    }

    /// What a rotation did.
    public struct Rotation: Sendable {
        /// The key that now encrypts.
        public var keyId: String
        /// Secrets sealed again under it.
        public var resealed: Int
        /// Keys taken out of the key file (with `removeOld`).
        public var removed: [String]
        /// Older keys left in the key file.
        public var kept: [String]
    }

    /// `pulpform keys rotate`: a new key on line 1 of the key file, every secret sealed again under it in one
    /// transaction, and, with `removeOld`, the other keys taken out once no secret needs them. Refused, changing
    /// nothing, when a secret names a key the file does not hold. A crash in between leaves the new key on line 1
    /// and the secrets under the old ones, which still decrypt: running it again converges.
    public func rotateSecretKeys(removeOld: Bool) async throws -> Rotation {
        let missing = try missingSecretKeys(try await secretCensus())
        guard missing.isEmpty else {
            throw StoreError.secrets("secrets of this store were encrypted with key\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")), "
                                     + "which the key file \(secrets.keyring.path) does not hold: restore it before rotating")
        }
        let keyId = try secrets.keyring.addKey()
        let resealed = try await resealSecrets()
        var removed: [String] = []
        if removeOld {
            let used = Set(try await secretCensus().byKey.keys)
            removed = secrets.keyring.keyIds.filter { $0 != keyId && !used.contains($0) }
            try secrets.keyring.removeKeys(Set(removed))
        }
        return Rotation(keyId: keyId, resealed: resealed, removed: removed, kept: secrets.keyring.keyIds.filter { $0 != keyId })
    }
}

extension PulpStore {
    /// Moves the WAL into the main file (so that a copy of that file alone holds everything): for tests.
    func checkpoint() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

extension StoreDB {
    /// The importer's config column as stored (sealed secrets and all): for tests and diagnostics.
    func rawImporterConfig(repoId: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT config FROM importers WHERE repo_id = ?", arguments: [repoId])
    }

    /// Writes the importer's config column as given, unsealed: for tests that need what an older pulpform wrote.
    func setRawImporterConfig(repoId: String, _ text: String) throws {
        try db.execute(sql: "UPDATE importers SET config = ? WHERE repo_id = ?", arguments: [text, repoId])
    }
}
