public import PulpContract
import PulpModel

/// The salt and secret fingerprints of a target that keeps them itself (the embedded store), and the apply in
/// progress there.
public struct StoreReconcilerState: ReconcilerState {
    public let store: any ReconcilerStateStore
    /// Read-only: a missing salt means no secret was ever applied, so any fresh salt will do.
    public var readOnly: Bool

    public init(store: any ReconcilerStateStore, readOnly: Bool = false) {
        self.store = store
        self.readOnly = readOnly
    }

    public func salt() async throws -> String {
        // Read first: a plan on a store that has its salt writes nothing.
        if let s = try await store.reconcilerValue("secret_salt") { return s }
        if readOnly { return Fingerprinter.newSalt() }
        return try await store.reconcilerValue("secret_salt", orSet: Fingerprinter.newSalt())
    }

    public func secretFingerprints() async throws -> [SecretKey: String] {
        var out: [SecretKey: String] = [:]
        for f in try await store.secretFingerprintRecords() {
            if let fp = f.fingerprint { out[SecretKey(repoId: f.repoId, plugin: f.plugin, key: f.key)] = fp }
        }
        return out
    }

    public func recordSecretFingerprints(_ changes: [SecretKey: String?]) async throws {
        try await store.recordSecretFingerprints(changes.map {
            SecretFingerprintRecord(repoId: $0.key.repoId, plugin: $0.key.plugin, key: $0.key.key, fingerprint: $0.value)
        })
    }

    public func accessRecords() async throws -> [AccessRecord] { try await store.accessRecords() }

    public func recordAccess(_ records: [AccessRecord]) async throws { try await store.recordAccess(records) }

    public func lastApply() async throws -> ApplyRecord? {
        guard let text = try await store.reconcilerValue("last_apply"), let v = try? JSONValue.parse(text) else { return nil }
        return ApplyRecord(json: v)
    }

    public func recordApply(_ record: ApplyRecord) async throws {
        guard !readOnly else { return }
        try await store.setReconcilerValue("last_apply", record.json.serialized())
    }

    /// Marks an apply's task group as in progress; a later apply that finds it still marked knows the
    /// process died (it holds the lock) and cancels the group's leftover tasks.
    public func beginApply(_ groupId: String) async throws {
        try await store.setReconcilerValue("apply_in_progress", groupId)
    }

    public func endApply() async throws {
        try await store.setReconcilerValue("apply_in_progress", "")
    }

    public func abandonedApply() async throws -> String? {
        try await store.reconcilerValue("apply_in_progress").flatMap { $0.isEmpty ? nil : $0 }
    }
}
