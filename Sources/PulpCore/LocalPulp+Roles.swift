import Foundation
import PulpAuth
import PulpContent
public import PulpModel
import PulpStore

/// Roles, their members and permissions (pulp2-auth.md §2.3, §5.8), with 2.8's shapes and messages and its holes
/// closed: changing anyone's roles takes a super-user, a user who is not one may change only their own name and
/// password, and role grants are computed when checked, not copied into the members' grants.
extension LocalPulp {
    // MARK: Users, through the API

    /// `PUT /users/<login>/`: `delta` may hold `name`, `password` and `roles` (which replaces the memberships).
    /// `caller` nil is the server itself. Roles need a super-user; anyone else changes only their own user.
    public func updateUser(_ login: String, delta: JSONObject, caller: String?) async throws -> JSONObject {
        try Self.onlyKeys(delta, ["name", "password", "roles"])
        if let caller, !access.isSuperUser(caller), delta["roles"] != nil || caller != login {
            throw PulpError.permissionDenied(user: caller, operation: PulpOperation.update.name)
        }
        var name: String?
        if let v = delta["name"] {
            guard case .string(let s) = v else { throw PulpError.invalidValue(["name"]) }
            name = s
        }
        var roles: Set<String>?
        if let v = delta["roles"] {
            guard case .array(let items) = v else { throw PulpError.invalidValue(["roles"]) }
            var set = Set<String>()
            for item in items {
                guard case .string(let r) = item else { throw PulpError.invalidValue(["roles"]) }
                set.insert(r)
            }
            roles = set
        }
        var newHash: String??
        if let v = delta["password"] {
            switch v {
            case .string(let p): newHash = .some(try await hash(p))
            case .null: newHash = .some(nil)
            default: throw PulpError.invalidValue(["password"])
            }
        }
        let (newName, newRoles, hashChange) = (name, roles, newHash)
        let now = clock.now().epoch
        return try await authWrite { db in
            guard var u = try db.user(login) else { throw PulpError.missingResource(["user": login]) }
            if let newName { u.name = newName }
            if let hashChange {
                u.passwordHash = hashChange
                // A new password ends the login certificates made with the old one (tokens stay).
                try db.revokeLoginCertificates(login: login, now: now)
            }
            _ = try db.updateUser(u)
            if let roles = newRoles {
                let members = try db.roleMembers()
                for r in roles.sorted() where try db.role(r) == nil { throw PulpError.invalidValue(["roles"]) }
                let current = Set(members.filter { $0.value.contains(login) }.keys)
                for r in current.subtracting(roles).sorted() {
                    if r == Grants.superUsersRole, try Self.enabledSuperUsers(db) == [login] {
                        throw Self.plp0000("super-users cannot be empty, and \(login) is the last member")
                    }
                    _ = try db.setMember(roleId: r, login: login, false)
                }
                for r in roles.subtracting(current).sorted() { _ = try db.setMember(roleId: r, login: login, true) }
            }
            return try Self.userResource(u, roles: Self.roles(of: login, try db.roleMembers()))
        }
    }

    /// The grants every new user gets (Pulp 2.8's automatic permissions): read and update on their own user and on
    /// the login and logout actions.
    static func automaticGrants(_ login: String, _ db: StoreDB) throws {
        let ops = Operations([.read, .update]).rawValue
        for resource in ["/v2/actions/login/", "/v2/actions/logout/", "/v2/users/\(login)/"] {
            try db.changeGrant(resource: resource, grantee: .user(login), operations: ops, add: true)
        }
    }

    // MARK: Roles

    public func roles() async throws -> [JSONObject] {
        try await store.read { db in
            let members = try db.roleMembers(), grants = try db.grants()
            return try db.roles().map { Self.roleResource($0, members: members[$0.roleId] ?? [], grants: grants) }
        }
    }

    public func role(_ id: String) async throws -> JSONObject {
        try await store.read { db in
            guard let r = try db.role(id) else { throw PulpError.missingResource(["role": id]) }
            return Self.roleResource(r, members: try db.roleMembers()[id] ?? [], grants: try db.grants())
        }
    }

