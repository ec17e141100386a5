import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PulpContract
public import PulpModel

/// Users, roles and role permissions (pulp2-auth.md §2.3). A password is sent in the body of one request and
/// kept nowhere.
extension PulpClient {
    public func accessUsers() async throws -> [PulpUser] {
        let r = try await send(.GET, "users/", idempotent: true)
        return try list(r, "users/", PulpUser.parse)
    }

    public func accessRoles() async throws -> [PulpRole] {
        let r = try await send(.GET, "roles/", idempotent: true)
        return try list(r, "roles/", PulpRole.parse)
    }

    public func createUser(_ request: UserCreate) async throws {
        _ = try await send(.POST, "users/", .object(request.body), idempotent: false)
    }

    public func updateUser(_ login: String, _ update: UserUpdate) async throws {
        _ = try await send(.PUT, PulpPaths.user(login), ["delta": .object(update.delta)], idempotent: false)
    }

    public func deleteUser(_ login: String) async throws {
        _ = try await send(.DELETE, PulpPaths.user(login), idempotent: false)
    }

    public func createRole(_ request: RoleCreate) async throws {
        _ = try await send(.POST, "roles/", .object(request.body), idempotent: false)
    }

    public func updateRole(_ id: String, displayName: String?, description: String??) async throws {
        _ = try await send(.PUT, PulpPaths.role(id), ["delta": .object(RoleCreate.delta(displayName: displayName, description: description))],
                           idempotent: false)
    }

    public func deleteRole(_ id: String) async throws {
        _ = try await send(.DELETE, PulpPaths.role(id), idempotent: false)
    }

    public func addRoleMember(_ roleId: String, login: String) async throws {
        _ = try await send(.POST, PulpPaths.role(roleId) + "users/", ["login": .string(login)], idempotent: false)
    }

    public func removeRoleMember(_ roleId: String, login: String) async throws {
        _ = try await send(.DELETE, PulpPaths.role(roleId) + "users/\(login)/", idempotent: false)
    }

    public func changeRolePermission(_ roleId: String, resource: String, operations: [String], grant: Bool) async throws {
        let action = grant ? "grant_to_role" : "revoke_from_role"
        _ = try await send(.POST, "permissions/actions/\(action)/",
                           ["role_id": .string(roleId), "resource": .string(resource), "operations": .array(operations.map(JSONValue.string))],
                           idempotent: false)
    }

    private func list<T>(_ r: Reply, _ path: String, _ parse: (JSONObject) throws(PulpError) -> T) throws -> [T] {
        guard let items = r.body.arrayValue else { throw ClientError(url: url(path), message: "unexpected response: not a list") }
        var out: [T] = []
        for item in items {
            guard let o = item.objectValue else { throw ClientError(url: url(path), message: "unexpected response: an item is not an object") }
            do {
                out.append(try parse(o))
            } catch {
                throw ClientError(url: url(path), message: "unexpected response: \(error.message)")
            }
        }
        return out
    }
}
