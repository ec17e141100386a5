import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import PulpModel

/// When a connection has waited too long, as a pure state machine (the handlers below only feed it events and
/// carry out its actions).
///
/// - Waiting for a request (a new connection, or a kept-alive one after its response): `idleTimeout`.
/// - From the first byte of a request to the end of its head: `headerTimeout`, which more bytes do not extend,
///   so a slowloris client that sends a header byte now and then is closed on time.
/// - Reading a body: `idleTimeout` between its parts.
/// - While the request is handled, no limit: the handler's own work bounds it.
struct ConnectionTimeouts: Equatable {
    enum Phase: Equatable {
        case waiting
        case head
        case body
        case handling
    }

    let headerTimeout: Duration
    let idleTimeout: Duration
    private(set) var phase = Phase.waiting
    /// When the current phase times out, or nil.
    private(set) var deadline: ContinuousClock.Instant?
    /// Requests whose head has arrived and whose response has not ended (pipelined requests can overlap).
    private(set) var open = 0

    init(headerTimeout: Duration, idleTimeout: Duration, now: ContinuousClock.Instant) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        deadline = now + idleTimeout
    }

    /// Bytes arrived from the client.
    mutating func bytes(now: ContinuousClock.Instant) {
        if phase == .waiting {
            phase = .head
            deadline = now + headerTimeout
        }
    }

    mutating func head(now: ContinuousClock.Instant) {
        open += 1
        phase = .body
        deadline = now + idleTimeout
    }

    mutating func bodyPart(now: ContinuousClock.Instant) {
        if phase == .body { deadline = now + idleTimeout }
    }

    mutating func end() {
        phase = .handling
        deadline = nil
    }

    /// A response has been written in full.
    mutating func responded(now: ContinuousClock.Instant) {
        open = max(0, open - 1)
        if open == 0, phase == .handling {
            phase = .waiting
            deadline = now + idleTimeout
        }
    }

    enum Expiry: Equatable {
        /// Nothing is due yet: look again at this instant (or never).
        case notYet(ContinuousClock.Instant?)
        /// A request's head did not arrive in time: answer 408, then close.
        case headTimedOut
        /// An idle connection or a stalled body: close.
        case idleTimedOut
    }

    func expiry(now: ContinuousClock.Instant) -> Expiry {
        guard let deadline else { return .notYet(nil) }
        guard now >= deadline else { return .notYet(deadline) }
        return phase == .head ? .headTimedOut : .idleTimedOut
    }
}

/// Pulp's error body for errors of the HTTP layer, which no route sees.
enum HTTPLayerError {
    static func response(status: HTTPResponse.Status, message: String) -> (head: HTTPResponse, body: ByteBuffer) {
        let error = PulpError(code: "PLP0000", httpStatus: status.code, message: message, extra: ["args": []])
        let bytes = JSONValue.object(error.body(href: "", method: "")).serializedBytes()
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = String(bytes.count)
        head.headerFields[.connection] = "close"
        head.headerFields[.server] = "pulpform"
        return (head, ByteBuffer(bytes: bytes))
    }

    /// What a request that the HTTP parser refused gets.
    static func message(for error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow:
            return "The request line and headers are larger than the server accepts (80 KB)"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidCharactersUsed:
            return "The request line holds bytes that are not allowed in a URL"
        case .invalidHeaderToken, .lfExpected, .invalidConstant:
            return "The request's headers are malformed"
        case .invalidContentLength, .unexpectedContentLength, .invalidChunkSize:
            return "The request's body framing (Content-Length or chunked encoding) is malformed"
        case .invalidMethod:
            return "The request's method is malformed"
        case .invalidVersion:
            return "The request's HTTP version is not supported"
        default:
            return "The request is not valid HTTP/1.1"
        }
    }
}

