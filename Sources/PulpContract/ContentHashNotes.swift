public import PulpModel

/// Which repository notes are the reconciler's record of the configuration a repository holds: the mechanism
/// behind the fast path of plans, which reads only the repositories whose recorded fingerprint differs from
/// the manifests'. The reconciler defines the notes (`OwnershipNotes.contentHash`); a target that keeps content
/// hashes (the embedded store) is given them and follows them.
public struct ContentHashNotes: Sendable, Hashable {
    /// The note whose value is the fingerprint of what was applied.
    public var recorded: String
    /// Notes that may be written along with it, as part of the same bookkeeping.
    public var alongside: Set<String>
    /// Notes that come and go while an apply holds a repository (leases): writing only these changes nothing.
    public var transientPrefix: String

    public init(recorded: String, alongside: Set<String>, transientPrefix: String) {
        self.recorded = recorded
        self.alongside = alongside
        self.transientPrefix = transientPrefix
    }

    /// The fingerprint a notes delta records when it is this bookkeeping alone, else nil.
    public func recordedFingerprint(_ notes: JSONObject) -> String? {
        guard case .string(let applied)? = notes[recorded],
              notes.keys.allSatisfy({ $0 == recorded || alongside.contains($0) })
        else { return nil }
        return applied
    }

    /// Whether a notes delta only writes transient notes.
    public func isTransient(_ notes: JSONObject) -> Bool {
        notes.keys.allSatisfy { $0.hasPrefix(transientPrefix) }
    }
}
