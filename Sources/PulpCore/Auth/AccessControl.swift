import Crypto
import Foundation
public import PulpAuth
import PulpStore
import Synchronization

/// Who may log in and what they may do, answered from memory (pulp2-auth.md §5.2, §5.3, §5.8): a snapshot of the
/// store's users, roles, grants and tokens, a cache of verified passwords and the failed-login throttle. A request
/// never waits on a store query for any of them. The snapshot is rebuilt after every change to them
/// (`LocalPulp.reloadAccess`), and by `serve` when another process changed them.
public final class AccessControl: Sendable {
    /// A user as a login needs them.
    struct Account: Sendable {
        var oid: String
        var passwordHash: String?
        var disabled: Bool
        /// Moves on with a password change, disabling or a change of roles: cached credentials of an older
        /// generation no longer count.
        var generation: Int
    }

    struct Token: Sendable {
        var id: String
        var login: String
        var expires: Double?
    }

    struct LoginCertificate: Sendable {
        var login: String
        var expires: Double
    }

    struct Snapshot: Sendable {
        var grants = Grants(userGrants: [], roleGrants: [], members: [:])
        var users: [String: Account] = [:]
        /// Unrevoked tokens by digest.
        var tokens: [String: Token] = [:]
        /// Unrevoked login certificates by serial.
        var certificates: [String: LoginCertificate] = [:]
        /// The store's `auth_version` this snapshot was read at.
        var version = -1
    }

    /// A verified password: valid for the account generation it was verified at, until `expires`.
    struct CachedCredential {
        var login: String
        var generation: Int
        var expires: Double
        var used: Double
    }

    /// Verified credentials live this long (seconds) and at most this many are kept.
    static let cacheTTL: Double = 5 * 60
    static let cacheCapacity = 10_000

    private let snapshot = Mutex(Snapshot())
    private let cache = Mutex([[UInt8]: CachedCredential]())
    private let throttle = Mutex(LoginThrottle())
    /// Checks under way, by credential key.
    private let inFlight = Mutex([[UInt8]: Task<Bool, Never>]())
    /// HMAC-SHA256 keyed with a per-process random key, its key schedule done once (each use copies it): a cache
    /// entry's key reveals nothing of the password it stands for.
    private let cacheHMAC = PreparedHMAC(key: RandomSecret.bytes(32))
    /// PBKDF2 rounds for new hashes (the default; tests may lower it).
    let passwordIterations: Int

    init(passwordIterations: Int = PasswordHash.iterations) {
        self.passwordIterations = passwordIterations
    }

    // MARK: Snapshot

    var version: Int { snapshot.withLock { $0.version } }

    /// Replaces the snapshot with the store's current users, roles, grants and tokens.
    func load(_ db: StoreDB) throws {
        var next = Snapshot()
        next.version = try db.authVersion()
        for u in try db.users() {
            next.users[u.login] = Account(oid: u.oid, passwordHash: u.passwordHash, disabled: u.disabled, generation: u.generation)
        }
        var userGrants: [(resource: String, login: String, operations: Operations)] = []
        var roleGrants: [(resource: String, role: String, operations: Operations)] = []
        for g in try db.grants() {
            switch g.grantee {
            case .user(let login): userGrants.append((g.resource, login, Operations(rawValue: g.operations)))
            case .role(let role): roleGrants.append((g.resource, role, Operations(rawValue: g.operations)))
            }
        }
        next.grants = Grants(userGrants: userGrants, roleGrants: roleGrants, members: try db.roleMembers())
        for t in try db.tokens(login: nil) where t.revoked == nil {
            next.tokens[t.digest] = Token(id: t.tokenId, login: t.login, expires: t.expires)
        }
        for c in try db.loginCertificates() {
            next.certificates[c.serial] = LoginCertificate(login: c.login, expires: c.expires)
        }
        snapshot.withLock { $0 = next }
    }

    /// The grants now in force.
    public var grants: Grants { snapshot.withLock { $0.grants } }

    /// Whether `login` may do `operation` on `resource`; an unknown or disabled user may do nothing.
    public func allows(_ login: String, _ operation: PulpOperation, on resource: String) -> Bool {
        snapshot.withLock { s in
            guard let account = s.users[login], !account.disabled else { return false }
            return s.grants.allows(login, operation, on: resource)
        }
    }