/// Guards each connection: the timeouts of `ConnectionTimeouts`, Pulp's JSON error body for requests the HTTP
/// parser refuses, and closing after any response that says `Connection: close` (a 413 among them).
///
/// It sits after the HTTP codec and puts a small handler at the front of the pipeline that tells it when
/// bytes arrive, before they make a whole request head.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Tells the guard that bytes arrived; the first handler of the pipeline.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        weak var owner: ConnectionGuard?

        init(owner: ConnectionGuard) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            owner?.bytesArrived()
            context.fireChannelRead(data)
        }
    }

    /// How long a client may linger after a response that closes the connection, before it is closed in full:
    /// the output is shut at once, and what the client still sends is read and dropped meanwhile, so it sees
    /// the response rather than a reset.
    static let linger = TimeAmount.seconds(2)

    private var timeouts: ConnectionTimeouts
    private var context: ChannelHandlerContext?
    /// The one pending timer, and when it fires: it is replaced only when a deadline moves earlier.
    private var timer: Scheduled<Void>?
    private var timerDeadline: ContinuousClock.Instant?
    private var closeAfterResponse = false
    private var closing = false

    init(headerTimeout: Duration, idleTimeout: Duration) {
        timeouts = ConnectionTimeouts(headerTimeout: headerTimeout, idleTimeout: idleTimeout, now: .now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        try? context.pipeline.syncOperations.addHandler(ByteWatcher(owner: self), position: .first)
        schedule()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        self.context = nil
    }

    fileprivate func bytesArrived() {
        timeouts.bytes(now: .now)
        schedule()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: timeouts.head(now: .now)
        case .body: timeouts.bodyPart(now: .now)
        case .end: timeouts.end()
        }
        schedule()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.writeAndFlush(data, promise: promise)
            timeouts.responded(now: .now)
            if closeAfterResponse {
                shutDown(context)
            } else {
                schedule()
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request the parser refuses gets Pulp's error body, unless a response is already on its way.
        guard timeouts.open == 0, !closing else {
            context.fireErrorCaught(error)
            return
        }
        if let parse = error as? HTTPParserError {
            respond(context, status: .badRequest, message: HTTPLayerError.message(for: parse))
        } else if error is HTTP1TypeConversionError {
            respond(context, status: .badRequest, message: "The request's method or path is malformed")
        } else {
            context.fireErrorCaught(error)
        }
    }

    /// Writes an error response of the HTTP layer and closes.
    private func respond(_ context: ChannelHandlerContext, status: HTTPResponse.Status, message: String) {
        let (head, body) = HTTPLayerError.response(status: status, message: message)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        shutDown(context)
    }

    /// Shuts the output now and closes in full after `linger`.
    private func shutDown(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        timer?.cancel()
        timerDeadline = nil
        context.close(mode: .output, promise: nil)
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: Self.linger) { [weak self] in
            self?.context?.close(promise: nil)
        }
    }

    /// Makes sure a timer fires by the current deadline. Reads and writes call this for every part, so it
    /// keeps the pending timer whenever that fires no later than the deadline: `fire` looks again then.
    private func schedule() {
        guard !closing, let context else { return }
        switch timeouts.expiry(now: .now) {
        case .notYet(nil):
            return
        case .notYet(let at?):
            if let pending = timerDeadline, pending <= at { return }
            timer?.cancel()
            timerDeadline = at
            timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .init(at - .now)) { [weak self] in
                self?.timer = nil
                self?.timerDeadline = nil
                self?.fire()
            }
        case .headTimedOut, .idleTimedOut:
            fire()
        }
    }

    private func fire() {
        guard !closing, let context else { return }
        switch timeouts.expiry(now: .now) {
        case .notYet:
            schedule()
        case .headTimedOut:
            respond(context, status: .requestTimeout, message: "The request's headers did not arrive within "
                + "\(timeouts.headerTimeout.components.seconds) seconds")
        case .idleTimedOut:
            closing = true
            context.close(promise: nil)
        }
    }
}
