import Logging
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PulpModel

/// A JSON response, written in one buffer: `Content-Type: application/json; charset=utf-8`, even for `null`.
func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, location: String? = nil) -> Response {
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    if let location { headers[.location] = location }
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serializedBytes())))
}

/// A JSON array of objects, serialized on every core when it is large (a search page of thousands of
/// repositories); the bytes are the same as `json(.array(...))`.
func jsonArray(_ items: [JSONObject]) -> Response {
    guard items.count >= 256 else { return json(.array(items.map(JSONValue.object))) }
    let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    var chunks = [[UInt8]](repeating: [], count: parts)
    chunks.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let out = buffer
        DispatchQueue.concurrentPerform(iterations: parts) { c in
            var bytes: [UInt8] = []
            for i in stride(from: items.count * c / parts, to: items.count * (c + 1) / parts, by: 1) {
                if i > items.count * c / parts { bytes.append(UInt8(ascii: ",")) }
                JSONValue.object(items[i]).write(into: &bytes)
            }
            out[c] = bytes
        }
    }
    var body = ByteBuffer()
    body.reserveCapacity(chunks.reduce(2 + parts) { $0 + $1.count })
    body.writeInteger(UInt8(ascii: "["))
    var first = true
    for chunk in chunks where !chunk.isEmpty {
        if !first { body.writeInteger(UInt8(ascii: ",")) }
        first = false
        body.writeBytes(chunk)
    }
    body.writeInteger(UInt8(ascii: "]"))
    return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: body))
}

func json(_ object: JSONObject, status: HTTPResponse.Status = .ok, location: String? = nil) -> Response {
    json(.object(object), status: status, location: location)
}

/// The largest request body accepted (16 MiB).
let maximumBodySize = 16 * 1024 * 1024
let bodyTooLarge = PulpError(code: "PLP0000", httpStatus: 413, message: "The request body is larger than \(maximumBodySize) bytes",
                             extra: ["args": []])

extension Request {
    /// The body as JSON: not JSON is PLP1009; an empty body is `{}` where `emptyIsObject`.
    func jsonBody(emptyIsObject: Bool = true) async throws -> JSONValue {
        // A declared length over the limit is refused before a byte of the body is read.
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > maximumBodySize { throw bodyTooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: maximumBodySize)
        } catch {
            throw bodyTooLarge
        }
        if buffer.readableBytes == 0 || String(buffer: buffer).allSatisfy(\.isWhitespace) {
            if emptyIsObject { return .object([:]) }
            throw PulpError.invalidJSON()
        }
        do {
            return try JSONValue.parse(Data(buffer.readableBytesView))
        } catch {
            throw PulpError.invalidJSON()
        }
    }

    /// The body as a JSON object: a JSON non-object is PLP1015 (`dict`).
    func objectBody() async throws -> JSONObject {
        guard case .object(let o) = try await jsonBody() else { throw PulpError.invalidJSONType("dict") }
        return o
    }

    /// Query parameters in order, form-decoded (`+` is a space, `%XX` escapes).
    var queryPairs: [(String, String)] {
        guard let query = uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                // Most parameters (`details=true`) need no decoding: skip Foundation's work for them.
                guard s.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(s) }
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    func query(_ name: String) -> String? { queryPairs.first { $0.0 == name }?.1 }
    func queryAll(_ name: String) -> [String] { queryPairs.filter { $0.0 == name }.map(\.1) }

    /// `?details=true` and friends: `value.lower() == 'true'`.
    func flag(_ name: String) -> Bool { pulpBoolFlag(query(name)) }
}

extension Parameters {
    /// A path parameter the route guarantees, percent-decoded as Pulp (Django) decodes paths: `pct%2Etest` is
    /// `pct.test`. A malformed escape is kept as it is.
    func id(_ name: String) throws -> String {
        guard let v = get(name) else { throw PulpError.missingValue([name]) }
        guard v.utf8.contains(UInt8(ascii: "%")) else { return v }
        return v.removingPercentEncoding ?? v
    }
}

/// Renders every failure as Pulp's error body (§1a): Pulp errors with their code and class-specific key;
/// unknown paths as 404; anything else as a 500 with `exception` and `traceback` lists and no `error` key.
struct PulpErrorMiddleware: RouterMiddleware {
    typealias Context = PulpRequestContext
    /// A known path asked with another method is 405, with the methods it allows.
    var allowed = AllowedMethods()
    /// An unknown API path, or a known one with another method, asks for credentials before it answers 404 or 405:
    /// without them nobody learns which paths exist.
    var auth: APIAuthentication?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as PulpError {
            return render(e, request)
        } catch let e as HTTPError where e.status == .notFound {
            if let auth, request.uri.path.hasPrefix(PulpPaths.apiRoot) {
                do {
                    _ = try await auth.principal(request, context)
                } catch let e as PulpError {
                    return render(e, request)
                }
            }
            let methods = allowed.methods(for: request.uri.path)
            if !methods.isEmpty, !methods.contains(request.method.rawValue) {
                let error = PulpError(code: "PLP0000", httpStatus: 405,
                                      message: "Method \(request.method.rawValue) is not allowed on \(request.uri.path)",
                                      extra: ["args": []])
                var response = render(error, request)
                response.headers[.allow] = methods.sorted().joined(separator: ", ")
                return response
            }
            return render(.missingResource(["resource": request.uri.path]), request)
        } catch let e as any HTTPResponseError {
            let error = PulpError(code: "PLP0000", httpStatus: Int(e.status.code), message: "\(e.status.reasonPhrase)",
                                  extra: ["args": []])
            return render(error, request)
        } catch {
            context.logger.error("unexpected error: \(error)")
            let body: JSONObject = [
                "_href": .string(request.uri.description), "http_status": 500,
                "http_request_method": .string(request.method.rawValue), "error_message": .string("\(error)"),
                "exception": [.string("\(type(of: error)): \(error)\n")], "traceback": ["pulpform\n"],
            ]
            return json(body, status: .internalServerError)
        }
    }

    func render(_ e: PulpError, _ request: Request) -> Response {
        var response = json(e.body(href: request.uri.description, method: request.method.rawValue),
                            status: HTTPResponse.Status(code: e.httpStatus))
        switch e.httpStatus {
        case 401:
            // A challenge, so that clients which send credentials only when asked (Ansible's default) log in.
            response.headers[.wwwAuthenticate] = #"Basic realm="Pulp", charset="UTF-8""#
            response.headers[.cacheControl] = "no-store"
        case 413:
            // The rest of an oversized body is not worth reading: `ConnectionGuard` closes the connection after this.
            response.headers[.connection] = "close"
        case 429:
            if case .int(let seconds)? = e.data["retry_after"] { response.headers[.retryAfter] = "\(seconds)" }
        default:
            break
        }
        return response
    }
}

/// One log line per request: method, path, status and duration.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code), "duration_ms": .string(String(format: "%.2f", ms)),
        ])
        return response
    }
}
