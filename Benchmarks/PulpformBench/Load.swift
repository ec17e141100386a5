import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 keep-alive client over a blocking socket, for load generation with little overhead.
final class HTTPConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

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

    /// Sends one request and reads the whole response; returns the status and body size.
    func request(_ method: String, _ path: String, body: String? = nil) throws -> (status: Int, bytes: Int) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        head += "\r\n" + (body ?? "")
        let bytes = Array(head.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Spawn.Failure(description: "send failed") }
            sent += n
        }
        // Headers.
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.find(buffer)
            if headerEnd == nil { try fill() }
        }
        let headerBytes = Array(buffer[..<(headerEnd ?? 0)])
        buffer.removeFirst((headerEnd ?? 0) + 4)
        let header = String(decoding: headerBytes, as: UTF8.self)
        let statusLine = header.prefix { $0 != "\r" }
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in header.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        while buffer.count < length { try fill() }
        buffer.removeFirst(length)
        return (status, length)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw Spawn.Failure(description: "the server closed the connection") }
        buffer.append(contentsOf: chunk[..<n])
    }

    static func find(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
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
                var i = c
                while !counters.stop.load(ordering: .relaxed) {
                    let path = paths[i % paths.count]
                    i += clients
                    if let r = try? conn.request("GET", path), r.status == 200 {
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
        var bytes = try conn.request(method, path, body: body).bytes
        var out: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now()
            let r = try conn.request(method, path, body: body)
            guard r.status == 200 else { throw Spawn.Failure(description: "\(method) \(path) answered \(r.status)") }
            bytes = r.bytes
            out.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        return (out.sorted(), bytes)
    }
}
