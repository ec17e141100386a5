import Foundation
public import PulpContract
public import PulpModel

/// One problem in a manifest, as `file:line:column: message`.
public struct Diagnostic: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var mark: SourceMark
    public var message: String

    public init(_ mark: SourceMark, _ message: String) {
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(mark): \(message)" }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.mark, a.message) < (b.mark, b.message)
    }
}

/// Every problem found in the manifests, reported together.
public struct ManifestErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Where a secret comes from. Its value is read only to fingerprint it and to apply it; it is never printed.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible {
    case env(String)
    case file(String)

    /// How the manifest spells it: `{env: NAME}` or `{file: PATH}`.
    public var description: String {
        switch self {
        case .env(let n): return "{env: \(n)}"
        case .file(let p): return "{file: \(p)}"
        }
    }
}

/// A config value: plain, or a reference to a secret.
public enum ConfigValue: Sendable, Hashable {
    case plain(JSONValue)
    case secret(SecretSource)
}

/// A sync or publish schedule as declared.
public struct DesiredSchedule: Sendable, Hashable {
    public var schedule: String
    public var enabled: Bool
    public var failureThreshold: Int?
    public var overrideConfig: JSONObject
    public var mark: SourceMark

    public init(schedule: String, enabled: Bool = true, failureThreshold: Int? = nil, overrideConfig: JSONObject = [:],
                mark: SourceMark)
    {
        self.schedule = schedule
        self.enabled = enabled
        self.failureThreshold = failureThreshold
        self.overrideConfig = overrideConfig
        self.mark = mark
    }
}

public struct DesiredImporter: Sendable, Hashable {
    public var type: String
    public var config: [String: ConfigValue]
    public var mark: SourceMark
    /// Sync once when the plan creates the repository or sets this importer (`sync_after_create`). Not part of
    /// the repository's state: it never makes a diff of its own.
    public var syncAfterCreate = false
}

public struct DesiredDistributor: Sendable, Hashable {
    public var id: String
    public var type: String
    public var autoPublish: Bool
    public var config: [String: ConfigValue]
    public var schedules: [DesiredSchedule]
    public var mark: SourceMark
}

public struct DesiredRepository: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?
    public var notes: JSONObject
    public var importer: DesiredImporter?
    public var distributors: [DesiredDistributor]
    public var syncSchedules: [DesiredSchedule]
    public var mark: SourceMark
    /// `protect: true`: never deleted or replaced by a plan (see `DestroyGuard`); recorded on the target.
    public var protect = false
    /// Where `protect: true` is written (the repository's own line, or its document's `defaults`).
    public var protectMark: SourceMark?
    /// `ignore_changes:`: field paths as the plan prints them (`importer.config.feed`, `notes.owner`; `*` and `?`
    /// globs), set on create and never updated or reported as drift afterwards (see `IgnoredFields`).
    public var ignoreChanges: [String] = []
    /// Where each of `ignoreChanges` is written.
    public var ignoreMarks: [SourceMark] = []
}

/// A consumer content schedule as declared.
public struct DesiredConsumerSchedule: Sendable, Hashable {
    public var action: ScheduleKind
    public var schedule: String
    public var enabled: Bool
    public var failureThreshold: Int?
    public var units: [JSONValue]
    public var options: JSONObject
    public var mark: SourceMark
}

public struct DesiredConsumer: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?
    public var notes: JSONObject
    public var schedules: [DesiredConsumerSchedule]
    public var mark: SourceMark
    public var protect = false
    public var protectMark: SourceMark?
}

/// A user as declared: never a password, only where to read one.
public struct DesiredUser: Sendable, Hashable {
    public var login: String
    public var name: String?
    /// Nil: the user has no password (an API token or a login certificate logs them in).
    public var password: SecretSource?
    public var mark: SourceMark
}

/// A role as declared: its grants (resource as stored → operation names in Pulp's order) and its members.
/// `super-users` may be declared with members only: it is built in, with every operation.
public struct DesiredRole: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?
    public var permissions: [String: [String]]
    public var members: [String]
    /// Where each member is named, for the plan's check that they exist.
    public var memberMarks: [String: SourceMark]
    public var mark: SourceMark

    public var isBuiltIn: Bool { id == AccessRules.superUsersRole }
}

/// Everything the manifests declare.
public struct Manifest: Sendable {
    public var repositories: [DesiredRepository]
    public var consumers: [DesiredConsumer]
    public var users: [DesiredUser] = []
    public var roles: [DesiredRole] = []
    /// The files read, in order.
    public var files: [String]
    /// Canonical fingerprints of the repositories without secrets, computed on another core while the files were
    /// still being read (`ManifestLoader.fingerprinting`), under `fingerprintCatalog`. Planners with that catalog
    /// use them instead of computing them again.
    public var fingerprints: [String: String] = [:]
    public var fingerprintCatalog: PluginCatalog?

    public init(repositories: [DesiredRepository] = [], consumers: [DesiredConsumer] = [], files: [String] = []) {
        self.repositories = repositories
        self.consumers = consumers
        self.files = files
    }

    /// Every secret referenced, with where.
    public var secretReferences: [(SecretSource, SourceMark)] {
        var out: [(SecretSource, SourceMark)] = []
        for r in repositories {
            for case .secret(let s) in r.importer?.config.values.map({ $0 }) ?? [] { out.append((s, r.importer?.mark ?? r.mark)) }
            for d in r.distributors { for case .secret(let s) in d.config.values.map({ $0 }) { out.append((s, d.mark)) } }
        }
        for u in users { if let p = u.password { out.append((p, u.mark)) } }
        return out
    }

    /// Whether the manifests manage access control at all: only then are users and roles read from the target
    /// (which takes the right to read them).
    public var declaresAccess: Bool { !users.isEmpty || !roles.isEmpty }

    /// `ignore_changes` of the repositories that have one, by id.
    public var ignoredFields: [String: [String]] {
        var out: [String: [String]] = [:]
        for r in repositories where !r.ignoreChanges.isEmpty { out[r.id] = r.ignoreChanges }
        return out
    }
}

/// The notes pulpform keeps on the repositories and consumers it manages: the reconciler's bookkeeping.
public enum OwnershipNotes {
    /// Present (`"true"`) on every managed repository and consumer.
    public static let managed = "pulpform_managed"
    /// The fingerprint of the configuration pulpform last applied.
    public static let applied = "pulpform_applied"
    /// Leases on live servers (`LeaseOptions`): notes that come and go while an apply holds a repository.
    public static let leasePrefix = "pulpform_lease_"
    /// `"true"` on a repository or consumer that no plan may delete or replace (`protect: true`), kept on the
    /// object so that it holds after the object leaves the manifests.
    public static let protect = "pulpform_protect"

    public static let all: Set<String> = [managed, applied, accepted]
    /// The manifests' fingerprint when the target's state (`applied`) was accepted as the record instead of them
    /// (`apply --accept-drift`): while neither side moves, the object is in sync and no plan reverts it.
    public static let accepted = "pulpform_accepted"

    /// The bookkeeping as a target that keeps content hashes follows it (`LocalPulp(contentHashNotes:)`).
    public static let contentHash = ContentHashNotes(recorded: applied, alongside: [managed, accepted], transientPrefix: leasePrefix)
}
