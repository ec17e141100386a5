import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// How a feed is reached: the importer's downloader keys (`ssl_*`, `proxy_*`, `basic_auth_*`, `max_speed`,
/// `num_retries`) as values.
public struct FetchOptions: Sendable {
    public var caCertificatePEM: String?
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    public var validateTLS = true
    /// `proxy_host` (a URL or a host name) and `proxy_port`.
    public var proxyHost: String?
    public var proxyPort: Int?
    public var proxyUsername: String?
    public var proxyPassword: String?
    public var basicAuthUsername: String?
    public var basicAuthPassword: String?
    /// Bytes per second over all of a sync's downloads.
    public var maxSpeed: Double?
    /// Retries after the first try (Pulp documents 2).
    public var retries = 2
    /// nectar's: connect 6.05 s, read 27 s between bytes.
    public var connectTimeout: Duration = .milliseconds(6050)
    public var readTimeout: Duration = .seconds(27)
    /// The first pause before a retry; it doubles, up to 8 s.
    public var backoff: Duration = .seconds(1)

    /// The pause before retry number `n` (1, 2, …): `backoff`, doubling each time, at most 8 s.
    func pause(beforeRetry n: Int) -> Duration {
        var pause = backoff
        for _ in 1..<max(1, n) { pause = min(pause * 2, .seconds(8)) }
        return pause
    }

    public init() {}
}

/// Why a download failed, as Pulp reports it in `error_details`.
public struct FetchError: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var responseCode: Int?
    public var message: String
    /// Whether trying again could help (connection problems, timeouts, 5xx, 429).
    public var transient: Bool

    public init(url: String, responseCode: Int? = nil, message: String, transient: Bool) {
        self.url = url
        self.responseCode = responseCode
        self.message = message
        self.transient = transient
    }

    public var description: String {
        if let responseCode { return "\(url): HTTP \(responseCode) \(message)" }
        return "\(url): \(message)"
    }
}

/// Downloads over http, https and `file://`, streaming each body to a sink, with retries, backoff and a shared
/// speed limit. One per sync; `shutdown` when done.
public final class Fetcher: Sendable {
    private let http: HTTPClient
    private let options: FetchOptions
    private let limiter: RateLimiter?
    private let authorization: String?
    private let tls: TLSConfiguration
    /// Hosts whose name resolved: checked once per fetcher.
    private let resolved = Mutex<Set<String>>([])

