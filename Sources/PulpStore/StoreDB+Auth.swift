import GRDB

/// A user as stored. `passwordHash` is nil for a user who cannot log in with a password; `generation` changes
/// whenever their password, disabled state or roles change, so that cached credentials can tell they are stale.
public struct StoredUser: Sendable, Equatable {
    public var login: String
    public var oid: String
    public var name: String
    public var passwordHash: String?
    public var disabled: Bool
    public var generation: Int
    public var created: Double

    public init(login: String, oid: String, name: String, passwordHash: String?, disabled: Bool = false, generation: Int = 0,
                created: Double) {
        self.login = login
        self.oid = oid
        self.name = name
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.generation = generation
        self.created = created
    }
}

public struct StoredRole: Sendable, Equatable {
    public var roleId: String
    public var oid: String
    public var displayName: String
    public var description: String?

    public init(roleId: String, oid: String, displayName: String, description: String?) {
        self.roleId = roleId
        self.oid = oid
        self.displayName = displayName
        self.description = description
    }
}

/// Operations granted on a resource path to a user or a role, as a bit set (CREATE = 1 … EXECUTE = 16).
public struct StoredGrant: Sendable, Equatable {
    public enum Grantee: Sendable, Equatable, Hashable {
        case user(String)
        case role(String)
    }

    public var resource: String
    public var grantee: Grantee
    public var operations: Int

    public init(resource: String, grantee: Grantee, operations: Int) {
        self.resource = resource
        self.grantee = grantee
        self.operations = operations
    }
}

/// An API token: only the SHA-256 of the token is kept.
public struct StoredToken: Sendable, Equatable {
    public var tokenId: String
    public var login: String
    public var digest: String
    public var note: String?
    public var created: Double
    public var expires: Double?
    public var revoked: Double?
    public var lastUsed: Double?

    public init(tokenId: String, login: String, digest: String, note: String?, created: Double, expires: Double?,
                revoked: Double? = nil, lastUsed: Double? = nil) {
        self.tokenId = tokenId
        self.login = login
        self.digest = digest
        self.note = note
        self.created = created
        self.expires = expires
        self.revoked = revoked
        self.lastUsed = lastUsed
    }
}

/// A login certificate `POST /actions/login/` issued: its serial (lower-case hex) and whose it is.
public struct StoredLoginCertificate: Sendable, Equatable {
    public var serial: String
    public var login: String
    public var issued: Double
    public var expires: Double
    public var revoked: Double?

    public init(serial: String, login: String, issued: Double, expires: Double, revoked: Double? = nil) {
        self.serial = serial
        self.login = login
        self.issued = issued
        self.expires = expires
        self.revoked = revoked
    }
}

/// Users, roles, their members, grants, API tokens and login certificates.
extension StoreDB {
    // MARK: Users

    /// False when the login exists.
    public func insertUser(_ u: StoredUser) throws -> Bool {
        try db.execute(sql: """
            INSERT INTO users (login, oid, name, password_hash, disabled, generation, created) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (login) DO NOTHING
            """, arguments: [u.login, u.oid, u.name, u.passwordHash, u.disabled ? 1 : 0, u.generation, u.created])
        return db.changesCount > 0
    }

