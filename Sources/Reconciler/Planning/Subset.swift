public import PulpModel
import PulpContract

/// `--only` and `--exclude`: the objects a run reads, plans, checks or imports, by `*`/`?` globs on the id
/// (`rhel-9-*`, any kind) or, after a kind, on the address (`repository.rhel-9-*`, `consumer.web?`, `user.ci-*`). Everything else is left out
/// on both sides: neither planned nor pruned, as if it did not exist.
public struct Subset: Sendable, Hashable, CustomStringConvertible {
    /// When not empty, an object must match one of these.
    public var only: [String]
    /// An object that matches one of these is left out.
    public var exclude: [String]

    public init(only: [String] = [], exclude: [String] = []) {
        self.only = only
        self.exclude = exclude
    }

    /// Nil when neither list has a pattern: the whole run.
    public static func make(only: [String], exclude: [String]) -> Subset? {
        only.isEmpty && exclude.isEmpty ? nil : Subset(only: only, exclude: exclude)
    }

    /// Whether the object `kind.id` (`repository`, `consumer`, `user`, `role`) is in the subset.
    public func contains(_ kind: String, _ id: String) -> Bool {
        // A pattern that starts with a kind (`consumer.`) is matched against the address, any other against the id.
        func matches(_ p: String) -> Bool {
            if let dot = p.firstIndex(of: "."), Self.kinds.contains(String(p[..<dot])) {
                return p[..<dot] == kind && Glob.matches(String(p[p.index(after: dot)...]), id)
            }
            return Glob.matches(p, id)
        }
        if !only.isEmpty, !only.contains(where: matches) { return false }
        return !exclude.contains(where: matches)
    }

    static let kinds: Set<String> = ["repository", "consumer", "user", "role"]

    /// Whether a plan unit (`repository:<id>`) is in the subset.
    public func contains(unit: String) -> Bool {
        guard let colon = unit.firstIndex(of: ":") else { return true }
        return contains(String(unit[..<colon]), String(unit[unit.index(after: colon)...]))
    }

    /// `--only 'a' --exclude 'b'`, as the command line would say it.
    public var description: String {
        (only.map { "--only '\($0)'" } + exclude.map { "--exclude '\($0)'" }).joined(separator: " ")
    }

    public var json: JSONValue {
        ["only": .array(only.map(JSONValue.string)), "exclude": .array(exclude.map(JSONValue.string))]
    }

    /// From `json`; nil for JSON null (a complete plan).
    init?(json v: JSONValue) {
        guard !v.isNull else { return nil }
        self.init(only: (v["only"]?.arrayValue ?? []).compactMap(\.stringValue),
                  exclude: (v["exclude"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// The manifests' objects in the subset.
    public func filter(_ manifest: Manifest) -> Manifest {
        var m = manifest
        m.repositories = manifest.repositories.filter { contains("repository", $0.id) }
        m.fingerprints = manifest.fingerprints.filter { contains("repository", $0.key) }
        m.consumers = manifest.consumers.filter { contains("consumer", $0.id) }
        m.users = manifest.users.filter { contains("user", $0.login) }
        m.roles = manifest.roles.filter { contains("role", $0.id) }
        return m
    }

    /// The target's objects in the subset.
    public func filter(_ actual: ActualState) -> ActualState {
        var a = actual
        a.repositories = actual.repositories.filter { contains("repository", $0.repository.id) }
        a.inSync = actual.inSync.filter { contains("repository", $0.key) }
        a.consumers = actual.consumers.filter { contains("consumer", $0.id) }
        a.users = actual.users.filter { contains("user", $0.login) }
        a.roles = actual.roles.filter { contains("role", $0.id) }
        a.accessRecords = actual.accessRecords.filter { contains(unit: $0.key) }
        return a
    }
}
