/// Users, roles and their permissions as the users and roles API shows them (pulp2-auth.md §2.3), and the rules
/// their names and grants follow. Passwords never appear here but in the requests that set them.
public enum AccessRules {
    /// Pulp's login rule: letters, digits, `.`, `-` and `_`, at most 255 bytes.
    public static func isValidLogin(_ login: String) -> Bool {
        !login.isEmpty && login.utf8.count <= 255 && login.utf8.allSatisfy { isAlnum($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }
    }

    /// Pulp's role id rule: as logins, without the dot.
    public static func isValidRoleId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 255 && id.utf8.allSatisfy { isAlnum($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// The built-in role that holds every operation everywhere.
    public static let superUsersRole = "super-users"

    /// Pulp's operation names, in its order.
    public static let operationNames = ["CREATE", "READ", "UPDATE", "DELETE", "EXECUTE"]

    /// An operation name in any case, as Pulp spells it; nil for anything else.
    public static func operationName(_ name: String) -> String? {
        let upper = name.uppercased()
        return operationNames.contains(upper) ? upper : nil
    }

    /// Operation names deduplicated, in Pulp's order.
    public static func sortedOperations(_ names: some Sequence<String>) -> [String] {
        let set = Set(names)
        return operationNames.filter(set.contains)
    }

    /// A grant's resource as stored (pulp2-auth.md §5.8): without `/pulp/api`, with a trailing `/`.
    public static func grantResource(_ raw: String) -> String {
        var r = raw
        if r.hasPrefix("/pulp/api/") { r = String(r.dropFirst("/pulp/api".count)) }
        if !r.hasSuffix("/") { r += "/" }
        return r
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}

extension PulpPaths {
    public static func user(_ login: String) -> String { "\(apiRoot)users/\(login)/" }
    public static func role(_ id: String) -> String { "\(apiRoot)roles/\(id)/" }
}

/// A user as `GET /users/` shows one: never a password.
public struct PulpUser: Sendable, Hashable {
    public var login: String
    public var name: String
    public var roles: [String]

    public init(login: String, name: String? = nil, roles: [String] = []) {
        self.login = login
        self.name = name ?? login
        self.roles = roles
    }

    /// From the API's body; 2.8's `{login, name, roles, …}`.
    public static func parse(_ o: JSONObject) throws(PulpError) -> PulpUser {
        guard case .string(let login)? = o["login"] else { throw PulpError.invalidValue(["login"]) }
        return PulpUser(login: login, name: o["name"]?.stringValue,
                        roles: (o["roles"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}

/// A role as `GET /roles/` shows one: its members and its grants, resource → operation names.
public struct PulpRole: Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var description: String?
    public var users: [String]
    public var permissions: [String: [String]]

    public init(id: String, displayName: String? = nil, description: String? = nil, users: [String] = [],
                permissions: [String: [String]] = [:])
    {
        self.id = id
        self.displayName = displayName ?? id
        self.description = description
        self.users = users
        self.permissions = permissions
    }

    public static func parse(_ o: JSONObject) throws(PulpError) -> PulpRole {
        guard case .string(let id)? = o["id"] else { throw PulpError.invalidValue(["id"]) }
        var permissions: [String: [String]] = [:]
        for (resource, ops) in o["permissions"]?.objectValue ?? [:] {
            permissions[resource] = AccessRules.sortedOperations((ops.arrayValue ?? []).compactMap { $0.stringValue.flatMap(AccessRules.operationName) })
        }
        return PulpRole(id: id, displayName: o["display_name"]?.stringValue, description: o["description"]?.stringValue,
                        users: (o["users"]?.arrayValue ?? []).compactMap(\.stringValue), permissions: permissions)
    }
}

/// `POST /users/`. The password, when there is one, is sent and then forgotten.
public struct UserCreate: Sendable {
    public var login: String
    public var name: String?
    public var password: String?

    public init(login: String, name: String? = nil, password: String? = nil) {
        self.login = login
        self.name = name
        self.password = password
    }

    /// The request body.
    public var body: JSONObject {
        var body: JSONObject = ["login": .string(login)]
        if let name { body["name"] = .string(name) }
        if let password { body["password"] = .string(password) }
        return body
    }
}

/// `PUT /users/<login>/`: what changes; nil leaves a field alone.
public struct UserUpdate: Sendable {
    public enum Password: Sendable {
        case set(String)
        case remove
    }

    public var name: String?
    public var password: Password?

    public init(name: String? = nil, password: Password? = nil) {
        self.name = name
        self.password = password
    }

    /// The `delta` to send: a removed password is null.
    public var delta: JSONObject {
        var delta = JSONObject()
        if let name { delta["name"] = .string(name) }
        switch password {
        case .set(let p)?: delta["password"] = .string(p)
        case .remove?: delta["password"] = .null
        case nil: break
        }
        return delta
    }
}

/// `POST /roles/`.
public struct RoleCreate: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?

    public init(id: String, displayName: String? = nil, description: String? = nil) {
        self.id = id
        self.displayName = displayName
        self.description = description
    }

    public var body: JSONObject {
        var body: JSONObject = ["role_id": .string(id)]
        if let displayName { body["display_name"] = .string(displayName) }
        if let description { body["description"] = .string(description) }
        return body
    }

    /// A role update's `delta`: `displayName` nil leaves it; `description` nil leaves it, `.some(nil)` clears it.
    public static func delta(displayName: String?, description: String??) -> JSONObject {
        var delta = JSONObject()
        if let displayName { delta["display_name"] = .string(displayName) }
        if let description { delta["description"] = .from(description) }
        return delta
    }
}