    /// 201's body: the role with `"permissions": {}` and no `users`, as 2.8 answers.
    public func createRole(_ body: JSONObject) async throws -> JSONObject {
        try Self.onlyKeys(body, ["role_id", "display_name", "description"])
        let id = try Self.requiredString(body, "role_id")
        guard AccessRules.isValidRoleId(id) else { throw PulpError.invalidValue(["role_id"]) }
        let display = try Self.optionalString(body, "display_name") ?? id
        let description = try Self.optionalString(body, "description")
        let role = StoredRole(roleId: id, oid: PulpIDs.objectId(), displayName: display, description: description)
        return try await authWrite { db in
            guard try db.insertRole(role) else { throw PulpError.duplicateResource(id) }
            var doc = Self.roleResource(role, members: [], grants: [])
            doc["users"] = nil
            return doc
        }
    }

    /// `PUT /roles/<id>/`: `delta` may hold `display_name` and `description`.
    public func updateRole(_ id: String, delta: JSONObject) async throws -> JSONObject {
        if let key = delta.keys.sorted().first(where: { !["display_name", "description"].contains($0) }) {
            throw Self.plp0000("Update Keyword [\(key)] is not supported")
        }
        let display = try Self.optionalString(delta, "display_name")
        let description = try Self.optionalString(delta, "description")
        return try await authWrite { db in
            guard var r = try db.role(id) else { throw PulpError.missingResource(["role": id]) }
            if let display { r.displayName = display }
            if delta["description"] != nil { r.description = description }
            _ = try db.updateRole(r)
            return Self.roleResource(r, members: try db.roleMembers()[id] ?? [], grants: try db.grants())
        }
    }

    public func deleteRole(_ id: String) async throws {
        if id == Grants.superUsersRole { throw Self.plp0000("Role super-users cannot be changed") }
        try await authWrite { db in
            guard try db.deleteRole(id) else { throw PulpError.missingResource(["role": id]) }
        }
    }

    /// `POST /roles/<id>/users/`. A user who is not a super-user cannot give themselves a role, nor make anyone a
    /// super-user.
    public func addRoleMember(_ id: String, login: String, caller: String?) async throws {
        if let caller, !access.isSuperUser(caller), caller == login || id == Grants.superUsersRole {
            throw PulpError.permissionDenied(user: caller, operation: PulpOperation.update.name)
        }
        try await authWrite { db in
            guard try db.role(id) != nil else { throw PulpError.missingResource(["role_id": id]) }
            guard try db.user(login) != nil else { throw PulpError.invalidValue(["login"]) }
            _ = try db.setMember(roleId: id, login: login, true)
        }
    }

    /// `DELETE /roles/<id>/users/<login>/`. The last enabled super-user stays one.
    public func removeRoleMember(_ id: String, login: String) async throws {
        try await authWrite { db in
            guard try db.role(id) != nil else { throw PulpError.missingResource(["role_id": id]) }
            guard try db.user(login) != nil else { throw PulpError.invalidValue(["login"]) }
            if id == Grants.superUsersRole, try Self.enabledSuperUsers(db) == [login] {
                throw Self.plp0000("super-users cannot be empty, and \(login) is the last member")
            }
            _ = try db.setMember(roleId: id, login: login, false)
        }
    }

    // MARK: Permissions

    /// `GET /permissions/[?resource=]`: one document per resource, its users' operations with their roles' included.
    public func permissions(resource: String?) -> [JSONObject] {
        let grants = access.grants
        let resources = resource.map { [AccessRules.grantResource($0)] } ?? grants.resources
        return resources.compactMap { r in
            let users = grants.operations(on: r)
            guard !users.isEmpty else { return nil }
            let id = String(Checksummer.hex(Array(r.utf8), .sha256).prefix(24))
            var byUser = JSONObject()
            for (login, ops) in users.sorted(by: { $0.key < $1.key }) { byUser[login] = .array(ops.list.map { .string($0.name) }) }
            return ["_id": ["$oid": .string(id)], "_ns": "permissions", "id": .string(id), "resource": .string(r), "users": .object(byUser)]
        }
    }

