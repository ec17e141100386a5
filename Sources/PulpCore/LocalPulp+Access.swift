import Foundation
import PulpAuth
import PulpModel
import PulpStore

/// What a Basic login came to.
public enum LoginOutcome: Sendable, Equatable {
    case user(String)
    /// A wrong login, password or token (PLP0030). `alarming` when this login has just passed the hourly
    /// threshold of failures, for a warning in the log.
    case invalid(login: String, alarming: Bool)
    /// Too many recent failures from this address: refused without checking (429, `Retry-After`).
    case throttled(login: String, retryAfter: Int)
}

/// Logins and permission checks against the in-memory `AccessControl` (pulp2-auth.md §5.1–§5.3, §5.6, §5.8).
extension LocalPulp {
    /// Reads users, roles, grants and tokens from the store into memory.
    public func reloadAccess() async throws {
        let access = self.access
        try await store.read { db in try access.load(db) }
    }

    /// Reloads when another process changed users, roles, grants or tokens since the last load. Returns whether
    /// it reloaded.
    @discardableResult
    public func refreshAccess() async throws -> Bool {
        let access = self.access
        return try await store.read { db in
            guard try db.authVersion() != access.version else { return false }
            try access.load(db)
            return true
        }
    }

    /// A write to users, roles, grants or tokens; the in-memory view is rebuilt in the same transaction.
    func authWrite<T: Sendable>(_ body: @escaping @Sendable (StoreDB) throws -> T) async throws -> T {
        let access = self.access
        return try await store.write { db in
            let out = try body(db)
            try access.load(db)
            return out
        }
    }

    /// Whether `login` names an enabled user: what a trusted proxy's user header needs (the proxy checked the
    /// credentials).
    public func canLogIn(_ login: String) -> Bool {
        guard let account = access.account(login) else { return false }
        return !account.disabled
    }

    /// Checks a Basic login and password from `address`. The password may be an API token of that login. A
    /// password verified within the last five minutes is not hashed again; a refused address is not hashed for at
    /// all. A user without a password, or disabled, never logs in; an unknown login costs the same hashing as a known
    /// one.
    public func login(_ login: String, password: String, address: String) async -> LoginOutcome {
        // The common case, a valid token or a credential verified lately, returns before anything suspends.
        let now = clock.now().epoch
        if password.hasPrefix(Self.tokenPrefix), let token = access.token(digest: Self.tokenDigest(password), now: now), token.login == login {
            return .user(login)
        }
        let key = access.cacheKey(login: login, password: password)
        if let cached = access.cached(key, now: now) { return .user(cached) }
        if let wait = access.retryAfter(address: address, login: login, now: now) {
            return .throttled(login: login, retryAfter: max(1, Int(wait.rounded(.up))))
        }
        // One check per credential at a time: requests that arrive with the same credentials while it runs (a
        // client opening many connections at once) wait for its verdict instead of hashing again.
        let verified = await access.verifyOnce(key) { [self] in
            await self.verify(login: login, password: password, key: key, now: now)
        }
        guard verified else {
            let alarming = access.failed(address: address, login: login, now: now)
            return .invalid(login: login, alarming: alarming)
        }
        access.succeeded(address: address, login: login)
        return .user(login)
    }

    /// Hashes the password against the user's (or a dummy, for an unknown or disabled user), replaces a weaker
    /// hash, and caches the credential. True when it matches.
    private func verify(login: String, password: String, key: [UInt8], now: Double) async -> Bool {
        let account = access.account(login)
        let iterations = access.passwordIterations
        let verdict = (try? await HashingPool.run { () -> PasswordHash.Verdict in
            guard let account, !account.disabled else {
                PasswordHash.dummyCheck(Array(password.utf8).prefix(PasswordHash.maximumPasswordBytes), iterations: iterations)
                return .mismatch
            }
            return PasswordHash.verify(password, against: account.passwordHash, iterations: iterations)
        }) ?? .mismatch
        guard case .match(let needsRehash) = verdict, let account else { return false }
        var generation = account.generation
        if needsRehash, let stronger = try? await hash(password) {
            // A Pulp 2 or weaker hash is replaced by a current one, unless the password changed meanwhile.
            let old = account.passwordHash
            if let moved = try? await authWrite({ db -> Int? in
                guard var u = try db.user(login), u.passwordHash == old else { return nil }
                u.passwordHash = stronger
                _ = try db.updateUser(u)
                return try db.user(login)?.generation
            }) {
                generation = moved
            }
        }
        access.remember(key, login: login, generation: generation, now: now)
        return true
    }
}