    public init(_ options: FetchOptions) throws {
        self.options = options
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caCertificatePEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if let cert = options.clientCertificatePEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
        }
        if let key = options.clientKeyPEM {
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        if !options.validateTLS { tls.certificateVerification = .none }
        self.tls = tls
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = HTTPClient.Configuration.Timeout(connect: .init(options.connectTimeout), read: .init(options.readTimeout))
        config.decompression = .disabled
        config.redirectConfiguration = .follow(max: 5, allowCycles: false)
        if let host = options.proxyHost {
            let bare = host.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
                .split(separator: "/").first.map(String.init) ?? host
            var proxyHost = bare
            var port = options.proxyPort ?? 3128
            if options.proxyPort == nil, let colon = bare.lastIndex(of: ":"), let p = Int(bare[bare.index(after: colon)...]) {
                proxyHost = String(bare[..<colon])
                port = p
            }
            if let user = options.proxyUsername, let pass = options.proxyPassword {
                config.proxy = .server(host: proxyHost, port: port, authorization: .basic(username: user, password: pass))
            } else {
                config.proxy = .server(host: proxyHost, port: port)
            }
        }
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        limiter = options.maxSpeed.flatMap { $0 > 0 ? RateLimiter(bytesPerSecond: $0) : nil }
        if let user = options.basicAuthUsername, let pass = options.basicAuthPassword {
            authorization = "Basic " + Data("\(user):\(pass)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    /// A host name that does not resolve fails at once (the connection pool would keep trying until the connect
    /// timeout, and each retry again); a temporary resolver failure may be retried. Not checked through a proxy,
    /// which resolves names itself.
    private func checkHostResolves(_ url: String) async throws {
        guard options.proxyHost == nil, let host = URL(string: url)?.host, !host.isEmpty,
              !resolved.withLock({ $0.contains(host) }) else { return }
        let status: Int32 = await withCheckedContinuation { c in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                let r = getaddrinfo(host, nil, &hints, &result)
                if r == 0 { freeaddrinfo(result) }
                c.resume(returning: r)
            }
        }
        if status == 0 {
            resolved.withLock { _ = $0.insert(host) }
            return
        }
        let reason = String(cString: gai_strerror(status))
        throw FetchError(url: url, message: "cannot resolve host \(host): \(reason)", transient: status == EAI_AGAIN)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Fetches `url`, handing the body to `sink` chunk by chunk. On a transient failure it tries again (calling
    /// `restart` first, so the sink can start over), up to `retries` times with backoff.
    public func fetch(_ url: String, restart: () throws -> Void = {},
                      sink: (UnsafeRawBufferPointer) throws -> Void) async throws
    {
        try await retrying(restart: restart) { try await fetchOnce(url, sink: sink) }
    }

    /// Runs `attempt`; on a transient failure pauses (1 s, doubling up to 8 s), calls `restart` and tries again,
    /// up to `retries` times.
    private func retrying(restart: () throws -> Void, _ attempt: () async throws -> Void) async throws {
        var tries = 0
        while true {
            do {
                try await attempt()
                return
            } catch let e as FetchError where e.transient && tries < options.retries {
                tries += 1
                try await Task.sleep(for: options.pause(beforeRetry: tries))
                try restart()
            }
        }
    }

    /// Downloads `url` into `sink`, with the same retries as `fetch`. Over http(s) without a speed limit the
    /// bytes go to the sink on the connection's event loop as they arrive, with no hop between threads per
    /// chunk: what a sync of many small packages spends most of its time on.
    public func download(_ url: String, into sink: any DownloadSink) async throws {
        guard limiter == nil, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            try await fetch(url, restart: { try sink.restart() }) { try sink.write($0) }
            return
        }
        try await retrying(restart: { try sink.restart() }) { try await downloadOnce(url, into: sink) }
    }

    private func downloadOnce(_ url: String, into sink: any DownloadSink) async throws {
        try await checkHostResolves(url)
        var request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url)
        } catch {
            throw FetchError(url: url, message: "not a valid URL", transient: false)
        }
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.headers.add(name: "User-Agent", value: "pulpform")
        let task = http.execute(request: request, delegate: SinkDelegate(url: url, sink: sink))
        do {
            try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let e as FetchError {
            throw e
        } catch let e as HTTPClientError {
            if Task.isCancelled { throw CancellationError() }
            throw FetchError(url: url, message: Self.describe(e), transient: true)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The sink's own errors (the disk) are not the feed's: no retry.
            throw FetchError(url: url, message: "\(error)", transient: false)
        }
    }

    /// Downloads from `feed`'s origin run on the event loops, `connections` at a time, where the feed allows it
    /// (see `BulkDownloader`); nil otherwise, and for the URLs it does not accept: use `download`.
    public func bulkDownloader(feed: String, connections: Int) -> BulkDownloader? {
        BulkDownloader(feed: feed, tls: tls, options: options, authorization: authorization, maxConnections: connections)
    }

    /// Fetches a small file whole (repomd.xml), at most `limit` bytes.
    public func fetchAll(_ url: String, limit: Int = 64 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        try await fetch(url, restart: { out.removeAll() }) { chunk in
            out.append(contentsOf: chunk)
            if out.count > limit { throw FetchError(url: url, message: "larger than \(limit) bytes", transient: false) }
        }
        return out
    }

    private func fetchOnce(_ url: String, sink: (UnsafeRawBufferPointer) throws -> Void) async throws {
        if url.hasPrefix("file://") {
            try await readFile(url, sink: sink)
            return
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw FetchError(url: url, message: "not an http, https or file URL", transient: false)
        }
        try await checkHostResolves(url)
        var request = HTTPClientRequest(url: url)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.headers.add(name: "User-Agent", value: "pulpform")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(24))
        } catch let e as HTTPClientError {
            throw FetchError(url: url, message: Self.describe(e), transient: true)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw FetchError(url: url, message: "\(error)", transient: true)
        }
        let code = Int(response.status.code)
        guard (200..<300).contains(code) else {
            throw FetchError(url: url, responseCode: code, message: response.status.reasonPhrase,
                             transient: code >= 500 || code == 429 || code == 408)
        }
        do {
            for try await buffer in response.body {
                try Task.checkCancellation()
                if let limiter { await limiter.take(buffer.readableBytes) }
                try buffer.withUnsafeReadableBytes { try sink($0) }
            }
        } catch let e as HTTPClientError {
            throw FetchError(url: url, message: Self.describe(e), transient: true)
        }
    }

