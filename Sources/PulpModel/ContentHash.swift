/// A repository's id and the fingerprint of the configuration it is known to hold: the fingerprint the
/// reconciler last recorded in its notes, kept only while nothing else has changed the repository. nil when not known.
public struct RepositoryContentHash: Sendable, Hashable {
    public var id: String
    public var contentHash: String?

    public init(id: String, contentHash: String?) {
        self.id = id
        self.contentHash = contentHash
    }
}