    /// `allows` for a request's URI path: a super-user is answered before the path is worked out.
    public func allows(_ login: String, _ operation: PulpOperation, onURI path: String) -> Bool {
        let verdict = snapshot.withLock { s -> Bool? in
            guard let account = s.users[login], !account.disabled else { return false }
            return s.grants.isSuperUser(login) ? true : nil
        }
        return verdict ?? allows(login, operation, on: ResourcePath.of(uri: path))
    }

    public func isSuperUser(_ login: String) -> Bool { snapshot.withLock { $0.grants.isSuperUser(login) } }

    func account(_ login: String) -> Account? { snapshot.withLock { $0.users[login] } }

    /// The token with this digest, when it is unrevoked, unexpired and its user enabled.
    func token(digest: String, now: Double) -> Token? {
        snapshot.withLock { s in
            guard let t = s.tokens[digest], (t.expires ?? .infinity) > now, s.users[t.login]?.disabled == false else { return nil }
            return t
        }
    }

    /// Whether a login certificate with this serial, naming `login` and user id `oid`, counts at `now`: this
    /// server issued it to that user, it is unrevoked and unexpired, and the user is enabled and is the same user
    /// (a user deleted and made again under the same login has a new id).
    func certificateCounts(serial: String, login: String, oid: String, now: Double) -> Bool {
        snapshot.withLock { s in
            guard let c = s.certificates[serial], c.login == login, c.expires > now,
                  let account = s.users[login], !account.disabled, account.oid == oid else { return false }
            return true
        }
    }

    // MARK: Credential cache

    func cacheKey(login: String, password: String) -> [UInt8] {
        var message = Array(login.utf8)
        message.append(0)
        message += password.utf8
        var mac = cacheHMAC.hmac
        mac.update(data: message)
        return Array(mac.finalize())
    }

    /// The login a cached credential stands for, when it is still good.
    func cached(_ key: [UInt8], now: Double) -> String? {
        guard let entry = cache.withLock({ c -> CachedCredential? in
            guard var e = c[key] else { return nil }
            e.used = now
            c[key] = e
            return e
        }) else { return nil }
        guard entry.expires > now, let account = account(entry.login), !account.disabled, account.generation == entry.generation else {
            _ = cache.withLock { $0.removeValue(forKey: key) }
            return nil
        }
        return entry.login
    }

    func remember(_ key: [UInt8], login: String, generation: Int, now: Double) {
        cache.withLock { c in
            c[key] = CachedCredential(login: login, generation: generation, expires: now + Self.cacheTTL, used: now)
            guard c.count > Self.cacheCapacity else { return }
            // Over capacity: the least recently used tenth goes (an occasional sort instead of a list per hit).
            let stale = c.sorted { $0.value.used < $1.value.used }.prefix(Self.cacheCapacity / 10).map(\.key)
            for k in stale { c.removeValue(forKey: k) }
        }
    }

    var cachedCredentials: Int { cache.withLock { $0.count } }

    /// Runs `check` for this credential key, or waits for the run already under way.
    func verifyOnce(_ key: [UInt8], _ check: @escaping @Sendable () async -> Bool) async -> Bool {
        let task = inFlight.withLock { running -> Task<Bool, Never> in
            if let t = running[key] { return t }
            let t = Task { await check() }
            running[key] = t
            return t
        }
        let verdict = await task.value
        inFlight.withLock { running in
            if running[key] == task { running.removeValue(forKey: key) }
        }
        return verdict
    }

    // MARK: Throttle

    func retryAfter(address: String, login: String, now: Double) -> Double? {
        throttle.withLock { $0.retryAfter(address: address, login: login, now: now) }
    }

    /// Records a failed login; true when the login has just passed the hourly warning threshold.
    func failed(address: String, login: String, now: Double) -> Bool {
        throttle.withLock { $0.failed(address: address, login: login, now: now) }
    }

    func succeeded(address: String, login: String) {
        throttle.withLock { $0.succeeded(address: address, login: login) }
    }
}

/// An HMAC-SHA256 after its key schedule. `HMAC` is a value: each use works on a copy.
private struct PreparedHMAC: @unchecked Sendable {
    let hmac: HMAC<SHA256>

    init(key: [UInt8]) {
        hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
    }
}