    private func readFile(_ url: String, sink: (UnsafeRawBufferPointer) throws -> Void) async throws {
        guard let path = URL(string: url)?.path, !path.isEmpty else {
            throw FetchError(url: url, message: "not a file URL", transient: false)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FetchError(url: url, responseCode: 404, message: "Not Found", transient: false)
        }
        defer { try? handle.close() }
        while true {
            try Task.checkCancellation()
            let data: Data
            do {
                data = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw FetchError(url: url, message: "cannot read: \(error.localizedDescription)", transient: false)
            }
            if data.isEmpty { return }
            if let limiter { await limiter.take(data.count) }
            try data.withUnsafeBytes { try sink($0) }
        }
    }

    static func describe(_ e: HTTPClientError) -> String {
        switch e {
        case .readTimeout: return "read timed out"
        case .connectTimeout: return "connect timed out"
        case .remoteConnectionClosed: return "the server closed the connection"
        case .deadlineExceeded: return "timed out"
        default: return "\(e)"
        }
    }
}

/// A token bucket shared by a sync's downloads (`max_speed`).
actor RateLimiter {
    let rate: Double
    private var available: Double
    private var last = ContinuousClock.now

    init(bytesPerSecond: Double) {
        rate = bytesPerSecond
        available = bytesPerSecond
    }

    func take(_ bytes: Int) async {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        available = min(rate, available + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        available -= Double(bytes)
        if available < 0 {
            let wait = -available / rate
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
        }
    }
}

/// Where `Fetcher.download` writes a body: called on an event loop, one call at a time, then read by the
/// caller once the download is over.
public protocol DownloadSink: AnyObject, Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Starts over before a retry.
    func restart() throws
    /// The body is whole (a `BulkDownloader` calls it on the event loop: a file is closed there).
    func finish() throws
    /// The download failed or was cancelled: what was written goes.
    func discard()
}

extension DownloadSink {
    public func finish() throws {}
    public func discard() {}
}

/// Hands each part of the body to the sink on the event loop; a status outside 2xx fails the request.
private final class SinkDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void
    let url: String
    let sink: any DownloadSink

    init(url: String, sink: any DownloadSink) {
        self.url = url
        self.sink = sink
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        let code = Int(head.status.code)
        guard (200..<300).contains(code) else {
            return task.eventLoop.makeFailedFuture(FetchError(url: url, responseCode: code, message: head.status.reasonPhrase,
                                                              transient: code >= 500 || code == 429 || code == 408))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        do {
            try buffer.withUnsafeReadableBytes { try sink.write($0) }
            return task.eventLoop.makeSucceededVoidFuture()
        } catch {
            return task.eventLoop.makeFailedFuture(error)
        }
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {}
}
