import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PulpContract
import PulpModel
import Synchronization

/// The transport: requests with retries for idempotent reads, replies, Pulp error bodies.
extension PulpClient {
    struct Reply {
        let status: Int
        let body: JSONValue
    }

    func url(_ path: String) -> String {
        origin + (path.hasPrefix("/") ? path : PulpPaths.apiRoot + path)
    }

    /// One request; `idempotent` ones are retried, with backoff, on connection errors and 5xx.
    func send(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, raw: [UInt8]? = nil, idempotent: Bool,
              accept: Set<Int> = [200, 201, 202, 204]) async throws -> Reply
    {
        let target = url(path)
        var attempt = 0
        while true {
            attempt += 1
            let retry = idempotent && attempt < options.attempts
            let reply: Reply
            do {
                reply = try await once(method, target, body, raw: raw)
            } catch let e as ClientError where retry && e.kind == .connection {
                try await Task.sleep(for: .milliseconds(100 << attempt))
                continue
            }
            if reply.status >= 500, retry {
                try await Task.sleep(for: .milliseconds(100 << attempt))
                continue
            }
            guard accept.contains(reply.status) else {
                if let e = PulpError(body: reply.body, status: reply.status) { throw e }
                throw ClientError(url: target, message: "HTTP \(reply.status): \(reply.body.serialized().prefix(200))")
            }
            return reply
        }
    }

    func once(_ method: HTTPMethod, _ target: String, _ body: JSONValue?, raw: [UInt8]? = nil) async throws -> Reply {
        let now = Date().timeIntervalSince1970
        let open = breaker.withLock { b in b.failures >= Self.breakerThreshold && now - b.openedAt < Self.breakerCooldown }
        if open {
            throw ClientError(url: target, message: "connection failed: the server did not answer the last \(Self.breakerThreshold) attempts",
                              kind: .unreachable)
        }
        do {
            let reply = try await attempt(method, target, body, raw: raw)
            breaker.withLock { $0 = (0, 0) }
            return reply
        } catch let e as ClientError where e.kind == .connection {
            breaker.withLock { b in b = (b.failures + 1, Date().timeIntervalSince1970) }
            throw e
        }
    }

    func attempt(_ method: HTTPMethod, _ target: String, _ body: JSONValue?, raw: [UInt8]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: target)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let raw {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: raw))
        } else if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        if let user = options.username, let password = options.password {
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: options.timeout)
        } catch {
            throw ClientError(url: target, message: "connection failed: \(error)", kind: .connection)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: 512 * 1024 * 1024)
        } catch {
            throw ClientError(url: target, message: "connection failed while reading the response: \(error)", kind: .connection)
        }
        let status = Int(response.status.code)
        if buffer.readableBytes == 0 { return Reply(status: status, body: .null) }
        do {
            return Reply(status: status, body: try JSONValue.parse(Data(buffer.readableBytesView)))
        } catch {
            let snippet = String(buffer: buffer).prefix(120).replacingOccurrences(of: "\n", with: " ")
            throw ClientError(url: target, message: "HTTP \(status) with a body that is not JSON (\(error)): \(snippet)")
        }
    }

    func decode<T>(_ target: String, _ body: () throws(DecodeError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw ClientError(url: url(target), message: "unexpected response: \(error.message)")
        }
    }

    static func query(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~:"))
        let parts = pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    static func includeQuery(_ include: RepositoryInclude) -> String {
        if include.details { return "?details=true" }
        var q: [(String, String)] = []
        if include.importers { q.append(("importers", "true")) }
        if include.distributors { q.append(("distributors", "true")) }
        return query(q)
    }
}
