/// Pulp's five operations (`OPERATION_NAMES`): stored as ints in Pulp 2, shown as upper-case names.
public enum PulpOperation: Int, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    case create = 0, read, update, delete, execute

    public var name: String { ["CREATE", "READ", "UPDATE", "DELETE", "EXECUTE"][rawValue] }
    public var description: String { name }

    /// A name in any case (`"read"`, `"READ"`); nil for anything else.
    public init?(name: String) {
        guard let op = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = op
    }

    public static func < (a: PulpOperation, b: PulpOperation) -> Bool { a.rawValue < b.rawValue }
}

/// A set of operations, as one small bit set.
public struct Operations: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue & 0b11111 }
    public init(_ ops: some Sequence<PulpOperation>) { self.init(rawValue: ops.reduce(0) { $0 | 1 << $1.rawValue }) }

    public static let create = Operations([PulpOperation.create])
    public static let read = Operations([PulpOperation.read])
    public static let update = Operations([PulpOperation.update])
    public static let delete = Operations([PulpOperation.delete])
    public static let execute = Operations([PulpOperation.execute])
    public static let all = Operations(PulpOperation.allCases)

    public func contains(_ op: PulpOperation) -> Bool { rawValue & (1 << op.rawValue) != 0 }
    /// In Pulp's order (CREATE, READ, UPDATE, DELETE, EXECUTE).
    public var list: [PulpOperation] { PulpOperation.allCases.filter(contains) }
}

/// Pulp 2's resource names (pulp2-auth.md §2.2): the request URI split on `/`, empty parts and the leading
/// `pulp` and `api` dropped, rebuilt as `/a/b/c/`. The query becomes a last segment that no grant names, so
/// matching is on the path alone.
public enum ResourcePath {
    public static func of(uri: String) -> String {
        var parts = uri.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for prefix in ["pulp", "api"] where parts.first == prefix { parts.removeFirst() }
        return "/" + parts.map { $0 + "/" }.joined()
    }

    /// The resource and each ancestor by whole segments, down to `/`.
    public static func lineage(_ resource: String) -> [String] {
        let parts = resource.split(separator: "/", omittingEmptySubsequences: true)
        return (0...parts.count).reversed().map { n in "/" + parts.prefix(n).map { $0 + "/" }.joined() }
    }
}

/// Who may do what, as an immutable snapshot of the store's users, roles and grants: a check reads memory
/// only, never the store. Super-users may do everything. Otherwise an operation is allowed when it is granted,
/// to the user or to one of their roles, on the resource or on one of its ancestors (Pulp 2's rule: a grant covers
/// everything below its path, by whole segments; there are no wildcards and no denials).
public struct Grants: Sendable {
    /// `resource → login → operations`, roles' grants merged into their members'.
    private let byResource: [String: [String: Operations]]
    /// `role → logins`; super-users are the members of `superUsersRole`.
    private let members: [String: Set<String>]

    public static let superUsersRole = "super-users"

    /// `userGrants` and `roleGrants` are `(resource, grantee, operations)`; `members` is `role → logins`.
    public init(userGrants: [(resource: String, login: String, operations: Operations)],
                roleGrants: [(resource: String, role: String, operations: Operations)],
                members: [String: Set<String>]) {
        var table: [String: [String: Operations]] = [:]
        for g in userGrants { table[g.resource, default: [:]][g.login, default: []].formUnion(g.operations) }
        for g in roleGrants {
            for login in members[g.role] ?? [] { table[g.resource, default: [:]][login, default: []].formUnion(g.operations) }
        }
        byResource = table
        self.members = members
    }

    public func isMember(_ login: String, of role: String) -> Bool { members[role]?.contains(login) == true }

    public func isSuperUser(_ login: String) -> Bool { isMember(login, of: Self.superUsersRole) }

    public var superUserCount: Int { members[Self.superUsersRole]?.count ?? 0 }

    /// Whether `login` may do `operation` on `resource` (a resource name, see `ResourcePath.of`).
    public func allows(_ login: String, _ operation: PulpOperation, on resource: String) -> Bool {
        if isSuperUser(login) { return true }
        for path in ResourcePath.lineage(resource) where byResource[path]?[login]?.contains(operation) == true { return true }
        return false
    }

    /// Every resource some user has a grant on (their roles' included), sorted.
    public var resources: [String] { byResource.keys.sorted() }

    /// The operations each user has on exactly this resource, roles' grants included (`GET /permissions/`).
    public func operations(on resource: String) -> [String: Operations] { byResource[resource] ?? [:] }
}
