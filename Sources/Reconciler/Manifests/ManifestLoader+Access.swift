import Foundation
import PulpModel

/// Users and roles: access control reviewed in git like the rest.
extension ManifestLoader {
    static let userKeys = ["login", "name", "password"]
    static let roleKeys = ["id", "display_name", "description", "permissions", "members"]

    func decodeUser(_ node: YAMLNode, reader: inout NodeReader) -> DesiredUser? {
        guard let m = reader.mapping(node, allowed: Self.userKeys, what: "a user") else { return nil }
        guard let login = reader.string(m["login"], required: true, what: "login", at: node.mark) else { return nil }
        if !AccessRules.isValidLogin(login) {
            reader.error(m["login"]?.mark ?? node.mark,
                         "login \(ManifestLimits.shown(login)) may only contain letters, digits, '.', '-' and '_' (at most 255)")
        }
        var user = DesiredUser(login: login, name: reader.string(m["name"], what: "name"), password: nil, mark: node.mark)
        if let p = m["password"], p.value != .null {
            if let secret = reader.secret(p) {
                if case .failure(let e) = secrets.resolve(secret) { reader.error(p.mark, e.message) }
                user.password = secret
            } else if !Self.isSecretReference(p) {  // a reference that names nothing was reported already
                reader.error(p.mark, "password is a secret: give it as {env: NAME} or {file: PATH}, not inline")
            }
        }
        return user
    }

    static func isSecretReference(_ node: YAMLNode) -> Bool {
        guard let entries = node.mapping, entries.count == 1, let key = entries[0].key.scalarText else { return false }
        return key == "env" || key == "file"
    }

    func decodeRole(_ node: YAMLNode, reader: inout NodeReader) -> DesiredRole? {
        guard let m = reader.mapping(node, allowed: Self.roleKeys, what: "a role") else { return nil }
        guard let id = reader.string(m["id"], required: true, what: "id", at: node.mark) else { return nil }
        if !AccessRules.isValidRoleId(id) {
            reader.error(m["id"]?.mark ?? node.mark,
                         "role id \(ManifestLimits.shown(id)) may only contain letters, digits, '-' and '_' (at most 255)")
        }
        var role = DesiredRole(id: id, displayName: reader.string(m["display_name"], what: "display_name"),
                               description: reader.string(m["description"], what: "description"), permissions: [:], members: [],
                               memberMarks: [:], mark: node.mark)
        if role.isBuiltIn {
            for key in ["display_name", "description", "permissions"] {
                if let n = m[key] {
                    reader.error(n.mark, "\(id) is built in and holds every operation: only its members can be declared")
                }
            }
        }
        if let p = m["permissions"], let entries = p.mapping {
            var seen: [String: SourceMark] = [:]
            for (k, v) in entries {
                guard let raw = k.scalarText else { continue }
                guard raw.hasPrefix("/"), !raw.contains("//"), !raw.contains(where: { $0.isWhitespace }) else {
                    reader.error(k.mark, "permission resource \(ManifestLimits.shown(raw)) must be an API path such as /v2/repositories/")
                    continue
                }
                let resource = AccessRules.grantResource(raw)
                if let first = seen[resource] {
                    reader.error(k.mark, "permission resource \(resource) is given twice in role \(id) (first at \(first))")
                    continue
                }
                seen[resource] = k.mark
                guard let items = reader.sequence(v, what: "the operations on \(resource)") else { continue }
                var ops: [String] = []
                for item in items {
                    guard let text = item.scalarText, let op = AccessRules.operationName(text) else {
                        let shown = item.scalarText.map(ManifestLimits.shown) ?? item.kindName
                        reader.error(item.mark, "unknown operation \(shown): use create, read, update, delete or execute"
                            + NodeReader.suggestion((item.scalarText ?? "").lowercased(), AccessRules.operationNames.map { $0.lowercased() }))
                        continue
                    }
                    ops.append(op)
                }
                if items.isEmpty {
                    reader.error(v.mark, "no operations on \(resource): name at least one, or leave the resource out")
                }
                role.permissions[resource] = AccessRules.sortedOperations(ops)
            }
        } else if let p = m["permissions"], p.value != .null {
            reader.error(p.mark, "permissions must be a mapping of API paths to operations, not \(p.kindName)")
        }
        if let list = m["members"], let items = reader.sequence(list, what: "members") {
            for item in items {
                guard let login = reader.string(item, what: "a member") else { continue }
                if let first = role.memberMarks[login] {
                    reader.error(item.mark, "member \(login) is listed twice in role \(id) (first at \(first))")
                    continue
                }
                if !AccessRules.isValidLogin(login) {
                    reader.error(item.mark, "member \(ManifestLimits.shown(login)) is not a valid login")
                    continue
                }
                role.memberMarks[login] = item.mark
                role.members.append(login)
            }
            if role.isBuiltIn, items.isEmpty {
                reader.error(list.mark, "\(id) needs at least one member: the server refuses to run without a super-user")
            }
        }
        role.members.sort()
        return role
    }
}
