import Foundation
import PulpContract
import PulpModel

/// Users and roles in canonical form.
///
/// A user's password is part of it only when the manifests declare one: the desired side holds the salted
/// fingerprint of the value, the actual side the fingerprint recorded when pulpform last set it (a password is never
/// read back). A user declared without a password keeps whatever password they have. The built-in `super-users`
/// role is its members alone.
struct CanonUser: Sendable {
    var login: String
    var name: String
    /// `{"$fingerprint": …}` when managed, else nil.
    var password: JSONValue?

    var json: JSONValue {
        var o: JSONObject = ["login": .string(login), "name": .string(name)]
        if let password { o["password"] = password }
        return .object(o)
    }

    var hash: String { Fingerprinter.digest(json.serializedBytes()) }
}

struct CanonRole: Sendable {
    var id: String
    var displayName: String
    var description: String?
    var permissions: [String: [String]]
    var members: [String]
    var builtIn: Bool

    var json: JSONValue {
        if builtIn { return ["id": .string(id), "members": .array(members.map(JSONValue.string))] }
        return ["id": .string(id), "display_name": .string(displayName), "description": .from(description),
                "permissions": .object(permissions.mapValues { .array($0.map(JSONValue.string)) }),
                "members": .array(members.map(JSONValue.string))]
    }

    var hash: String { Fingerprinter.digest(json.serializedBytes()) }
}

extension Planner {
    func canonical(_ d: DesiredUser) -> CanonUser {
        CanonUser(login: d.login, name: d.name ?? d.login, password: d.password.map { source in
            Canonicalizer.secretMarker(canon.secretValues[source].map(canon.fingerprinter.fingerprint) ?? Canonicalizer.unknownFingerprint)
        })
    }

    /// `withPassword`: whether the manifests manage this user's password.
    func canonical(_ u: PulpUser, _ actual: ActualState, withPassword: Bool) -> CanonUser {
        var user = CanonUser(login: u.login, name: u.name, password: Optional<JSONValue>.none)
        if withPassword {
            let recorded = actual.accessRecords["user:\(u.login)"]?.passwordFingerprint
            user.password = Canonicalizer.secretMarker(recorded ?? Canonicalizer.unknownFingerprint)
        }
        return user
    }

    func canonical(_ d: DesiredRole) -> CanonRole {
        CanonRole(id: d.id, displayName: d.displayName ?? d.id, description: d.description, permissions: d.permissions,
                  members: d.members.sorted(), builtIn: d.isBuiltIn)
    }

    func canonical(_ r: PulpRole) -> CanonRole {
        CanonRole(id: r.id, displayName: r.displayName, description: r.description,
                  permissions: r.permissions.filter { !$0.value.isEmpty },  // operations in Pulp's order (PulpRole.parse)
                  members: r.users.sorted(), builtIn: r.id == AccessRules.superUsersRole)
    }

    // MARK: - Checks

    /// Problems only the target shows: a role member who is no user, nor will be one.
    func accessProblems(_ manifest: Manifest, _ actual: ActualState) -> [Diagnostic] {
        let declared = Set(manifest.users.map(\.login))
        let existing = Set(actual.users.map(\.login))
        var out: [Diagnostic] = []
        for role in manifest.roles {
            for login in role.members where !declared.contains(login) {
                let mark = role.memberMarks[login] ?? role.mark
                if !existing.contains(login) {
                    out.append(Diagnostic(mark, "member \(login) of role \(role.id) is not a user: declare it under users, "
                        + "or create it with pulpform user create"))
                } else if prune, actual.accessRecords["user:\(login)"] != nil {
                    out.append(Diagnostic(mark, "member \(login) of role \(role.id) is a user that pulpform manages and the "
                        + "manifests no longer declare, so --prune would delete it: declare it under users, or leave it out of the role"))
                }
            }
        }
        return out
    }

    // MARK: - Plan

