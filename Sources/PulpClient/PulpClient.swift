import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1
import NIOSSL
public import PulpContract
public import PulpModel
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

    // MARK: - Tasks

    public func task(_ id: String) async throws -> TaskReport {
        let r = try await send(.GET, PulpPaths.task(id), idempotent: true)
        return try decode(PulpPaths.task(id)) { () throws(DecodeError) in try TaskReport(json: r.body) }
    }

    public func tasks(tags: [String]) async throws -> [TaskReport] {
        let path = "tasks/" + Self.query(tags.map { ("tag", $0) })
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in
            var out: [TaskReport] = []
            for v in r.body.arrayValue ?? [] { out.append(try TaskReport(json: v)) }
            return out
        }
    }

    /// One `POST /tasks/search/` with `task_id $in`.
    public func tasks(ids: [String]) async throws -> [TaskReport] {
        guard !ids.isEmpty else { return [] }
        let r = try await send(.POST, "tasks/search/", ["criteria": ["filters": ["task_id": ["$in": .array(ids.map(JSONValue.string))]]]],
                               idempotent: true)
        let found = try decode("tasks/search/") { () throws(DecodeError) in
            var out: [String: TaskReport] = [:]
            for v in r.body.arrayValue ?? [] {
                let t = try TaskReport(json: v)
                out[t.taskId] = t
            }
            return out
        }
        return ids.compactMap { found[$0] }
    }

    public func cancelTask(_ id: String) async throws {
        _ = try await send(.DELETE, PulpPaths.task(id), idempotent: false)
    }

    public func purgeTasks(states: [String]) async throws {
        _ = try await send(.DELETE, "tasks/" + Self.query(states.map { ("state", $0) }), idempotent: false)
    }

    /// Polls with one batched search per round: the first after 20 ms, then backing off to 1 s.
    public func waitForTasks(_ ids: [String], followSpawned: Bool) async throws -> [TaskReport] {
        var pending = ids
        var done: [String: TaskReport] = [:]
        var order = ids
        var delay = 20
        while !pending.isEmpty {
            try await Task.sleep(for: .milliseconds(delay))
            let reports = try await tasks(ids: pending)
            for id in pending where !reports.contains(where: { $0.taskId == id }) {
                throw PulpError.missingResource(["resource_id": id])
            }
            var still: [String] = []
            for t in reports {
                if t.state.isComplete {
                    done[t.taskId] = t
                    if followSpawned {
                        let new = t.spawnedTasks.filter { done[$0] == nil && !pending.contains($0) && !still.contains($0) }
                        still += new
                        order += new
                    }
                } else {
                    still.append(t.taskId)
                }
            }
            pending = still
            delay = min(1000, delay * 3 / 2)
        }
        return order.compactMap { done[$0] }
    }

    public func taskGroupSummary(_ groupId: String) async throws -> TaskGroupSummary {
        TaskGroupSummary(json: try await send(.GET, PulpPaths.taskGroup(groupId) + "state_summary/", idempotent: true).body)
    }

    public func cancelTaskGroup(_ groupId: String) async throws {
        _ = try await send(.DELETE, PulpPaths.taskGroup(groupId), idempotent: false)
    }
}
