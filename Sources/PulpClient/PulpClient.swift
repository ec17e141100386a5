import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1
import NIOSSL
public import PulpContract
import PulpModel
import Synchronization

/// A failure talking to a server that is not a Pulp error body.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The connection failed or broke: worth retrying a read.
        case connection
        /// Recent attempts all failed to connect: not worth retrying now.
        case unreachable
        /// The server answered something that is not what Pulp answers.
        case response
    }

    public var url: String
    public var message: String
    public var kind: Kind

    public init(url: String, message: String, kind: Kind = .response) {
        self.url = url
        self.message = message
        self.kind = kind
    }

    public var description: String { "\(url): \(message)" }
}

/// `PulpService` over HTTP, against a live Pulp 2 server (or `pulpform serve`), with one connection pool.
///
/// - Idempotent reads are retried with backoff on connection errors and 5xx; writes are never resent.
/// - Every request has a timeout. A body that is not JSON is a `ClientError` naming the URL.
/// - Pulp error bodies become `PulpError`s with Pulp's code, status and message.
/// - Call reports are awaited with one batched `POST /tasks/search/` per poll round.
public final class PulpClient: PulpService, Sendable {
    public struct Options: Sendable {
        /// `https://pulp.example.com/` (the API root `pulp/api/v2/` is appended).
        public var baseURL: String
        public var username: String?
        public var password: String?
        /// PEM CA bundle for the server's certificate.
        public var caBundle: String?
        /// PEM client certificate and key.
        public var clientCertificate: String?
        public var clientKey: String?
        public var timeout: TimeAmount
        /// Repositories per search page.
        public var pageSize: Int
        /// Concurrent schedule reads.
        public var parallelism: Int
        /// Attempts for idempotent reads.
        public var attempts: Int

        public init(baseURL: String, username: String? = nil, password: String? = nil, caBundle: String? = nil,
                    clientCertificate: String? = nil, clientKey: String? = nil, timeout: TimeAmount = .seconds(60),
                    pageSize: Int = 1000, parallelism: Int = 24, attempts: Int = 4)
        {
            self.baseURL = baseURL
            self.username = username
            self.password = password
            self.caBundle = caBundle
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.timeout = timeout
            self.pageSize = pageSize
            self.parallelism = parallelism
            self.attempts = attempts
        }
    }

    public let options: Options
    let http: HTTPClient
    /// `http://host:port` with no trailing slash.
    let origin: String

    /// A circuit breaker: after `breakerThreshold` connection failures in a row, requests fail at once for
    /// `breakerCooldown` seconds instead of waiting and retrying against a server that is gone.
    let breaker = Mutex<(failures: Int, openedAt: Double)>((0, 0))
    static let breakerThreshold = 3
    static let breakerCooldown = 2.0

    public init(_ options: Options) throws {
        self.options = options
        var base = options.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/pulp/api/v2") { base.removeLast("/pulp/api/v2".count) }
        guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ClientError(url: options.baseURL, message: "not an http(s) URL")
        }
        origin = base
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caBundle { tls.trustRoots = .file(ca) }
        if let cert = options.clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
        }
        if let key = options.clientKey { tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: options.timeout)
        // One keep-alive connection per concurrent request (AsyncHTTPClient allows 8 by default).
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, options.parallelism)
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    /// Closes the connection pool.
    public func shutdown() async throws {
        try await http.shutdown()
    }

}
