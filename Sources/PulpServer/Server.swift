import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
public import PulpAuth
import PulpContract
public import PulpCore
import PulpModel
public import ServiceLifecycle
public import Prometheus

/// Fires due schedules every `interval` until graceful shutdown.
public struct SchedulerService: Service {
    let pulp: LocalPulp
    let interval: Duration
    let logger: Logger

    public init(pulp: LocalPulp, interval: Duration = .seconds(1), logger: Logger) {
        self.pulp = pulp
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let fired = try await pulp.fireDueSchedules()
                    if !fired.isEmpty { logger.info("schedules fired", metadata: ["tasks": .stringConvertible(fired.count)]) }
                } catch {
                    logger.error("scheduler: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
        logger.info("scheduler stopped")
    }
}

/// Keeps the server's view of users, roles, grants and tokens current when another process (`pulpform user`,
/// `pulpform token`) changes them: a look at the store's counter every `interval`, a reload when it moved.
struct AccessRefreshService: Service {
    let pulp: LocalPulp
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                do {
                    if try await pulp.refreshAccess() { logger.info("users, roles or grants changed: reloaded") }
                } catch {
                    logger.error("reloading users and grants: \(error)")
                }
            }
        }
    }
}

/// Why `serve` will not start.
public enum ServeRefusal: Error, CustomStringConvertible {
    case noSuperUser
    /// Secrets of the store name keys its key file does not hold.
    case missingSecretKeys(ids: [String], keyFile: String)

    public var description: String {
        switch self {
        case .noSuperUser:
            "no enabled super-user exists, so nobody could log in (pulpform user create LOGIN --super-user --generate-password)"
        case .missingSecretKeys(let ids, let keyFile):
            "importer secrets of this store were encrypted with key\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")), which the key "
                + "file \(keyFile) does not hold, so no sync could authenticate to its feed; restore the key file this store was "
                + "used with (--key-file)"
        }
    }
}

/// `pulpform serve`: the API, the workers and the scheduler over one store.
public struct PulpServerRunner: Sendable {
    public var pulp: LocalPulp
    public var host: String
    public var port: Int
    /// How long SIGTERM waits for running tasks.
    public var drainTimeout: Duration
    public var logger: Logger
    /// What the server was asked, by route shape.
    public let counters = RequestCounters()
    /// Fire due schedules. Off, the server only answers requests and runs the tasks they dispatch.
    public var scheduler = true
    /// How long a request's head may take to arrive once its first byte has (slowloris clients are closed).
    public var headerTimeout: Duration = .seconds(10)
    /// How long a connection may wait for a request, or between the parts of a body.
    public var idleTimeout: Duration = .seconds(60)
    /// Credentials on every API request (the default), or none (loopback only: `ServeCommand` checks).
    public var auth: APIAuthentication.Mode = .required
    /// https instead of http, for the API and published content alike.
    public var tls: ServerTLS?
    /// Reverse proxies whose user header names the user, and that header.
    public var trustedProxies: [AddressRange] = []
    public var proxyUserHeader = "X-Remote-User"
    /// OAuth 1.0, when configured.
    public var oauth: OAuthCheck?
    /// How often users, roles, grants and tokens changed by another process (the CLI) are looked for.
    public var accessRefresh: Duration = .seconds(1)
    /// `GET /metrics` (Prometheus) from this registry, when given.
    public var metrics: PrometheusCollectorRegistry?
    /// More services to run with the server, stopped before it (`serve --manifests`: the controller).
    public var services: [any Service] = []

    public init(pulp: LocalPulp, host: String, port: Int, drainTimeout: Duration = .seconds(30), logger: Logger) {
        self.pulp = pulp
        self.host = host
        self.port = port
        self.drainTimeout = drainTimeout
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT. `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await pulp.reloadAccess()
        if auth == .required, try await !pulp.hasSuperUser() { throw ServeRefusal.noSuperUser }
        let (missing, sealed) = try await pulp.prepareSecrets()
        guard missing.isEmpty else { throw ServeRefusal.missingSecretKeys(ids: missing, keyFile: pulp.secretKeyFile) }
        if sealed > 0 { logger.notice("encrypted importer secrets stored in clear", metadata: ["count": .stringConvertible(sealed)]) }
        let resumed = try await pulp.resumeTasks()
        if resumed > 0 { logger.info("resumed waiting tasks", metadata: ["count": .stringConvertible(resumed)]) }
        let http = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [
            ConnectionGuard(headerTimeout: headerTimeout, idleTimeout: idleTimeout),
        ]))
        var api = PulpAPI(pulp: pulp, counters: counters, authentication: .init(
            mode: auth, tls: tls != nil, clientCertificates: tls?.clientCertificates ?? false,
            loginAuthority: tls?.loginAuthority, trustedProxies: trustedProxies, proxyUserHeader: proxyUserHeader,
            oauth: oauth))
        api.metrics = metrics
        let app = Application(
            router: api.router(),
            server: try tls.map { try .tls(http, tlsConfiguration: $0.configuration) } ?? http,
            configuration: .init(address: .hostname(host, port: port), serverName: "pulpform"),
            services: (scheduler ? [SchedulerService(pulp: pulp, logger: logger)] : [])
                + [AccessRefreshService(pulp: pulp, interval: accessRefresh, logger: logger)] + services,
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? 0)
            },
            logger: logger)
        try await app.runService()
        // The listener is closed: let running tasks finish, within the bound. Waiting tasks stay waiting
        // in the store and resume at the next start.
        let drained = await pulp.stopTasks(within: drainTimeout)
        logger.info(drained ? "stopped: running tasks finished" : "stopped: gave up waiting for running tasks")
    }
}
