import Foundation
import Hummingbird
import Logging
import PulpAuth
public import PulpCore
import PulpModel

/// How `pulpform serve` decides who a request comes from (pulp2-auth.md §5.1), and whether they may do a route's
/// operation (§5.8). Every API route but `GET /status/` asks for it; published content does not.
public struct APIAuthentication: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Credentials on every API request.
        case required
        /// Every request runs as the server itself: for local development and tests, on loopback only.
        case none
    }

    public var mode: Mode
    let pulp: LocalPulp

    public init(mode: Mode, pulp: LocalPulp) {
        self.mode = mode
        self.pulp = pulp
    }

    /// Who `request` comes from, or the 401 (or 429) that answers it. Basic credentials are checked against the
    /// users and tokens; a wrong one is final (no other method is tried, as in Pulp 2.8).
    func principal(_ request: Request, _ context: PulpRequestContext) async throws -> Principal {
        if mode == .none { return .system }
        switch Authorization.parse(request.headers[.authorization]) {
        case .basic(let login, let password):
            switch await pulp.login(login, password: password, address: context.peer) {
            case .user(let login):
                return .user(login)
            case .invalid(let login, let alarming):
                context.logger.notice("login failed", metadata: [
                    "login": .string(login), "peer": .string(context.peer), "code": "PLP0030",
                ])
                if alarming {
                    context.logger.warning("many failed logins for one user within an hour", metadata: ["login": .string(login)])
                }
                throw PulpError.invalidCredentials(user: login)
            case .throttled(let login, let retryAfter):
                // Debug only: a client retrying against the throttle would otherwise write a line per attempt.
                context.logger.debug("login throttled", metadata: [
                    "login": .string(login), "peer": .string(context.peer), "retry_after": .stringConvertible(retryAfter),
                ])
                throw PulpError.loginThrottled(retryAfter: retryAfter)
            }
        case .malformed:
            context.logger.notice("login failed: malformed Basic credentials", metadata: ["peer": .string(context.peer), "code": "PLP0025"])
            throw PulpError.authenticationFailed()
        case .other:
            throw PulpError.authenticationFailed()
        }
    }

    /// Whether `principal` may do `operation` on the request's path (Pulp 2's rule: a grant on the path or on one
    /// of its ancestors); PLP0026 when not.
    func authorize(_ principal: Principal, _ operation: PulpOperation, _ request: Request) throws {
        guard case .user(let login) = principal else { return }
        guard pulp.access.allows(login, operation, on: ResourcePath.of(uri: request.uri.path)) else {
            throw PulpError.permissionDenied(user: login, operation: operation.name)
        }
    }
}
