import Hummingbird
import PulpAuth
import PulpCore
import PulpModel

/// Users, roles and permissions (pulp2-auth.md §2.3) with Pulp 2.8's paths, codes and bodies, and §5.8's fixes.
extension PulpAPI {
    static let userFields: Set<String> = ["_id", "id", "_ns", "login", "name", "roles", "_href"]

    func addUserRoutes(_ r: RouteTable) {
        r.on(.get, "/users/", .read) { _, _ in json(.array(try await pulp.users().map(JSONValue.object))) }
        r.on(.post, "/users/", .create) { request, _ in
            let body = try await request.objectBody()
            try LocalPulp.onlyKeys(body, ["login", "password", "name"])
            let login = try LocalPulp.requiredString(body, "login")
            let password = try LocalPulp.optionalString(body, "password")
            let name = try LocalPulp.optionalString(body, "name")
            let user = try await pulp.createUser(login: login, name: name, password: password)
            return json(user, status: .created, location: user["_href"]?.stringValue)
        }
        r.on(.post, "/users/search/", .read) { request, _ in
            let body = try await request.objectBody()
            guard let criteria = body["criteria"] else { throw PulpError.missingValue(["criteria"]) }
            return try await searchUsers(try SearchCriteria.parse(criteria))
        }
        r.on(.get, "/users/search/", .read) { request, _ in
            try await searchUsers(try SearchCriteria.parse(query: request.queryPairs))
        }
        r.on(.get, "/users/:login/", .read) { _, context in json(try await pulp.user(try context.parameters.id("login"))) }
        r.on(.put, "/users/:login/", .update) { request, context in
            let delta = try Self.delta(try await request.objectBody())
            return json(try await pulp.updateUser(try context.parameters.id("login"), delta: delta, caller: context.principal?.login))
        }
        r.on(.delete, "/users/:login/", .delete) { _, context in
            try await pulp.deleteUser(try context.parameters.id("login"))
            return json(PulpAPI.nullBody)
        }
    }

    func searchUsers(_ criteria: SearchCriteria) async throws -> Response {
        let found = try criteria.apply(to: try await pulp.users(), aliases: [:], knownFields: Self.userFields,
                                       alwaysKept: ["_id", "id", "_href"])
        return json(.array(found.map(JSONValue.object)))
    }

    func addRoleRoutes(_ r: RouteTable) {
        r.on(.get, "/roles/", .read) { _, _ in json(.array(try await pulp.roles().map(JSONValue.object))) }
        r.on(.post, "/roles/", .create) { request, _ in
            let role = try await pulp.createRole(try await request.objectBody())
            return json(role, status: .created, location: role["_href"]?.stringValue)
        }
        r.on(.get, "/roles/:role_id/", .read) { _, context in json(try await pulp.role(try context.parameters.id("role_id"))) }
        r.on(.put, "/roles/:role_id/", .update) { request, context in
            json(try await pulp.updateRole(try context.parameters.id("role_id"), delta: try Self.delta(try await request.objectBody())))
        }
        r.on(.delete, "/roles/:role_id/", .delete) { _, context in
            try await pulp.deleteRole(try context.parameters.id("role_id"))
            return json(PulpAPI.nullBody)
        }
        r.on(.get, "/roles/:role_id/users/", .read) { _, context in
            let role = try await pulp.role(try context.parameters.id("role_id"))
            return json(role["users"] ?? .array([]))
        }
        r.on(.post, "/roles/:role_id/users/", .update) { request, context in
            let login = try LocalPulp.requiredString(try await request.objectBody(), "login")
            try await pulp.addRoleMember(try context.parameters.id("role_id"), login: login, caller: context.principal?.login)
            return json(PulpAPI.nullBody)
        }
        r.on(.delete, "/roles/:role_id/users/:login/", .delete) { _, context in
            try await pulp.removeRoleMember(try context.parameters.id("role_id"), login: try context.parameters.id("login"))
            return json(PulpAPI.nullBody)
        }
    }

    /// A `PUT` body's `delta` object: required (2.8 answers a body without one with a 500).
    static func delta(_ body: JSONObject) throws -> JSONObject {
        guard let value = body["delta"] else { throw PulpError.missingValue(["delta"]) }
        guard case .object(let delta) = value else { throw PulpError.invalidValue(["delta"]) }
        return delta
    }

    func addPermissionRoutes(_ r: RouteTable) {
        r.on(.get, "/permissions/", .read) { request, _ in
            json(.array(pulp.permissions(resource: request.query("resource")).map(JSONValue.object)))
        }
        for (action, toRole, grant) in [("grant_to_user", false, true), ("revoke_from_user", false, false),
                                        ("grant_to_role", true, true), ("revoke_from_role", true, false)] {
            r.on(.post, "/permissions/actions/\(action)/", .execute) { request, context in
                try await pulp.changePermission(try await request.objectBody(), toRole: toRole, grant: grant, caller: context.principal?.login)
                return json(PulpAPI.nullBody)
            }
        }
    }
}
