import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PulpCore

/// Published trees over http: `GET` and `HEAD /pulp/repos/<relative_url>/<path>` and `/pulp/isos/<repo_id>/<path>`, streamed from disk with
/// `Content-Length`, `ETag`, `Last-Modified` and single byte ranges, as Apache serves Pulp's trees.
extension PulpAPI {
    static let contentRoot = "/pulp/repos/"
    /// iso_distributor trees (Pulp 2.8 publishes them by repository id).
    static let isoRoot = "/pulp/isos/"

    func addContentRoutes(_ router: Router<PulpRequestContext>) {
        let pulp = self.pulp
        let files = FileIO()
        for (root, tree) in [(Self.contentRoot, PublishedTree.repos), (Self.isoRoot, PublishedTree.isos)] {
            let handler: @Sendable (Request, PulpRequestContext) async throws -> Response = { request, context in
                try await Self.serveContent(request, context: context, pulp: pulp, files: files, root: root, tree: tree)
            }
            for path in [String(root.dropLast()), root + "**"] {
                router.get(RouterPath(path), use: handler)
                router.head(RouterPath(path), use: handler)
            }
        }
    }

    static func serveContent(_ request: Request, context: PulpRequestContext, pulp: LocalPulp, files: FileIO, root: String,
                             tree: PublishedTree) async throws -> Response
    {
        let raw = request.uri.path
        let rest = raw.hasPrefix(root) ? String(raw.dropFirst(root.count)) : ""
        var segments: [String] = []
        for part in rest.split(separator: "/", omittingEmptySubsequences: true) {
            // An encoded slash would let one segment name two; refused, as Apache does by default.
            if part.range(of: "%2f", options: .caseInsensitive) != nil { return plain(.forbidden) }
            guard let decoded = String(part).removingPercentEncoding else { return plain(.badRequest) }
            segments.append(decoded)
        }
        var lookup = pulp.published(segments, tree: tree)
        // A package a deferred (on_demand, background) sync stored without its file: fetched now.
        if case .notFound = lookup, tree == .repos {
            switch await pulp.onDemand(segments) {
            case .notFound: break
            case .file(let path): lookup = pulp.fileLookup(path)
            case .badGateway(let message):
                context.logger.warning("on-demand fetch failed", metadata: ["path": .string(raw), "error": .string(message)])
                return plain(.badGateway)
            case .stream(let size, let stream):
                var headers: HTTPFields = [.contentType: mediaType(raw)]
                if size >= 0 { headers[.contentLength] = "\(size)" }
                if request.method == .head { return Response(status: .ok, headers: headers) }
                // One chunk is held back until the package is checked: a client never receives the whole of a
                // file whose bytes turn out wrong (it sees a short body instead).
                return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: size >= 0 ? size : nil) { writer in
                    var held: [UInt8]?
                    for try await chunk in stream {
                        if let held { try await writer.write(ByteBuffer(bytes: held)) }
                        held = chunk
                    }
                    if let held { try await writer.write(ByteBuffer(bytes: held)) }
                    try await writer.finish(nil)
                })
            }
        }
        switch lookup {
        case .notFound:
            return plain(.notFound)
        case .forbidden:
            return plain(.forbidden)
        case .directory(let names):
            if !raw.hasSuffix("/") {
                return Response(status: .movedPermanently, headers: [.location: raw + "/"])
            }
            var html = "<html><head><title>Index of \(escape(raw))</title></head><body><h1>Index of \(escape(raw))</h1><ul>\n"
            for n in names { html += "<li><a href=\"\(escape(n))\">\(escape(n))</a></li>\n" }
            html += "</ul></body></html>\n"
            let body = ByteBuffer(string: html)
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentLength: "\(body.readableBytes)"],
                            body: request.method == .head ? .init() : .init(byteBuffer: body))
        case .file(let path, let size, let modified, let etag):
            var headers: HTTPFields = [
                .contentType: mediaType(path), .eTag: etag, .lastModified: httpDate(modified), .acceptRanges: "bytes",
            ]
            if let match = request.headers[.ifNoneMatch], match == etag || match == "*" {
                return Response(status: .notModified, headers: headers)
            }
            var range: ClosedRange<Int>?
            if let spec = request.headers[.range] {
                switch byteRange(spec, size: size) {
                case .some(.some(let r)): range = r
                case .some(.none):
                    headers[.contentRange] = "bytes */\(size)"
                    return Response(status: .rangeNotSatisfiable, headers: headers)
                case .none: break  // not a single byte range: the whole file
                }
            }
            let status: HTTPResponse.Status = range == nil ? .ok : .partialContent
            let span = range ?? 0...max(0, size - 1)
            let length = size == 0 ? 0 : span.count
            headers[.contentLength] = "\(length)"
            if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
            if request.method == .head || length == 0 { return Response(status: status, headers: headers) }
            let body = try await files.loadFile(path: path, range: span, context: context)
            return Response(status: status, headers: headers, body: body)
        }
    }

    /// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range: nil if the header is not one (serve the whole file),
    /// `.some(nil)` if it cannot be satisfied.
    static func byteRange(_ spec: String, size: Int) -> ClosedRange<Int>?? {
        guard spec.hasPrefix("bytes="), !spec.contains(",") else { return nil }
        let parts = spec.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let a = parts[0].trimmingCharacters(in: .whitespaces), b = parts[1].trimmingCharacters(in: .whitespaces)
        if a.isEmpty {
            guard let n = Int(b), n > 0 else { return nil }
            guard size > 0 else { return .some(nil) }
            return .some(max(0, size - n)...(size - 1))
        }
        guard let start = Int(a), start >= 0 else { return nil }
        let end = b.isEmpty ? size - 1 : (Int(b) ?? -1)
        guard end >= start || b.isEmpty else { return nil }
        guard start < size else { return .some(nil) }
        return .some(start...min(end, size - 1))
    }

    static func plain(_ status: HTTPResponse.Status) -> Response {
        let body = ByteBuffer(string: "\(status.code) \(status.reasonPhrase)\n")
        return Response(status: status, headers: [.contentType: "text/plain; charset=utf-8", .contentLength: "\(body.readableBytes)"],
                        body: .init(byteBuffer: body))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func mediaType(_ path: String) -> String {
        if path.hasSuffix(".rpm") { return "application/x-rpm" }
        if path.hasSuffix(".xml") { return "text/xml" }
        if path.hasSuffix(".gz") { return "application/x-gzip" }
        if path.hasSuffix(".xz") { return "application/x-xz" }
        return "application/octet-stream"
    }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }
}
