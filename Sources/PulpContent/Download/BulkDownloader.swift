import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Many downloads from one origin (a feed's packages), run wholly on the event loops: each kept-alive
/// connection takes the next job from a shared queue as soon as its last response ends, writes the body into
/// the job's sink as it arrives, and puts the outcome in a list the caller collects in batches (`next()`).
/// No Swift task, no thread hop and no request object per download: on a feed of many small packages that
/// bookkeeping, not the bytes, was most of a sync's time (docs/PERFORMANCE.md).
///
/// `Fetcher.bulkDownloader` makes one where it can: plain http or https to a host name, with no proxy and no
/// speed limit. A redirect is not followed here; its job comes back as `.redirected`, for `Fetcher.download`.
/// Retries and backoff are `Fetcher`'s: a transient failure (connection, timeout, 5xx, 429, 408) is tried
/// again up to `retries` times, the first after `backoff`, doubling up to 8 s.
public final class BulkDownloader: Sendable {
    public struct Job: Sendable {
        public var key: Int
        public var url: String
        /// Opens the job's sink when its download starts (so a queue of thousands holds no open file).
        public var open: @Sendable () throws -> any DownloadSink
        var attempts = 0
        /// Times put back on the queue without a try counted (a kept-alive connection closed under it): once.
        var requeued = 0

        public init(key: Int, url: String, open: @escaping @Sendable () throws -> any DownloadSink) {
            self.key = key
            self.url = url
            self.open = open
        }
    }

    public enum Outcome: Sendable {
        /// The whole body is in the sink, and the sink is finished (its file closed).
        case finished(key: Int, sink: any DownloadSink)
        /// Failed after its retries; the sink was discarded.
        case failed(key: Int, error: FetchError)
        /// The server answered with a redirect: download it with `Fetcher.download`, which follows them.
        case redirected(key: Int)
    }

    /// `scheme://authority/`: the URLs this downloader takes.
    public let prefix: String
    private let host: String
    private let port: Int
    private let tls: NIOSSLContext?
    /// Every connection runs on this one loop, as curl's do on its one thread: the downloads are many short
    /// exchanges, and one thread switching between them costs less than two handing work to each other, while
    /// the other cores parse metadata and write the store.
    private let loop: any EventLoop
    private let maxConnections: Int
    private let options: FetchOptions
    private let headers: HTTPHeaders
    private let state = Mutex(State())

    struct State: ~Copyable {
        var pending: [Job] = []
        var head = 0
        var idle: [Connection] = []
        var live: [ObjectIdentifier: Connection] = [:]
        var connections = 0
        var outstanding = 0
        var outcomes: [Outcome] = []
        var waiter: CheckedContinuation<[Outcome], Never>?
        var flushScheduled = false
        var closed = false

        var queued: Int { pending.count - head }

        mutating func pop() -> Job? {
            guard head < pending.count else { return nil }
            let job = pending[head]
            head += 1
            if head == pending.count {
                pending.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 4096 && head * 2 >= pending.count {
                pending.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    /// Nil when `feed` is not an http(s) URL this downloader can serve (see the type's notes).
    init?(feed: String, tls: TLSConfiguration, options: FetchOptions, authorization: String?, maxConnections: Int) {
        guard options.proxyHost == nil, options.maxSpeed == nil || options.maxSpeed ?? 0 <= 0,
              let components = URLComponents(string: feed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil,
              let schemeEnd = feed.range(of: "://")
        else { return nil }
        if scheme == "https" {
            // An address as the host would leave the certificate's name unchecked: AsyncHTTPClient does that.
            guard !host.contains(":"), host.contains(where: \.isLetter),
                  let context = try? NIOSSLContext(configuration: tls) else { return nil }
            self.tls = context
        } else {
            self.tls = nil
        }
        let afterScheme = feed[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        prefix = String(feed[..<schemeEnd.upperBound]) + authority + "/"
        self.host = host
        port = components.port ?? (scheme == "https" ? 443 : 80)
        loop = MultiThreadedEventLoopGroup.singleton.next()
        self.maxConnections = max(1, maxConnections)
        self.options = options
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: String(authority))
        headers.add(name: "User-Agent", value: "pulpform")
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        self.headers = headers
    }

    /// Whether `url` is on this downloader's origin.
    public func accepts(_ url: String) -> Bool { url.hasPrefix(prefix) }

    /// Queues jobs (each `accepts` its URL) and starts connections for them, up to `maxConnections`.
    public func submit(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        enqueue(jobs, counted: true)
    }

    /// The outcomes since the last call, waiting for at least one (a few milliseconds more, to gather a
    /// batch). Empty once nothing is outstanding, or after `cancel()`. Cancelling the caller cancels all.
    public func next() async -> [Outcome] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<[Outcome], Never>) in
                let ready: [Outcome]? = state.withLock { s in
                    if !s.outcomes.isEmpty || s.outstanding == 0 || s.closed {
                        defer { s.outcomes = [] }
                        return s.outcomes
                    }
                    s.waiter = c
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops: queued jobs are dropped, connections closed, and the sinks of downloads in progress or not yet
    /// collected are discarded. Call it when done, too, to close the idle connections.
    public func cancel() {
        let (waiter, connections, uncollected) = state.withLock { s in
            s.closed = true
            s.pending = []
            s.head = 0
            s.idle = []
            let w = s.waiter
            s.waiter = nil
            defer { s.outcomes = [] }
            return (w, Array(s.live.values), s.outcomes)
        }
        for case .finished(_, let sink) in uncollected { sink.discard() }
        waiter?.resume(returning: [])
        for c in connections { c.eventLoop.execute { c.close() } }
    }

    // MARK: - The queue

    private func enqueue(_ jobs: [Job], counted: Bool) {
        let (wake, open) = state.withLock { s -> ([Connection], Int) in
            guard !s.closed else { return ([], 0) }
            s.pending += jobs
            if counted { s.outstanding += jobs.count }
            let woken = min(s.idle.count, s.queued)
            let wake = Array(s.idle.suffix(woken))
            s.idle.removeLast(woken)
            let open = max(0, min(maxConnections - s.connections, s.queued - woken))
            s.connections += open
            return (wake, open)
        }
        if !wake.isEmpty || open > 0 { startConnections(wake: wake, open: open) }
    }

    private func startConnections(wake: [Connection], open: Int) {
        for c in wake { c.eventLoop.execute { c.startNext() } }
        for _ in 0..<open { connect() }
    }

    /// The next job for `connection`, or nil (and the connection goes idle).
    fileprivate func take(for connection: Connection) -> Job? {
        state.withLock { s in
            guard !s.closed else { return nil }
            if let job = s.pop() { return job }
            s.idle.append(connection)
            return nil
        }
    }

    /// A job is over: its outcome joins the list, and a waiting caller gets the list once it holds 64 outcomes,
    /// or nothing else is outstanding, or 5 ms after the first.
    fileprivate func finish(_ outcome: Outcome, on loop: any EventLoop) {
        enum Then { case nothing, resume(CheckedContinuation<[Outcome], Never>, [Outcome]), schedule, discard }
        let then: Then = state.withLock { s in
            guard !s.closed else { return .discard }
            s.outstanding -= 1
            s.outcomes.append(outcome)
            guard let w = s.waiter else { return .nothing }
            if s.outcomes.count >= 64 || s.outstanding == 0 {
                s.waiter = nil
                defer { s.outcomes = [] }
                return .resume(w, s.outcomes)
            }
            if s.flushScheduled { return .nothing }
            s.flushScheduled = true
            return .schedule
        }
        switch then {
        case .nothing: break
        case .resume(let w, let outcomes): w.resume(returning: outcomes)
        case .schedule: loop.scheduleTask(in: .milliseconds(5)) { self.flush() }
        case .discard: if case .finished(_, let sink) = outcome { sink.discard() }
        }
    }

    private func flush() {
        let ready: (CheckedContinuation<[Outcome], Never>, [Outcome])? = state.withLock { s in
            s.flushScheduled = false
            guard let w = s.waiter, !s.outcomes.isEmpty else { return nil }
            s.waiter = nil
            defer { s.outcomes = [] }
            return (w, s.outcomes)
        }
        if let (w, outcomes) = ready { w.resume(returning: outcomes) }
    }

    /// A try that failed: again after the backoff while the error is transient and tries are left, otherwise
    /// the job's outcome.
    fileprivate func failed(_ job: Job, _ error: FetchError, on loop: any EventLoop) {
        guard error.transient, job.attempts < options.retries else {
            finish(.failed(key: job.key, error: error), on: loop)
            return
        }
        var retry = job
        retry.attempts += 1
        loop.scheduleTask(in: TimeAmount(options.pause(beforeRetry: retry.attempts))) { [retry] in self.enqueue([retry], counted: false) }
    }

    /// Back to the queue at once, not counted as a try (a kept-alive connection the server had closed), once;
    /// after that it is a failed try.
    fileprivate func requeue(_ job: Job, _ error: FetchError, on loop: any EventLoop) {
        guard job.requeued == 0 else {
            failed(job, error, on: loop)
            return
        }
        var again = job
        again.requeued += 1
        enqueue([again], counted: false)
    }

    // MARK: - Connections

    private func connect() {
        let loop = self.loop
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(options.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        let tls = self.tls, host = self.host
        bootstrap = bootstrap.channelInitializer { [self] channel in
            do {
                let sync = channel.pipeline.syncOperations
                if let tls { try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host)) }
                try sync.addHTTPClientHandlers(leftOverBytesStrategy: .dropBytes)
                try sync.addHandler(Connection(downloader: self, eventLoop: channel.eventLoop))
                return channel.eventLoop.makeSucceededVoidFuture()
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        bootstrap.connect(host: host, port: port).whenFailure { [self] error in
            connectFailed(error, on: loop)
        }
    }

    private func connectFailed(_ error: any Error, on loop: any EventLoop) {
        // With no connection left, the job that would have gone first pays for the failure (and is tried again
        // after the backoff), so a dead origin ends the sync. While others are open, the origin works: it may
        // refuse more connections than it likes, and the open ones carry on.
        let job = state.withLock { s -> Job? in
            s.connections -= 1
            return s.connections == 0 ? s.pop() : nil
        }
        guard let job else { return }
        var message = "cannot connect: \(error)"
        if case .connectTimeout? = error as? ChannelError { message = "connect timed out" }
        failed(job, FetchError(url: job.url, message: message, transient: true), on: loop)
        reopen()
    }

    fileprivate func registered(_ connection: Connection) {
        let closed = state.withLock { s in
            if !s.closed { s.live[ObjectIdentifier(connection)] = connection }
            return s.closed
        }
        if closed { connection.close() }
    }

    fileprivate func gone(_ connection: Connection) {
        state.withLock { s in
            s.connections -= 1
            s.live[ObjectIdentifier(connection)] = nil
            s.idle.removeAll { $0 === connection }
        }
        reopen()
    }

    /// Opens connections for queued jobs, up to the limit.
    private func reopen() {
        let open = state.withLock { s -> Int in
            guard !s.closed else { return 0 }
            let n = max(0, min(maxConnections - s.connections, s.queued))
            s.connections += n
            return n
        }
        if open > 0 { startConnections(wake: [], open: open) }
    }

    fileprivate func head(for url: String) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .GET, uri: Self.path(of: url, after: prefix), headers: headers)
    }

    /// Bytes a request target cannot hold as they are (`#` ends it).
    private static let unsafe: Set<UInt8> = Set("\"<>\\^`{|}#".utf8)

    /// The request target: the URL's path and query, with the bytes a request line cannot hold escaped.
    static func path(of url: String, after prefix: String) -> String {
        let rest = url.utf8.dropFirst(prefix.utf8.count)
        if !rest.contains(where: { $0 <= 0x20 || $0 >= 0x7F || Self.unsafe.contains($0) }) {
            return "/" + String(decoding: rest, as: UTF8.self)
        }
        var out = "/"
        for b in rest {
            if b == UInt8(ascii: "#") { break }
            if b <= 0x20 || b >= 0x7F || Self.unsafe.contains(b) {
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
            } else {
                out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }
}

/// One kept-alive connection of a `BulkDownloader`: the last handler of its channel's pipeline. Used only on
/// its event loop (hence `@unchecked Sendable`: the downloader hands it between closures run there).
final class Connection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let downloader: BulkDownloader
    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var job: BulkDownloader.Job?
    private var sink: (any DownloadSink)?
    private var failure: FetchError?
    private var redirected = false
    private var keepAlive = true
    private var received = false
    /// The connection ended under the job (closed, or a socket error), not the server's answer or a timeout.
    private var lost = false
    private var requests = 0
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var gone = false

    init(downloader: BulkDownloader, eventLoop: any EventLoop) {
        self.downloader = downloader
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        downloader.registered(self)
        startNext()
        context.fireChannelActive()
    }

    /// Sends the next job's request, or goes idle.
    func startNext() {
        guard let context, !gone, job == nil else { return }
        while let next = downloader.take(for: self) {
            let sink: any DownloadSink
            do {
                sink = try next.open()
            } catch {
                downloader.finish(.failed(key: next.key, error: FetchError(url: next.url, message: "\(error)", transient: false)),
                                  on: eventLoop)
                continue
            }
            job = next
            self.sink = sink
            failure = nil
            redirected = false
            keepAlive = true
            received = false
            lost = false
            requests += 1
            context.write(wrapOutboundOut(.head(downloader.head(for: next.url))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            lastActivity = .now()
            armTimer()
            return
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let job else { return }
        lastActivity = .now()
        received = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            let code = Int(head.status.code)
            if (100..<200).contains(code) { return }
            keepAlive = head.isKeepAlive
            if (300..<400).contains(code) && head.headers.first(name: "location") != nil {
                redirected = true
            } else if !(200..<300).contains(code) {
                failure = FetchError(url: job.url, responseCode: code, message: head.status.reasonPhrase,
                                     transient: code >= 500 || code == 429 || code == 408)
            }
        case .body(let buffer):
            guard failure == nil, !redirected, let sink else { return }
            do {
                try buffer.withUnsafeReadableBytes { try sink.write($0) }
            } catch {
                failure = FetchError(url: job.url, message: "\(error)", transient: false)
            }
        case .end:
            complete()
            if keepAlive { startNext() } else { context.close(promise: nil) }
        }
    }

    /// Reports the job in flight: its body is whole (`.end`), or the connection ended under it.
    private func complete() {
        guard let job, let sink else { return }
        self.job = nil
        self.sink = nil
        if let failure {
            sink.discard()
            // A reused connection the server closed before answering: not the job's fault.
            if requests > 1 && !received && lost {
                downloader.requeue(job, failure, on: eventLoop)
            } else {
                downloader.failed(job, failure, on: eventLoop)
            }
        } else if redirected {
            sink.discard()
            downloader.finish(.redirected(key: job.key), on: eventLoop)
        } else {
            do {
                try sink.finish()
                downloader.finish(.finished(key: job.key, sink: sink), on: eventLoop)
            } catch {
                sink.discard()
                downloader.finish(.failed(key: job.key, error: FetchError(url: job.url, message: "\(error)", transient: false)),
                                  on: eventLoop)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        gone = true
        timer?.cancel()
        timer = nil
        if let job, failure == nil {
            failure = FetchError(url: job.url, message: "the server closed the connection", transient: true)
            lost = true
        }
        complete()
        downloader.gone(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let job, failure == nil {
            failure = FetchError(url: job.url, message: "\(error)", transient: true)
            lost = error is IOError
        }
        context.close(promise: nil)
    }

    func close() {
        guard !gone else { return }
        context?.close(promise: nil)
    }

    /// One timer per connection, re-armed while a job is in flight: a job with no byte for `readTimeout`
    /// fails (transient), as AsyncHTTPClient's read timeout does.
    private func armTimer() {
        guard timer == nil else { return }
        let deadline = lastActivity + TimeAmount(downloader.readTimeout)
        timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            timer = nil
            guard let job, !gone else { return }
            if NIODeadline.now() >= lastActivity + TimeAmount(downloader.readTimeout) {
                if failure == nil { failure = FetchError(url: job.url, message: "read timed out", transient: true) }
                context?.close(promise: nil)
            } else {
                armTimer()
            }
        }
    }
}

extension BulkDownloader {
    fileprivate var readTimeout: Duration { options.readTimeout }
}
