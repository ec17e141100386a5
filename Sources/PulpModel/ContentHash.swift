/// A repository's id and the fingerprint of the configuration it is known to hold: the `pulpform_applied` note
/// pulpform last recorded, kept only while nothing else has changed the repository. nil when not known.
public struct RepositoryContentHash: Sendable, Hashable {
    public var id: String
    public var contentHash: String?

    public init(id: String, contentHash: String?) {
        self.id = id
        self.contentHash = contentHash
    }

    /// The note in which pulpform records the fingerprint of what it applied.
    public static let note = "pulpform_applied"
    /// Notes that come and go while an apply holds a repository; they are not part of its configuration.
    public static let leasePrefix = "pulpform_lease_"
}
