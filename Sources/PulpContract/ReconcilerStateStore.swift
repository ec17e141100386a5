/// A target that keeps the reconciler's own state (the embedded store): named values (the secret salt, the
/// apply in progress) and the fingerprints of the secrets it applied. The reconciler's `StoreReconcilerState`
/// reads and writes it; a live Pulp server has none, and its state is kept in a file instead.
public protocol ReconcilerStateStore: Sendable {
    func reconcilerValue(_ key: String) async throws -> String?
    func setReconcilerValue(_ key: String, _ value: String) async throws
    /// The value of `key`, which is set to `value` first when it has none, in one transaction.
    func reconcilerValue(_ key: String, orSet value: String) async throws -> String
    func secretFingerprintRecords() async throws -> [SecretFingerprintRecord]
    /// Records fingerprints; a record without one forgets its key. A repository that is gone records nothing.
    func recordSecretFingerprints(_ records: [SecretFingerprintRecord]) async throws
    func accessRecords() async throws -> [AccessRecord]
    /// Records what was applied to users and roles; a record without `applied` forgets its user or role.
    func recordAccess(_ records: [AccessRecord]) async throws
}

/// What the reconciler applied to a user or role it manages: the canonical fingerprint (users and roles have no
/// notes to keep it in), and for a user the fingerprint of the password it set (passwords cannot be read back).
public struct AccessRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case user, role
    }

    public var kind: Kind
    public var name: String
    /// Nil forgets the record.
    public var applied: String?
    public var passwordFingerprint: String?

    public init(kind: Kind, name: String, applied: String?, passwordFingerprint: String? = nil) {
        self.kind = kind
        self.name = name
        self.applied = applied
        self.passwordFingerprint = passwordFingerprint
    }

    /// `user:<login>` or `role:<id>`: the plan's unit for the object.
    public var unit: String { "\(kind.rawValue):\(name)" }
}

/// The fingerprint of a secret config value that the reconciler applied, by repository, plugin and key.
public struct SecretFingerprintRecord: Sendable, Hashable {
    public var repoId: String
    public var plugin: String
    public var key: String
    public var fingerprint: String?

    public init(repoId: String, plugin: String, key: String, fingerprint: String?) {
        self.repoId = repoId
        self.plugin = plugin
        self.key = key
        self.fingerprint = fingerprint
    }
}
