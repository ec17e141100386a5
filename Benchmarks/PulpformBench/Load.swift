import Foundation
import Synchronization

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
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Spawn.Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Spawn.Failure(description: "connect: \(String(cString: strerror(errno)))")
        }
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
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Spawn.Failure(description: "send failed") }
            sent += n
        }
        // Headers: up to the blank line.
        var headerEnd = -1
        while headerEnd < 0 {
            // `fill` may move the unread bytes to the front, so each pass scans from `start` (headers are short).
            var i = start
            while i + 3 < end {
                if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                    headerEnd = i
                    break
                }
                i += 1
            }
            if headerEnd < 0 { try fill() }
        }
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
        start = headerEnd + 4
        while end - start < length { try fill() }
        start += length
        return (status, length)
    }

    /// Reads more bytes, first moving what is unread to the front (and growing the buffer when it is full).
    private func fill() throws {
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

/// Closed-loop load: `clients` threads, one keep-alive connection each, requests back to back.
enum Load {
    final class Counters: Sendable {
        let done = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    struct Result {
        var requestsPerSecond: Double
        var requests: Int
        var failures: Int
    }

    static func run(port: Int, clients: Int, seconds: Double, paths: [String]) -> Result {
        let counters = Counters()
        let finished = DispatchGroup()
        for c in 0..<clients {
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                guard let conn = try? HTTPConnection(port: port) else {
                    counters.failed.add(1, ordering: .relaxed)
                    return
                }
                let requests = paths.map { HTTPConnection.requestBytes("GET", $0) }
                var i = c
                while !counters.stop.load(ordering: .relaxed) {
                    let bytes = requests[i % requests.count]
                    i += clients
                    if let r = try? conn.send(bytes), r.status == 200 {
                        counters.done.add(1, ordering: .relaxed)
                    } else {
                        counters.failed.add(1, ordering: .relaxed)
                        return
                    }
                }
            }
            thread.start()
        }
        // Warm up, then count over the measured window.
        Thread.sleep(forTimeInterval: 0.5)
        let before = counters.done.load(ordering: .relaxed)
        let start = DispatchTime.now()
        Thread.sleep(forTimeInterval: seconds)
        let after = counters.done.load(ordering: .relaxed)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        counters.stop.store(true, ordering: .relaxed)
        finished.wait()
        return Result(requestsPerSecond: Double(after - before) / elapsed, requests: after - before,
                      failures: counters.failed.load(ordering: .relaxed))
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
