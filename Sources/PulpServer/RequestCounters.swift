import Hummingbird
import Synchronization

/// Requests served, by method and route shape (`GET /repositories/<id>/`), for benchmarks and diagnostics.
/// A mutation is any request other than GET, HEAD and the searches (`POST .../search/`).
public final class RequestCounters: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    public func record(method: String, path: String) {
        let key = "\(method) \(RequestCounters.shape(path))"
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Counts by `METHOD /shape/`.
    public func snapshot() -> [String: Int] { counts.withLock { $0 } }

    /// Requests that may change something.
    public var mutations: Int {
        snapshot().filter { key, _ in RequestCounters.isMutation(key) }.values.reduce(0, +)
    }

    static func isMutation(_ key: String) -> Bool {
        let method = key.prefix { $0 != " " }
        if method == "GET" || method == "HEAD" { return false }
        return !(method == "POST" && key.hasSuffix("/search/"))
    }

    /// The Pulp path words that are part of a route; any other segment is an id.
    static let literals: Set<Substring> = [
        "repositories", "importers", "distributors", "schedules", "sync", "publish", "tasks", "task_groups", "search",
        "consumers", "content", "install", "update", "uninstall", "actions", "history", "state_summary", "plugins", "types",
        "status", "download", "units",
    ]

    /// `/pulp/api/v2/repositories/zoo/importers/yum_importer/` → `/repositories/<id>/importers/<id>/`.
    static func shape(_ path: String) -> String {
        var rest = Substring(path.prefix { $0 != "?" })
        if rest.hasPrefix("/pulp/api/v2") { rest = rest.dropFirst("/pulp/api/v2".count) }
        let segments = rest.split(separator: "/").map { literals.contains($0) ? String($0) : "<id>" }
        return "/" + segments.map { $0 + "/" }.joined()
    }
}

/// Counts every request before it is routed.
struct RequestCountMiddleware<Context: RequestContext>: RouterMiddleware {
    let counters: RequestCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        counters.record(method: request.method.rawValue, path: request.uri.path)
        return try await next(request, context)
    }
}
