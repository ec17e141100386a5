import FoundationEssentials
import Foundation
import HTTPTypes
public import Hummingbird
import PulpContract
public import PulpCore
import PulpModel

/// The Pulp v2 REST API over `LocalPulp`. Handlers parse, call PulpCore, and render; failures are thrown
/// as `PulpError`s and rendered by `PulpErrorMiddleware`.
public struct PulpAPI: Sendable {
    public let pulp: LocalPulp
    /// Counts requests by route shape, when given.
    public let counters: RequestCounters?

    public init(pulp: LocalPulp, counters: RequestCounters? = nil) {
        self.pulp = pulp
        self.counters = counters
    }

    var catalog: PluginCatalog { pulp.catalog }
    func now() -> PulpDateTime { pulp.clock.now() }

    /// A route as registered: method and path under `/pulp/api/v2`, with `{name}` parameters.
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var description: String { "\(method) \(path)" }
    }

    public typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// Collects routes as they are added to the router, so the list always matches the router.
    final class RouteTable: @unchecked Sendable {
        let router: Router<BasicRequestContext>
        private(set) var routes: [Route] = []

        init(router: Router<BasicRequestContext>) { self.router = router }

        func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
            routes.append(Route(method: method.rawValue, path: path.replacingOccurrences(of: ":([a-z_]+)", with: "{$1}",
                                                                                         options: .regularExpression)))
            router.on(RouterPath(PulpPaths.apiRoot.dropLast() + path), method: method, use: handler)
        }
    }

    /// The router with every route and the middlewares.
    public func router() -> Router<BasicRequestContext> { build().router }

    /// Every route the router serves.
    public var routes: [Route] { build().routes }

    func build() -> RouteTable {
        let router = Router(context: BasicRequestContext.self)
        if let counters { router.middlewares.add(RequestCountMiddleware(counters: counters)) }
        router.middlewares.add(RequestLogMiddleware())
        let allowed = AllowedMethods()
        router.middlewares.add(PulpErrorMiddleware(allowed: allowed))
        let table = RouteTable(router: router)
        addRepositoryRoutes(table)
        addImporterRoutes(table)
        addDistributorRoutes(table)
        addPluginTypeRoutes(table)
        addUnitRoutes(table)
        addActionRoutes(table)
        addScheduleRoutes(table)
        addHistoryRoutes(table)
        addTaskRoutes(table)
        addConsumerRoutes(table)
        addContentRoutes(router)
        allowed.set(table.routes)
        return table
    }

    /// A call report: 202 with its spawned tasks.
    func accepted(_ report: CallReport) -> Response { json(report.json(), status: .accepted) }

    static let nullBody = JSONValue.null
}

/// The methods each route path allows, so that a known path with another method is a 405, not a 404.
final class AllowedMethods: @unchecked Sendable {
    /// Routes as path segments under the API root (`{name}` matches any one segment), with their methods.
    /// Written once, while the router is built, before any request arrives.
    private var shapes: [(segments: [Substring], methods: Set<String>)] = []

    func set(_ routes: [PulpAPI.Route]) {
        var byPath: [String: Set<String>] = [:]
        for r in routes { byPath[r.path, default: []].insert(r.method) }
        shapes = byPath.map { ($0.key.split(separator: "/"), $0.value) }
    }

    /// The methods allowed on `path` (a request path, with the API root), or none for a path no route has.
    func methods(for path: String) -> Set<String> {
        let root = PulpPaths.apiRoot.split(separator: "/")
        let segments = path.split(separator: "/")
        guard segments.starts(with: root) else { return [] }
        let rest = segments.dropFirst(root.count)
        var out = Set<String>()
        for shape in shapes where shape.segments.count == rest.count {
            if zip(shape.segments, rest).allSatisfy({ $0.0.hasPrefix("{") || $0.0 == $0.1 }) { out.formUnion(shape.methods) }
        }
        return out
    }
}