    /// Steps for users and roles, in the order they must run: users made or changed, roles, then users deleted
    /// (the applier runs them in those waves).
    func planAccess(_ manifest: Manifest, _ actual: ActualState, into plan: inout Plan) {
        guard actual.accessRead else { return }
        let users = Dictionary(actual.users.map { ($0.login, $0) }, uniquingKeysWith: { a, _ in a })
        let roles = Dictionary(actual.roles.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for d in manifest.users { plan.steps += planUser(d, users[d.login], actual) }
        for d in manifest.roles { plan.steps += planRole(d, roles[d.id], actual) }
        let declaredUsers = Set(manifest.users.map(\.login))
        let declaredRoles = Set(manifest.roles.map(\.id))
        // The bookkeeping that forgets a user or role once pulpform no longer manages it.
        func forget(_ kind: AccessRecord.Kind, _ name: String) -> PlanStep {
            PlanStep(address: "\(kind.rawValue).\(name)", unit: "\(kind.rawValue):\(name)", action: nil,
                     operation: .recordAccess(AccessRecordSpec(kind: kind, name: name, applied: nil)))
        }
        for r in actual.roles.sorted(by: { $0.id < $1.id }) where !declaredRoles.contains(r.id) {
            let managed = actual.accessRecords["role:\(r.id)"] != nil
            if !managed || r.id == AccessRules.superUsersRole {
                plan.unmanaged.append("role.\(r.id)")
                // super-users cannot be deleted: once the manifests leave it out, its members are no longer managed.
                if managed { plan.steps.append(forget(.role, r.id)) }
            } else if prune {
                plan.steps += [PlanStep(address: "role.\(r.id)", unit: "role:\(r.id)", action: .delete, operation: .deleteRole(id: r.id)),
                               forget(.role, r.id)]
            } else {
                plan.notPruned.append("role.\(r.id)")
            }
        }
        for u in actual.users.sorted(by: { $0.login < $1.login }) where !declaredUsers.contains(u.login) {
            if actual.accessRecords["user:\(u.login)"] == nil {
                plan.unmanaged.append("user.\(u.login)")
            } else if prune {
                plan.steps += [PlanStep(address: "user.\(u.login)", unit: "user:\(u.login)", action: .delete,
                                        operation: .deleteUser(login: u.login)),
                               forget(.user, u.login)]
            } else {
                plan.notPruned.append("user.\(u.login)")
            }
        }
    }

    func planUser(_ d: DesiredUser, _ a: PulpUser?, _ actual: ActualState) -> [PlanStep] {
        let unit = "user:\(d.login)", address = "user.\(d.login)"
        let want = canonical(d)
        let record = actual.accessRecords[unit]
        var steps: [PlanStep] = []
        guard let a else {
            var changes = [FieldChange(path: "name", before: nil, after: .string(want.name))]
            if d.password != nil { changes.append(FieldChange(path: "password", before: nil, after: nil, sensitive: true, willHaveValue: true)) }
            steps.append(PlanStep(address: address, unit: unit, action: .create,
                                  operation: .createUser(UserSpec(login: d.login, name: d.name, password: d.password)), changes: changes))
            return steps + [recordStep(d, hash: want.hash)]
        }
        let have = canonical(a, actual, withPassword: d.password != nil)
        var changes: [FieldChange] = []
        var name: String?
        if want.name != have.name {
            name = want.name
            changes.append(FieldChange(path: "name", before: .string(have.name), after: .string(want.name)))
        }
        var password: SecretSource?
        if let source = d.password, want.password != have.password {
            password = source
            changes.append(FieldChange(path: "password", before: nil, after: nil, sensitive: true,
                                       hadValue: record?.passwordFingerprint != nil, willHaveValue: true))
        }
        if !changes.isEmpty {
            steps.append(PlanStep(address: address, unit: unit, action: .update,
                                  operation: .updateUser(login: d.login, name: name, password: password), changes: changes))
        }
        if steps.isEmpty, record?.applied == want.hash { return [] }
        return steps + [recordStep(d, hash: want.hash)]
    }

    func recordStep(_ d: DesiredUser, hash: String) -> PlanStep {
        PlanStep(address: "user.\(d.login)", unit: "user:\(d.login)", action: nil,
                 operation: .recordAccess(AccessRecordSpec(kind: .user, name: d.login, applied: hash, password: d.password)))
    }

    func planRole(_ d: DesiredRole, _ a: PulpRole?, _ actual: ActualState) -> [PlanStep] {
        let unit = "role:\(d.id)", address = "role.\(d.id)"
        let want = canonical(d)
        let record = PlanStep(address: address, unit: unit, action: nil,
                              operation: .recordAccess(AccessRecordSpec(kind: .role, name: d.id, applied: want.hash)))
        guard let a else {
            var changes = [FieldChange(path: "display_name", before: nil, after: .string(want.displayName))]
            if let desc = want.description { changes.append(FieldChange(path: "description", before: nil, after: .string(desc))) }
            for (resource, ops) in want.permissions.sorted(by: { $0.key < $1.key }) {
                changes.append(FieldChange(path: Self.paths.join("permissions", resource), before: nil, after: .array(ops.map(JSONValue.string))))
            }
            if !want.members.isEmpty {
                changes.append(FieldChange(path: "members", before: nil, after: .array(want.members.map(JSONValue.string))))
            }
            let spec = RoleSpec(id: d.id, displayName: d.displayName, description: d.description, permissions: d.permissions,
                                members: want.members)
            return [PlanStep(address: address, unit: unit, action: .create, operation: .createRole(spec), changes: changes), record]
        }
        let have = canonical(a)
        var change = RoleChange()
        var changes: [FieldChange] = []
        if !d.isBuiltIn {
            if want.displayName != have.displayName {
                change.displayName = want.displayName
                changes.append(FieldChange(path: "display_name", before: .string(have.displayName), after: .string(want.displayName)))
            }
            if want.description != have.description {
                change.description = .some(want.description)
                changes.append(FieldChange(path: "description", before: .from(have.description), after: .from(want.description)))
            }
            for resource in Set(want.permissions.keys).union(have.permissions.keys).sorted() {
                let w = want.permissions[resource] ?? [], h = have.permissions[resource] ?? []
                guard w != h else { continue }
                let grant = w.filter { !h.contains($0) }, revoke = h.filter { !w.contains($0) }
                if !grant.isEmpty { change.grant[resource] = grant }
                if !revoke.isEmpty { change.revoke[resource] = revoke }
                changes.append(FieldChange(path: Self.paths.join("permissions", resource), before: h.isEmpty ? nil : .array(h.map(JSONValue.string)),
                                           after: w.isEmpty ? nil : .array(w.map(JSONValue.string))))
            }
        }
        change.addMembers = want.members.filter { !have.members.contains($0) }
        change.removeMembers = have.members.filter { !want.members.contains($0) }
        if want.members != have.members {
            changes.append(FieldChange(path: "members", before: .array(have.members.map(JSONValue.string)),
                                       after: .array(want.members.map(JSONValue.string))))
        }
        if change.isEmpty {
            return actual.accessRecords[unit]?.applied == want.hash ? [] : [record]
        }
        return [PlanStep(address: address, unit: unit, action: .update, operation: .updateRole(id: d.id, change), changes: changes), record]
    }

    // MARK: - Drift

    /// Users and roles, as `drift` classifies repositories: the record pulpform kept stands for `pulpform_applied`.
    func accessDrift(_ manifest: Manifest, _ actual: ActualState, into report: inout DriftReport) {
        guard actual.accessRead else { return }
        let users = Dictionary(actual.users.map { ($0.login, $0) }, uniquingKeysWith: { a, _ in a })
        let roles = Dictionary(actual.roles.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func observe(_ unit: String, _ hash: @escaping () -> String) -> Observed {
            var notes: JSONObject = [:]
            if let r = actual.accessRecords[unit], let applied = r.applied {
                notes = [OwnershipNotes.managed: "true", OwnershipNotes.applied: .string(applied)]
            }
            return Observed(notes: notes, hash: hash)
        }
        var observedUsers: [String: Observed] = [:]
        let passwords = Set(manifest.users.filter { $0.password != nil }.map(\.login))
        for (login, u) in users {
            observedUsers[login] = observe("user:\(login)") { self.canonical(u, actual, withPassword: passwords.contains(login)).hash }
        }
        section("user", desired: manifest.users.map { d in (d.login, { self.canonical(d).hash }) }, actual: observedUsers,
                missing: "declared but not created", into: &report)
        var observedRoles: [String: Observed] = [:]
        for (id, r) in roles where id != AccessRules.superUsersRole || actual.accessRecords["role:\(id)"] != nil {
            observedRoles[id] = observe("role:\(id)") { self.canonical(r).hash }
        }
        section("role", desired: manifest.roles.map { d in (d.id, { self.canonical(d).hash }) }, actual: observedRoles,
                missing: "declared but not created", into: &report)
    }

    /// A user's or role's fingerprint for a saved plan's guard: as the target holds it, with the record kept.
    func accessGuard(_ unit: String, in actual: ActualState) -> JSONValue? {
        let parts = unit.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let record = actual.accessRecords[unit].map { r -> JSONValue in ["applied": .from(r.applied), "password": .from(r.passwordFingerprint)] } ?? .null
        if parts[0] == "user", let u = actual.users.first(where: { $0.login == parts[1] }) {
            return ["canonical": canonical(u, actual, withPassword: false).json, "record": record]
        }
        if parts[0] == "role", let r = actual.roles.first(where: { $0.id == parts[1] }) {
            return ["canonical": canonical(r).json, "record": record]
        }
        return nil
    }
}
