import ChildProcess
import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to 127.0.0.1 that sends raw bytes, for requests no HTTP client would send.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = try Loopback.connected(port: port)
    }

    deinit { close(fd) }

    /// Sends everything it can; false once the server has closed its side.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// What arrives until the server closes the connection (`closed`), or until `timeout` seconds pass.
    func receive(timeout: Double) -> (text: String, closed: Bool) {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (String(decoding: out, as: UTF8.self), true) }
            out += buffer[0..<n]
        }
        return (String(decoding: out, as: UTF8.self), false)
    }
}

/// A raw response: its status and its body as JSON.
private func parsed(_ text: String) -> (status: Int, headers: String, body: JSONValue?) {
    let parts = text.components(separatedBy: "\r\n\r\n")
    let head = parts.first ?? ""
    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    return (status, head.lowercased(), try? JSONValue.parse(parts.dropFirst().joined(separator: "\r\n\r\n")))
}

@Suite("pulpform serve at the HTTP layer")
struct HTTPHardeningTests {
    @Test("requests the HTTP parser refuses get Pulp's JSON error body, and the connection closes")
    func parserErrors() throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("pulpform.db"))
        let query = (0..<10_000).map { "param\($0)=value\($0)" }.joined(separator: "&")
        let requests: [(String, [UInt8])] = [
            ("a NUL in the path", Array("GET /pulp/api/v2/repo".utf8) + [0] + Array("sitories/ HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            ("0xFF in the path", Array("GET /pulp/api/v2/repo".utf8) + [0xFF] + Array("sitories/ HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            ("a 100 KB path segment", Array("GET /pulp/api/v2/repositories/\(String(repeating: "a", count: 100_000))/ HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            ("10,000 query parameters", Array("GET /pulp/api/v2/repositories/?\(query) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
            ("not HTTP", Array("HELLO\r\n\r\n".utf8)),
            ("a bad header", Array("GET /pulp/api/v2/repositories/ HTTP/1.1\r\nHo st: x\r\n\r\n".utf8)),
            ("a bad Content-Length", Array("POST /pulp/api/v2/repositories/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8)),
        ]
        for (name, bytes) in requests {
            let c = try RawConnection(port: server.port)
            c.send(bytes)
            let (text, closed) = c.receive(timeout: 5)
            let r = parsed(text)
            #expect(r.status == 400, "\(name): \(text.prefix(300))")
            #expect(r.headers.contains("content-type: application/json"), "\(name)")
            #expect(r.body?["http_status"] == .int(400), "\(name): \(text.prefix(300))")
            #expect(r.body?["error"]?["code"]?.stringValue?.hasPrefix("PLP") == true, "\(name)")
            #expect(closed, "\(name): the connection stays open")
        }
        // The server still answers.
        #expect(try curl([server.base + "repositories/"]).out == "[]")
    }

    @Test("a body over 16 MiB gets 413 with Pulp's body, and the connection closes though the client keeps sending")
    func oversizedBody() throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("pulpform.db"))
        // Declared: refused before the body is read.
        let declared = try RawConnection(port: server.port)
        declared.send("POST /pulp/api/v2/repositories/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n")
        declared.send([UInt8](repeating: 0x20, count: 1 << 20))
        let first = declared.receive(timeout: 10)
        #expect(parsed(first.text).status == 413, "\(first.text.prefix(300))")
        #expect(parsed(first.text).body?["http_status"] == .int(413))
        #expect(first.closed, "the connection stays open after 413")
        // Chunked, so only reading finds it too large.
        let chunked = try RawConnection(port: server.port)
        chunked.send("POST /pulp/api/v2/repositories/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = Array(String(1 << 20, radix: 16).utf8) + Array("\r\n".utf8) + [UInt8](repeating: 0x20, count: 1 << 20) + Array("\r\n".utf8)
        // The client goes on sending: the server reads and drops what comes for a short while, then closes.
        let start = Date()
        while Date().timeIntervalSince(start) < 10, chunked.send(chunk) { usleep(10_000) }
        let lingered = Date().timeIntervalSince(start)
        #expect(lingered < 6, "the server still took the body after \(lingered) s")
        let second = chunked.receive(timeout: 10)
        #expect(parsed(second.text).status == 413, "\(second.text.prefix(300))")
        #expect(second.closed)
        #expect(try curl([server.base + "repositories/"]).out == "[]")
    }

    @Test("slowloris clients get 408 and are closed after the header timeout while others are served; idle ones are closed")
    func slowClients() throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--header-timeout", "1", "--idle-timeout", "3"])
        let idle = try RawConnection(port: server.port)
        let slow = try (0..<20).map { _ in try RawConnection(port: server.port) }
        let start = Date()
        let partial = Array("GET /pulp/api/v2/repositories/ HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
        var closed = Set<Int>()
        var served = false
        var step = 0
        while closed.count < slow.count, Date().timeIntervalSince(start) < 6 {
            for (i, c) in slow.enumerated() where !closed.contains(i) {
                if !c.send([step < partial.count ? partial[step] : UInt8(ascii: "a")]) { closed.insert(i) }
                let (text, eof) = c.receive(timeout: 0.001)
                if eof || !text.isEmpty {
                    #expect(parsed(text).status == 408, "\(text.prefix(200))")
                    closed.insert(i)
                }
            }
            if step == 2 { served = try curl(["-m", "5", server.base + "repositories/"]).out == "[]" }
            step += 1
            usleep(100_000)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(closed.count == slow.count, "\(slow.count - closed.count) slow connections still open after \(elapsed) s")
        #expect(elapsed < 3, "closed after \(elapsed) s")
        #expect(served, "another client was served meanwhile")
        // The idle connection, which never sent a byte, goes at the idle timeout.
        let idleEnd = idle.receive(timeout: 5)
        #expect(idleEnd.closed && idleEnd.text.isEmpty)
        // A kept-alive connection is not cut by the header timeout between its requests.
        let keep = try RawConnection(port: server.port)
        keep.send("GET /pulp/api/v2/repositories/ HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(parsed(keep.receive(timeout: 0.5).text).status == 200)
        usleep(1_500_000)
        keep.send("GET /pulp/api/v2/repositories/ HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(parsed(keep.receive(timeout: 0.5).text).status == 200)
    }

    @Test("a missing repository is a 404 before its request body is looked at")
    func missingRepositoryFirst() throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("pulpform.db"))
        for (method, path, body) in [
            ("POST", "repositories/nope/actions/sync/", #"{"override_config": 5}"#),
            ("POST", "repositories/nope/actions/download/", #"{"verify_all_units": 5}"#),
            ("POST", "repositories/nope/actions/publish/", "[1]"),
            ("PUT", "repositories/nope/distributors/d/", #"{"distributor_config": 5}"#),
            ("POST", "repositories/nope/distributors/", "{not json"),
            ("POST", "repositories/nope/importers/", #"{"importer_type_id": 5}"#),
            ("PUT", "repositories/nope/", #"{"delta": 5}"#),
        ] {
            let r = try curl(["-X", method, "-w", "\n%{http_code}", server.base + path, "-d", body])
            #expect(r.out.hasSuffix("\n404"), "\(method) \(path): \(r.out)")
            #expect(r.out.contains(#""resources":{"repository":"nope"}"#), "\(method) \(path): \(r.out)")
        }
    }
}
