import PulpContract
public import PulpModel

/// The contract's users and roles, for the reconciler on the embedded store: the same operations as the API, made
/// by the store's owner (no caller to check).
extension LocalPulp {
    public func accessUsers() async throws -> [PulpUser] {
        try await users().map { try PulpUser.parse($0) }
    }

    public func accessRoles() async throws -> [PulpRole] {
        try await roles().map { try PulpRole.parse($0) }
    }

    public func createUser(_ request: UserCreate) async throws {
        _ = try await createUser(login: request.login, name: request.name, password: request.password)
    }

    public func updateUser(_ login: String, _ update: UserUpdate) async throws {
        _ = try await updateUser(login, delta: update.delta, caller: nil)
    }

    public func createRole(_ request: RoleCreate) async throws {
        _ = try await createRole(request.body)
    }

    public func updateRole(_ id: String, displayName: String?, description: String??) async throws {
        _ = try await updateRole(id, delta: RoleCreate.delta(displayName: displayName, description: description))
    }

    public func addRoleMember(_ roleId: String, login: String) async throws {
        try await addRoleMember(roleId, login: login, caller: nil)
    }

    public func changeRolePermission(_ roleId: String, resource: String, operations: [String], grant: Bool) async throws {
        try await changePermission(["role_id": .string(roleId), "resource": .string(resource),
                                    "operations": .array(operations.map(JSONValue.string))],
                                   toRole: true, grant: grant, caller: nil)
    }
}
