import PulpModel
public import Testing

/// Expects `body` to throw a Pulp error with this code (and, if given, this HTTP status).
public func expectPulpError(_ code: String, status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () async throws -> Void) async
{
    do {
        try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let e as PulpError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
        if let status { #expect(e.httpStatus == status, "\(e)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Behaviour 7: every error body has these keys, `http_status` equals the status, and the code is `code`.
public func expectErrorBody(_ r: Reply, status: Int, code: String, method: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "\(r.text)", sourceLocation: sourceLocation)
    let o = r.object
    for k in ["_href", "http_status", "http_request_method", "error_message", "exception", "traceback", "error"] {
        #expect(o[k] != nil, "missing \(k) in \(r.text)", sourceLocation: sourceLocation)
    }
    #expect(o["http_status"] == .int(status), sourceLocation: sourceLocation)
    #expect(o["exception"] == .null && o["traceback"] == .null, sourceLocation: sourceLocation)
    #expect(o["error"]?["code"] == .string(code), "\(r.text)", sourceLocation: sourceLocation)
    #expect(o["error"]?["sub_errors"] != nil && o["error"]?["data"] != nil, sourceLocation: sourceLocation)
    if let method { #expect(o["http_request_method"] == .string(method), sourceLocation: sourceLocation) }
    #expect(r.contentType == "application/json; charset=utf-8", sourceLocation: sourceLocation)
}
