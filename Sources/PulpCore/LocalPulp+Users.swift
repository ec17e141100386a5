import Foundation
import PulpAuth
import PulpContent
public import PulpModel
public import PulpStore

/// Users and API tokens (pulp2-auth.md §2, §5.5, §5.6), on the embedded store. Passwords are hashed off the
/// cooperative pool and never leave this file but as a hash; a token is shown once, when it is made, and kept as
/// its SHA-256.
extension LocalPulp {
    /// Creates a user; `superUser` makes them a member of `super-users`. 400 for a bad login or password, 409 for a
    /// login that exists.
    public func createUser(login: String, name: String? = nil, password: String?, superUser: Bool = false) async throws -> JSONObject {
        guard AccessRules.isValidLogin(login) else { throw PulpError.invalidValue(["login"]) }
        let hash = try await hash(password)
        let now = clock.now().epoch
        let user = StoredUser(login: login, oid: PulpIDs.objectId(), name: name ?? login, passwordHash: hash, created: now)
        return try await authWrite { db in
            guard try db.insertUser(user) else { throw PulpError.duplicateResource(login) }
            try Self.automaticGrants(login, db)
            if superUser { _ = try db.setMember(roleId: Grants.superUsersRole, login: login, true) }
            return try Self.userResource(user, roles: superUser ? [Grants.superUsersRole] : [])
        }
    }

    public func users() async throws -> [JSONObject] {
        try await store.read { db in
            let members = try db.roleMembers()
            return try db.users().map { u in try Self.userResource(u, roles: Self.roles(of: u.login, members)) }
        }
    }

    /// 404 for an unknown login.
    public func user(_ login: String) async throws -> JSONObject {
        try await store.read { db in
            guard let u = try db.user(login) else { throw PulpError.missingResource(["user": login]) }
            return try Self.userResource(u, roles: Self.roles(of: login, try db.roleMembers()))
        }
    }

    /// Sets (or, with nil, removes) a user's password. Cached credentials and login certificates of theirs stop
    /// working; their API tokens stay.
    public func setPassword(_ login: String, _ password: String?) async throws {
        let hash = try await hash(password)
        let now = clock.now().epoch
        try await authWrite { db in
            guard var u = try db.user(login) else { throw PulpError.missingResource(["user": login]) }
            u.passwordHash = hash
            _ = try db.updateUser(u)
            try db.revokeLoginCertificates(login: login, now: now)
        }
    }

    /// Disables or enables a user. Disabling revokes their API tokens and login certificates: enabling them again
    /// does not bring those back. The last enabled super-user cannot be disabled.
    public func setDisabled(_ login: String, _ disabled: Bool) async throws {
        let now = clock.now().epoch
        try await authWrite { db in
            guard var u = try db.user(login) else { throw PulpError.missingResource(["user": login]) }
            if disabled, !u.disabled, try Self.isLastSuperUser(login, db) {
                throw Self.plp0000("The last superuser [\(login)] cannot be disabled")
            }
            u.disabled = disabled
            _ = try db.updateUser(u)
            if disabled {
                try db.revokeTokens(login: login, now: now)
                try db.revokeLoginCertificates(login: login, now: now)
            }
        }
    }

    /// Deletes a user with their grants and tokens. The last enabled super-user cannot be deleted.
    public func deleteUser(_ login: String) async throws {
        try await authWrite { db in
            guard try db.user(login) != nil else { throw PulpError.missingResource(["user": login]) }
            if try Self.isLastSuperUser(login, db) { throw Self.plp0000("The last superuser [\(login)] cannot be deleted") }
            _ = try db.deleteUser(login)
        }
    }

    /// Whether any enabled user is a super-user: `serve` refuses to start without one.
    public func hasSuperUser() async throws -> Bool {
        try await store.read { db in try Self.enabledSuperUsers(db).count > 0 }
    }

    // MARK: API tokens

    /// The prefix of every token pulpform makes, so that a token found in a log or a repository is recognised.
    public static let tokenPrefix = "pfm_"

    /// Makes a token for `login`, valid until `expires` (forever when nil). Returns its id and the token itself,
    /// which is shown once: only its SHA-256 is kept.
    public func createToken(login: String, note: String?, expires: Double?) async throws -> (id: String, token: String) {
        let token = Self.tokenPrefix + RandomSecret.base64URL(32)
        let id = PulpIDs.uuid()
        let now = clock.now().epoch
        if let expires, expires <= now { throw PulpError.invalidValue(["expires"]) }
        try await authWrite { db in
            guard try db.user(login) != nil else { throw PulpError.missingResource(["user": login]) }
            try db.insertToken(StoredToken(tokenId: id, login: login, digest: Self.tokenDigest(token), note: note, created: now, expires: expires))
        }
        return (id, token)
    }

    public func tokens(login: String?) async throws -> [StoredToken] {
        try await store.read { db in try db.tokens(login: login) }
    }

    /// 404 for an unknown token or one revoked already.
    public func revokeToken(_ id: String) async throws {
        let now = clock.now().epoch
        try await authWrite { db in
            guard try db.revokeToken(id, now: now) else { throw PulpError.missingResource(["token": id]) }
        }
    }

    /// A token's key in the store: the hex SHA-256 of the token (it has 256 random bits: no KDF needed).
    public static func tokenDigest(_ token: String) -> String {
        Checksummer.hex(Array(token.utf8), .sha256)
    }

    // MARK: Helpers

    func hash(_ password: String?) async throws -> String? {
        guard let password else { return nil }
        let iterations = access.passwordIterations
        do {
            return try await HashingPool.run { try PasswordHash.make(password, iterations: iterations) }
        } catch let e as PasswordHash.Failure {
            throw PulpError.invalidValue(["password"], subErrors: [PulpError(code: "PLP0015", httpStatus: 400, message: e.description)])
        }
    }

    static func roles(of login: String, _ members: [String: Set<String>]) -> [String] {
        members.filter { $0.value.contains(login) }.keys.sorted()
    }

    static func enabledSuperUsers(_ db: StoreDB) throws -> [String] {
        let members = try db.roleMembers()[Grants.superUsersRole] ?? []
        return try members.sorted().filter { try db.user($0)?.disabled == false }
    }

    private static func isLastSuperUser(_ login: String, _ db: StoreDB) throws -> Bool {
        try enabledSuperUsers(db) == [login]
    }


    /// A user as Pulp 2.8 shows one (never the password).
    static func userResource(_ u: StoredUser, roles: [String]) throws -> JSONObject {
        ["_id": ["$oid": .string(u.oid)], "id": .string(u.oid), "_ns": "users", "login": .string(u.login), "name": .string(u.name),
         "roles": .array(roles.map(JSONValue.string)), "_href": .string("/pulp/api/v2/users/\(u.login)/")]
    }
}
