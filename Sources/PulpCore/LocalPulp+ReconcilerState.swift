public import PulpContract
import PulpStore

/// The reconciler's state, kept in the store beside the resources.
extension LocalPulp: ReconcilerStateStore {
    public func reconcilerValue(_ key: String) async throws -> String? {
        try await store.read { db in try db.meta(key) }
    }

    public func setReconcilerValue(_ key: String, _ value: String) async throws {
        try await store.write { db in try db.setMeta(key, value) }
    }

    public func reconcilerValue(_ key: String, orSet value: String) async throws -> String {
        try await store.write { db in
            if let existing = try db.meta(key) { return existing }
            try db.setMeta(key, value)
            return value
        }
    }

    public func secretFingerprintRecords() async throws -> [SecretFingerprintRecord] {
        try await store.read { db in
            try db.secretFingerprints().map { SecretFingerprintRecord(repoId: $0.repoId, plugin: $0.plugin, key: $0.key, fingerprint: $0.fingerprint) }
        }
    }

    public func recordSecretFingerprints(_ records: [SecretFingerprintRecord]) async throws {
        try await store.write { db in
            for r in records { try db.setSecretFingerprint(repoId: r.repoId, plugin: r.plugin, key: r.key, fingerprint: r.fingerprint) }
        }
    }

    public func accessRecords() async throws -> [AccessRecord] {
        try await store.read { db in
            try db.accessRecords().compactMap { r in
                AccessRecord.Kind(rawValue: r.kind).map { AccessRecord(kind: $0, name: r.name, applied: r.applied, passwordFingerprint: r.password) }
            }
        }
    }

    public func recordAccess(_ records: [AccessRecord]) async throws {
        try await store.write { db in
            for r in records {
                try db.setAccessRecord(kind: r.kind.rawValue, name: r.name, applied: r.applied, password: r.passwordFingerprint)
            }
        }
    }
}
