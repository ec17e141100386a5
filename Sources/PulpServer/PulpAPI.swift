import FoundationEssentials
import Foundation
import HTTPTypes
public import Hummingbird
import PulpContract
public import PulpCore
import PulpModel
public import PulpAuth
public import Prometheus

/// The Pulp v2 REST API over `LocalPulp`. Handlers parse, call PulpCore, and render; failures are thrown
/// as `PulpError`s and rendered by `PulpErrorMiddleware`.
public struct PulpAPI: Sendable {
    public let pulp: LocalPulp
    /// Counts requests by route shape, when given.
    public let counters: RequestCounters?
    /// Who may call which route.
    public let auth: APIAuthentication
    /// `GET /metrics` from this registry, and request metrics, when given.
    public var metrics: PrometheusCollectorRegistry?

    /// `auth` defaults to none: a router for tests and tools that run in-process on loopback.
    public init(pulp: LocalPulp, counters: RequestCounters? = nil, auth: APIAuthentication.Mode = .none) {
        self.init(pulp: pulp, counters: counters, authentication: APIAuthentication.Settings(mode: auth))
    }

    public init(pulp: LocalPulp, counters: RequestCounters? = nil, authentication: APIAuthentication.Settings) {
        self.pulp = pulp
        self.counters = counters
        self.auth = APIAuthentication(settings: authentication, pulp: pulp)
    }

    var catalog: PluginCatalog { pulp.catalog }
    func now() -> PulpDateTime { pulp.clock.now() }

    /// A route as registered: method and path under `/pulp/api/v2`, with `{name}` parameters, and the operation a
    /// caller needs on the request's path (nil: no credentials needed).
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var operation: PulpOperation?
        public var description: String { "\(method) \(path)" }
    }

    public typealias Handler = @Sendable (Request, PulpRequestContext) async throws -> Response

    /// Collects routes as they are added to the router, so the list always matches the router.
    final class RouteTable: @unchecked Sendable {
        let router: Router<PulpRequestContext>
        let auth: APIAuthentication
        private(set) var routes: [Route] = []

        init(router: Router<PulpRequestContext>, auth: APIAuthentication) {
            self.router = router
            self.auth = auth
        }

        /// Adds a route that needs `operation` on the request's path (pulp2-auth.md §2.4): the caller is
        /// authenticated and authorised before `handler` runs, and the handler finds them in `context.principal`.
        func on(_ method: HTTPRequest.Method, _ path: String, _ operation: PulpOperation, _ handler: @escaping Handler) {
            add(method, path, operation, handler)
        }

        /// Adds a route that anyone may call (`GET /status/` alone).
        func unauthenticated(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
            add(method, path, nil, handler)
        }

        private func add(_ method: HTTPRequest.Method, _ path: String, _ operation: PulpOperation?, _ handler: @escaping Handler) {
            routes.append(Route(method: method.rawValue, path: path.replacingOccurrences(of: ":([a-z_]+)", with: "{$1}",
                                                                                         options: .regularExpression),
                                operation: operation))
            let auth = self.auth
            router.on(RouterPath(PulpPaths.apiRoot.dropLast() + path), method: method) { request, context in
                guard let operation else { return try await handler(request, context) }
                var context = context
                let (principal, credential) = try await auth.identify(request, context)
                try auth.authorize(principal, operation, request)
                context.principal = principal
                context.credential = credential
                return try await handler(request, context)
            }
        }
    }

    /// The router with every route and the middlewares.
    public func router() -> Router<PulpRequestContext> { build().router }

    /// Every route the router serves.
    public var routes: [Route] { build().routes }

    func build() -> RouteTable {
        let router = Router(context: PulpRequestContext.self)
        if let counters { router.middlewares.add(RequestCountMiddleware(counters: counters)) }
        if let metrics { router.addMetrics(metrics) }
        router.middlewares.add(RequestLogMiddleware())
        let allowed = AllowedMethods()
        router.middlewares.add(PulpErrorMiddleware(allowed: allowed, auth: auth))
        let table = RouteTable(router: router, auth: auth)
        addStatusRoutes(table)
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
        addUserRoutes(table)
        addRoleRoutes(table)
        addPermissionRoutes(table)
        addLoginRoutes(table)
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