    public func user(_ login: String) throws -> StoredUser? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE login = ?", arguments: [login]).map(Self.user)
    }

    public func users() throws -> [StoredUser] {
        try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY login").map(Self.user)
    }

    /// Replaces the name, password hash and disabled state; the generation moves on when the password or the
    /// disabled state changed. False when there is no such user.
    public func updateUser(_ u: StoredUser) throws -> Bool {
        try db.execute(sql: """
            UPDATE users SET name = ?, password_hash = ?, disabled = ?,
                generation = generation + (password_hash IS NOT ? OR disabled != ?)
            WHERE login = ?
            """, arguments: [u.name, u.passwordHash, u.disabled ? 1 : 0, u.passwordHash, u.disabled ? 1 : 0, u.login])
        return db.changesCount > 0
    }

    /// Deletes the user, their role memberships, grants and tokens. False when there is no such user.
    public func deleteUser(_ login: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM grants WHERE grantee_kind = 'user' AND grantee = ?", arguments: [login])
        try db.execute(sql: "DELETE FROM users WHERE login = ?", arguments: [login])
        return db.changesCount > 0
    }

    private static func user(_ row: Row) throws -> StoredUser {
        guard let login = row["login"] as String?, let oid = row["oid"] as String?, let name = row["name"] as String? else {
            throw StoreError.corrupt("a user without a login, id or name")
        }
        return StoredUser(login: login, oid: oid, name: name, passwordHash: row["password_hash"], disabled: (row["disabled"] as Int?) == 1,
                          generation: row["generation"] ?? 0, created: row["created"] ?? 0)
    }

    // MARK: Roles and members

    /// False when the role exists.
    public func insertRole(_ r: StoredRole) throws -> Bool {
        try db.execute(sql: """
            INSERT INTO roles (role_id, oid, display_name, description) VALUES (?, ?, ?, ?) ON CONFLICT (role_id) DO NOTHING
            """, arguments: [r.roleId, r.oid, r.displayName, r.description])
        return db.changesCount > 0
    }

    public func role(_ id: String) throws -> StoredRole? {
        try Row.fetchOne(db, sql: "SELECT * FROM roles WHERE role_id = ?", arguments: [id]).map(Self.role)
    }

    public func roles() throws -> [StoredRole] {
        try Row.fetchAll(db, sql: "SELECT * FROM roles ORDER BY role_id").map(Self.role)
    }

    /// Replaces the display name and description. False when there is no such role.
    public func updateRole(_ r: StoredRole) throws -> Bool {
        try db.execute(sql: "UPDATE roles SET display_name = ?, description = ? WHERE role_id = ?",
                       arguments: [r.displayName, r.description, r.roleId])
        return db.changesCount > 0
    }

    /// Deletes the role, its grants and memberships (its members' generations move on). False when there is none.
    public func deleteRole(_ id: String) throws -> Bool {
        try db.execute(sql: "UPDATE users SET generation = generation + 1 WHERE login IN (SELECT login FROM role_members WHERE role_id = ?)",
                       arguments: [id])
        try db.execute(sql: "DELETE FROM grants WHERE grantee_kind = 'role' AND grantee = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM roles WHERE role_id = ?", arguments: [id])
        return db.changesCount > 0
    }

    /// Adds or removes a member; true when that changed anything.
    public func setMember(roleId: String, login: String, _ member: Bool) throws -> Bool {
        if member {
            try db.execute(sql: "INSERT INTO role_members (role_id, login) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [roleId, login])
        } else {
            try db.execute(sql: "DELETE FROM role_members WHERE role_id = ? AND login = ?", arguments: [roleId, login])
        }
        let changed = db.changesCount > 0
        if changed { try db.execute(sql: "UPDATE users SET generation = generation + 1 WHERE login = ?", arguments: [login]) }
        return changed
    }

    /// Every role's members, by role id.
    public func roleMembers() throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT role_id, login FROM role_members") {
            if let r = row["role_id"] as String?, let l = row["login"] as String? { out[r, default: []].insert(l) }
        }
        return out
    }

    private static func role(_ row: Row) throws -> StoredRole {
        guard let id = row["role_id"] as String?, let oid = row["oid"] as String? else { throw StoreError.corrupt("a role without an id") }
        return StoredRole(roleId: id, oid: oid, displayName: row["display_name"] ?? id, description: row["description"])
    }

    // MARK: Grants

    /// Adds operations to a grantee's grant on a resource (`add`), or takes them away; a grant left with none
    /// goes. Returns the operations the grant holds afterwards.
    @discardableResult
    public func changeGrant(resource: String, grantee: StoredGrant.Grantee, operations: Int, add: Bool) throws -> Int {
        let (kind, name) = Self.grantee(grantee)
        let old = try Int.fetchOne(db, sql: "SELECT operations FROM grants WHERE resource = ? AND grantee_kind = ? AND grantee = ?",
                                   arguments: [resource, kind, name]) ?? 0
        let new = add ? (old | operations) & 31 : old & ~operations
        if new == 0 {
            try db.execute(sql: "DELETE FROM grants WHERE resource = ? AND grantee_kind = ? AND grantee = ?", arguments: [resource, kind, name])
        } else if new != old {
            try db.execute(sql: """
                INSERT INTO grants (resource, grantee_kind, grantee, operations) VALUES (?, ?, ?, ?)
                ON CONFLICT (resource, grantee_kind, grantee) DO UPDATE SET operations = excluded.operations
                """, arguments: [resource, kind, name, new])
        }
        return new
    }

    /// Every grant, by resource then grantee.
    public func grants() throws -> [StoredGrant] {
        try Row.fetchAll(db, sql: "SELECT * FROM grants ORDER BY resource, grantee_kind, grantee").compactMap { row in
            guard let resource = row["resource"] as String?, let kind = row["grantee_kind"] as String?, let name = row["grantee"] as String?,
                  let ops = row["operations"] as Int? else { return nil }
            return StoredGrant(resource: resource, grantee: kind == "role" ? .role(name) : .user(name), operations: ops)
        }
    }

    private static func grantee(_ g: StoredGrant.Grantee) -> (String, String) {
        switch g {
        case .user(let login): ("user", login)
        case .role(let id): ("role", id)
        }
    }

    /// The counter every change to users, roles, members, grants or tokens moves on.
    public func authVersion() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT version FROM auth_version WHERE id = 1") ?? 0
    }

    // MARK: API tokens

    public func insertToken(_ t: StoredToken) throws {
        try db.execute(sql: """
            INSERT INTO api_tokens (token_id, login, digest, note, created, expires, revoked, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [t.tokenId, t.login, t.digest, t.note, t.created, t.expires, t.revoked, t.lastUsed])
    }

    public func token(digest: String) throws -> StoredToken? {
        try Row.fetchOne(db, sql: "SELECT * FROM api_tokens WHERE digest = ?", arguments: [digest]).map(Self.token)
    }

    /// A user's tokens (every user's when nil), oldest first.
    public func tokens(login: String?) throws -> [StoredToken] {
        if let login {
            return try Row.fetchAll(db, sql: "SELECT * FROM api_tokens WHERE login = ? ORDER BY created, token_id", arguments: [login]).map(Self.token)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY created, token_id").map(Self.token)
    }

    /// False when there is no such token or it was revoked already.
    public func revokeToken(_ id: String, now: Double) throws -> Bool {
        try db.execute(sql: "UPDATE api_tokens SET revoked = ? WHERE token_id = ? AND revoked IS NULL", arguments: [now, id])
        return db.changesCount > 0
    }

    private static func token(_ row: Row) throws -> StoredToken {
        guard let id = row["token_id"] as String?, let login = row["login"] as String?, let digest = row["digest"] as String? else {
            throw StoreError.corrupt("an API token without an id, login or digest")
        }
        return StoredToken(tokenId: id, login: login, digest: digest, note: row["note"], created: row["created"] ?? 0,
                           expires: row["expires"], revoked: row["revoked"], lastUsed: row["last_used"])
    }

    // MARK: Login certificates

    /// Records an issued certificate; certificates that expired more than a day ago go.
    public func insertLoginCertificate(_ c: StoredLoginCertificate) throws {
        try db.execute(sql: "DELETE FROM login_certificates WHERE expires < ?", arguments: [c.issued - 86_400])
        try db.execute(sql: "INSERT INTO login_certificates (serial, login, issued, expires, revoked) VALUES (?, ?, ?, ?, ?)",
                       arguments: [c.serial, c.login, c.issued, c.expires, c.revoked])
    }

    /// The unrevoked certificates (expired ones too, until `insertLoginCertificate` prunes them).
    public func loginCertificates() throws -> [StoredLoginCertificate] {
        try Row.fetchAll(db, sql: "SELECT * FROM login_certificates WHERE revoked IS NULL ORDER BY issued")
            .map(Self.loginCertificate)
    }

    /// Revokes a user's certificates; returns how many.
    @discardableResult
    public func revokeLoginCertificates(login: String, now: Double) throws -> Int {
        try db.execute(sql: "UPDATE login_certificates SET revoked = ? WHERE login = ? AND revoked IS NULL", arguments: [now, login])
        return db.changesCount
    }

    /// Revokes a user's API tokens; returns how many.
    @discardableResult
    public func revokeTokens(login: String, now: Double) throws -> Int {
        try db.execute(sql: "UPDATE api_tokens SET revoked = ? WHERE login = ? AND revoked IS NULL", arguments: [now, login])
        return db.changesCount
    }

    private static func loginCertificate(_ row: Row) throws -> StoredLoginCertificate {
        guard let serial = row["serial"] as String?, let login = row["login"] as String? else {
            throw StoreError.corrupt("a login certificate without a serial or login")
        }
        return StoredLoginCertificate(serial: serial, login: login, issued: row["issued"] ?? 0, expires: row["expires"] ?? 0, revoked: row["revoked"])
    }
}
