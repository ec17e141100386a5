public import Hummingbird
public import NIOCore
import NIOSSL

/// Who a request runs as.
public enum Principal: Sendable, Equatable {
    /// A user who logged in.
    case user(String)
    /// The server itself: authentication is off (`serve --auth none`, loopback only).
    case system

    /// The login, for checks that concern a user (nil for the system).
    public var login: String? {
        if case .user(let login) = self { return login }
        return nil
    }
}

/// The request context of `pulpform serve`: Hummingbird's core storage, the client's address (for the login
/// throttle), the channel (for a TLS client certificate) and, once a route has checked it, who is asking.
public struct PulpRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The connection, when the request came over one (nil in the router test framework).
    public let channel: (any Channel)?
    /// Set by a route's authorisation step, before the handler runs.
    public var principal: Principal?
    /// How the principal proved who they are (nil for the system).
    public var credential: APIAuthentication.Credential?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The client's address as the throttle keys it: the IP alone.
    var peer: String { remoteAddress?.ipAddress ?? "unknown" }

    /// Whether the client connected from a loopback address (127.0.0.0/8 or ::1).
    var fromLoopback: Bool {
        guard let ip = remoteAddress?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    /// The client certificate of a TLS connection, as DER (nil without TLS or without a certificate). The
    /// handshake has verified it against the client CA.
    func peerCertificate() async -> [UInt8]? {
        guard let channel, let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return try? certificate.toDERBytes()
    }
}
