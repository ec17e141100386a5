import Foundation
import HTTPTypes
import Hummingbird
import Logging
public import PulpAuth
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

    /// What the server offers beyond Basic.
    public struct Settings: Sendable {
        public var mode: Mode
        /// The server speaks TLS (every connection is https).
        public var tls: Bool
        /// TLS asks for client certificates of a client CA: login certificates log in.
        public var clientCertificates: Bool
        /// Signs the certificates `POST /actions/login/` returns (nil: that route answers 501).
        public var loginAuthority: LoginCertificateAuthority?
        /// Reverse proxies that authenticate users themselves: from these peers only, `proxyUserHeader` names the
        /// user (off when empty).
        public var trustedProxies: [AddressRange]
        public var proxyUserHeader: String
        /// OAuth 1.0 (runcible, old pulp-admin): off unless configured.
        public var oauth: OAuthCheck?

        public init(mode: Mode, tls: Bool = false, clientCertificates: Bool = false, loginAuthority: LoginCertificateAuthority? = nil,
                    trustedProxies: [AddressRange] = [], proxyUserHeader: String = "X-Remote-User", oauth: OAuthCheck? = nil) {
            self.mode = mode
            self.tls = tls
            self.clientCertificates = clientCertificates
            self.loginAuthority = loginAuthority
            self.trustedProxies = trustedProxies
            self.proxyUserHeader = proxyUserHeader
            self.oauth = oauth
        }
    }

    /// How a principal proved who they are.
    public enum Credential: Sendable, Equatable {
        /// A password or an API token, in a Basic header.
        case basic
        /// A login certificate, at the TLS handshake.
        case certificate
        /// A trusted reverse proxy's user header.
        case proxy
        /// An OAuth 1.0 signature with a `pulp-user` header.
        case oauth
    }

    public var settings: Settings
    public var mode: Mode { settings.mode }
    let pulp: LocalPulp

    public init(settings: Settings, pulp: LocalPulp) {
        self.settings = settings
        self.pulp = pulp
    }

    public init(mode: Mode, pulp: LocalPulp) {
        self.init(settings: Settings(mode: mode), pulp: pulp)
    }

    /// Who `request` comes from, or the 401 (or 429) that answers it.
    func principal(_ request: Request, _ context: PulpRequestContext) async throws -> Principal {
        try await identify(request, context).principal
    }

    /// Who `request` comes from and how they proved it (nil for the system), or the 401 (or 429) that answers it.
    /// In Pulp 2.8's order: a trusted proxy's user header; Basic credentials, checked against the users and tokens,
    /// a wrong one final (no other method is tried); a client certificate, which must be a login certificate this
    /// server issued and still honours; an OAuth signature.
    func identify(_ request: Request, _ context: PulpRequestContext) async throws -> (principal: Principal, credential: Credential?) {
        if mode == .none { return (.system, nil) }
        if let login = proxyUser(request, context) {
            guard pulp.canLogIn(login) else {
                context.logger.notice("login failed: proxy user", metadata: ["login": .string(login), "peer": .string(context.peer), "code": "PLP0029"])
                throw PulpError.preauthenticatedUserMissing(user: login)
            }
            return (.user(login), .proxy)
        }
        switch Authorization.parse(request.headers[.authorization]) {
        case .basic(let login, let password):
            switch await pulp.login(login, password: password, address: context.peer) {
            case .user(let login):
                return (.user(login), .basic)
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
            break
        }
        if settings.clientCertificates, let der = await context.peerCertificate() {
            switch pulp.certificateLogin(der: der) {
            case .user(let login):
                return (.user(login), .certificate)
            case .invalid(let commonName):
                context.logger.notice("login failed: client certificate", metadata: [
                    "common_name": .string(commonName ?? "none"), "peer": .string(context.peer), "code": "PLP0027",
                ])
                throw PulpError.invalidCertificate(user: commonName)
            }
        }
        if let oauth = settings.oauth, let parameters = OAuthConsumer.parameters(request.headers[.authorization]) {
            let user = HTTPField.Name("pulp-user").flatMap { request.headers[$0] }
            let verdict = oauth.verify(request, oauth: parameters, tls: settings.tls, now: pulp.clock.now().epoch)
            guard verdict == .valid, let user, pulp.canLogIn(user) else {
                var reason = "unknown or disabled user"
                if case .invalid(let why) = verdict { reason = why } else if user == nil { reason = "no pulp-user header" }
                context.logger.notice("login failed: OAuth", metadata: [
                    "login": .string(user ?? "none"), "peer": .string(context.peer), "reason": .string(reason), "code": "PLP0028",
                ])
                throw PulpError.invalidOAuthCredentials(user: user)
            }
            return (.user(user), .oauth)
        }
        throw PulpError.authenticationFailed()
    }

    /// The user a trusted proxy names: only when the peer is one of `trustedProxies` and the header is there. From
    /// any other peer the header is ignored (a client could send it).
    func proxyUser(_ request: Request, _ context: PulpRequestContext) -> String? {
        guard !settings.trustedProxies.isEmpty, let name = HTTPField.Name(settings.proxyUserHeader),
              let value = request.headers[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty,
              let peer = context.remoteAddress?.ipAddress, settings.trustedProxies.contains(where: { $0.contains(peer) }) else { return nil }
        return value
    }

    /// Whether `principal` may do `operation` on the request's path (Pulp 2's rule: a grant on the path or on one
    /// of its ancestors); PLP0026 when not.
    func authorize(_ principal: Principal, _ operation: PulpOperation, _ request: Request) throws {
        guard case .user(let login) = principal else { return }
        guard pulp.access.allows(login, operation, onURI: request.uri.path) else {
            throw PulpError.permissionDenied(user: login, operation: operation.name)
        }
    }
}