    /// `POST /permissions/actions/{grant_to,revoke_from}_{user,role}/`: `{"login" | "role_id", "resource", "operations"}`.
    /// A caller who is not a super-user cannot grant to themselves or to a role of theirs (2.8 let EXECUTE on
    /// `/v2/permissions/` grant oneself anything).
    public func changePermission(_ body: JSONObject, toRole: Bool, grant: Bool, caller: String?) async throws {
        let who = toRole ? "role_id" : "login"
        let missing = [who, "resource", "operations"].filter { body[$0] == nil || body[$0] == .null }
            .map { $0 == "operations" ? "operation_names" : $0 }
        if !missing.isEmpty { throw PulpError.missingValue(missing) }
        guard case .string(let name)? = body[who] else { throw PulpError.invalidValue([who]) }
        guard case .string(let rawResource)? = body["resource"], !rawResource.isEmpty else { throw PulpError.invalidValue(["resource"]) }
        guard case .array(let names)? = body["operations"] else { throw PulpError.invalidValue(["operation_names"]) }
        var ops = Operations()
        for n in names {
            guard case .string(let s) = n, let op = PulpOperation(name: s) else { throw PulpError.invalidValue(["operation_name"]) }
            ops.insert(Operations([op]))
        }
        if toRole, name == Grants.superUsersRole { throw Self.plp0000("super-users role cannot be changed") }
        if grant, let caller, !access.isSuperUser(caller) {
            let own = toRole ? access.grants.isMember(caller, of: name) : name == caller
            if own { throw PulpError.permissionDenied(user: caller, operation: PulpOperation.execute.name) }
        }
        let resource = AccessRules.grantResource(rawResource)
        let operations = ops.rawValue
        try await authWrite { db in
            if toRole {
                guard try db.role(name) != nil else { throw PulpError.invalidValue(["role_id"]) }
            } else {
                guard try db.user(name) != nil else { throw PulpError.invalidValue(["login"]) }
            }
            guard operations != 0 else { return }
            try db.changeGrant(resource: resource, grantee: toRole ? .role(name) : .user(name), operations: operations, add: grant)
        }
    }

    // MARK: Helpers

    static func roleResource(_ r: StoredRole, members: Set<String>, grants: [StoredGrant]) -> JSONObject {
        var permissions = JSONObject()
        for g in grants where g.grantee == .role(r.roleId) {
            permissions[g.resource] = .array(Operations(rawValue: g.operations).list.map { .string($0.name) })
        }
        return ["_id": ["$oid": .string(r.oid)], "_ns": "roles", "id": .string(r.roleId), "display_name": .string(r.displayName),
                "description": r.description.map(JSONValue.string) ?? .null, "users": .array(members.sorted().map(JSONValue.string)),
                "permissions": .object(permissions), "_href": .string("/pulp/api/v2/roles/\(r.roleId)/")]
    }

    /// A body's required string: absent or null is 400 MissingValue, anything but a string 400 InvalidValue.
    public static func requiredString(_ body: JSONObject, _ key: String) throws -> String {
        guard let value = body[key], value != .null else { throw PulpError.missingValue([key]) }
        guard case .string(let s) = value else { throw PulpError.invalidValue([key]) }
        return s
    }

    /// 400 InvalidValue naming the keys of `body` outside `allowed`.
    public static func onlyKeys(_ body: JSONObject, _ allowed: Set<String>) throws {
        let unknown = body.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty { throw PulpError.invalidValue(unknown) }
    }

    /// A body's optional string: absent or null is nil, anything but a string 400.
    public static func optionalString(_ body: JSONObject, _ key: String) throws -> String? {
        switch body[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw PulpError.invalidValue([key])
        }
    }

    static func plp0000(_ message: String) -> PulpError {
        PulpError(code: "PLP0000", httpStatus: 400, message: message, extra: ["args": [.string(message)]])
    }
}
