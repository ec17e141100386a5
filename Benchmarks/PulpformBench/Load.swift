import ChildProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 keep-alive client over a blocking socket, for load generation with little overhead:
/// one reused read buffer, headers scanned as bytes.
final class HTTPConnection {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// Unread bytes are buffer[start..<end].
    private var start = 0
    private var end = 0

    init(port: Int) throws {
        fd = try Loopback.connected(port: port)
    }

    deinit { close(fd) }

    /// The request bytes, built once per path by the caller when it repeats requests.
    static func requestBytes(_ method: String, _ path: String, body: String? = nil) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        head += "\r\n" + (body ?? "")
        return Array(head.utf8)
    }

    func request(_ method: String, _ path: String, body: String? = nil) throws -> (status: Int, bytes: Int) {
        try send(Self.requestBytes(method, path, body: body))
    }

    /// Sends one request and reads the whole response; returns the status and body size.
    func send(_ bytes: [UInt8]) throws -> (status: Int, bytes: Int) {
        try write(bytes)
        while true {
            if let response = nextResponse() { return response }
            try fill()
        }
    }

    /// Sends the bytes (a request is small: the socket takes it whole, or nearly).
    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Spawn.Failure(description: "send failed") }
            sent += n
        }
    }

    /// The next whole response already read, consumed; nil when more bytes are needed.
    func nextResponse() -> (status: Int, bytes: Int)? {
        // Headers: up to the blank line.
        var headerEnd = -1
        var i = start
        while i + 3 < end {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                headerEnd = i
                break
            }
            i += 1
        }
        guard headerEnd >= 0 else { return nil }
        // "HTTP/1.1 200 ..." and Content-Length, read as bytes.
        let status = Int(buffer[start + 9] - 48) * 100 + Int(buffer[start + 10] - 48) * 10 + Int(buffer[start + 11] - 48)
        var length = 0
        let name = Array("content-length:".utf8)
        var line = start
        while line < headerEnd {
            var eol = line
            while eol < headerEnd, buffer[eol] != 13 { eol += 1 }
            if eol - line > name.count, (0..<name.count).allSatisfy({ buffer[line + $0] | 0x20 == name[$0] | 0x20 }) {
                var j = line + name.count
                while j < eol, buffer[j] == 32 { j += 1 }
                while j < eol, buffer[j] >= 48, buffer[j] <= 57 {
                    length = length * 10 + Int(buffer[j] - 48)
                    j += 1
                }
            }
            line = eol + 2
        }
        guard end - (headerEnd + 4) >= length else { return nil }
        start = headerEnd + 4 + length
        return (status, length)
    }

    /// Reads more bytes, first moving what is unread to the front (and growing the buffer when it is full).
    func fill() throws {
        if start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                if end > start, let base = raw.baseAddress { memmove(base, base + start, end - start) }
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let n = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return recv(fd, base + end, raw.count - end, 0)
        }
        guard n > 0 else { throw Spawn.Failure(description: "the server closed the connection") }
        end += n
    }
}

/// Closed-loop load: `clients` keep-alive connections, each sending its next request as soon as its last is answered.
enum Load {
    struct Result {
        var requestsPerSecond: Double
        var requests: Int
        var failures: Int
    }

    /// One thread drives every connection with poll(2), as wrk does, so that the load generator takes as little
    /// CPU as it can from the server it measures (on 2 cores, 16 blocking client threads took a third of it).
    static func run(port: Int, clients: Int, seconds: Double, paths: [String]) -> Result {
        var connections: [HTTPConnection] = []
        for _ in 0..<clients {
            guard let conn = try? HTTPConnection(port: port) else { return Result(requestsPerSecond: 0, requests: 0, failures: clients) }
            connections.append(conn)
        }
        let requests = paths.map { HTTPConnection.requestBytes("GET", $0) }
        var next = Array(0..<clients)  // each connection walks the paths from its own offset
        var done = 0
        var failures = 0
        var fds = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        func sendNext(_ c: Int) -> Bool {
            let bytes = requests[next[c] % requests.count]
            next[c] += clients
            return (try? connections[c].write(bytes)) != nil
        }
        var open = Array(repeating: true, count: clients)
        for c in 0..<clients where !sendNext(c) { open[c] = false; failures += 1 }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let warmUp = t0 + 500_000_000
        let stop = warmUp + UInt64(seconds * 1e9)
        var countedFrom: Int?
        var measuredStart: UInt64 = warmUp
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            if countedFrom == nil, now >= warmUp {
                countedFrom = done
                measuredStart = now
            }
            if now >= stop || !open.contains(true) { break }
            for i in fds.indices { fds[i].events = open[i] ? Int16(POLLIN) : 0 }
            guard poll(&fds, nfds_t(fds.count), 100) >= 0 else { break }
            for c in fds.indices where open[c] && fds[c].revents != 0 {
                guard (try? connections[c].fill()) != nil else { open[c] = false; failures += 1; continue }
                while let response = connections[c].nextResponse() {
                    guard response.status == 200 else { open[c] = false; failures += 1; break }
                    done += 1
                    if !sendNext(c) { open[c] = false; failures += 1; break }
                }
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - measuredStart) / 1e9
        let counted = done - (countedFrom ?? done)
        return Result(requestsPerSecond: Double(counted) / elapsed, requests: counted, failures: failures)
    }

    /// Times `runs` requests on one keep-alive connection (after one warm-up); returns the sorted latencies.
    static func latencies(port: Int, runs: Int, _ method: String, _ path: String, body: String?) throws -> (ms: [Double], bytes: Int) {
        let conn = try HTTPConnection(port: port)
        let request = HTTPConnection.requestBytes(method, path, body: body)
        var bytes = try conn.send(request).bytes
        var out: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now()
            let r = try conn.send(request)
            guard r.status == 200 else { throw Spawn.Failure(description: "\(method) \(path) answered \(r.status)") }
            bytes = r.bytes
            out.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        return (out.sorted(), bytes)
    }
}
