import Foundation
public import Logging
public import ServiceLifecycle
public import Hummingbird
import Metrics
import NIOCore
public import Prometheus

/// The process's metrics in Prometheus' text format: swift-metrics bootstrapped with swift-prometheus, once per
/// process, by `serve` and `watch --metrics-address`.
public enum PulpMetrics {
    private static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Hummingbird's names (`hb.requests`, `http.route`) are made Prometheus names (`hb_requests`, `http_route`).
        factory.nameAndLabelSanitizer = { name, labels in (sanitize(name), labels.map { (sanitize($0.0), $0.1) }) }
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Routes every swift-metrics instrument of the process to a Prometheus registry (the first call), and returns it.
    /// Instruments made before the first call stay unrecorded.
    public static func bootstrap() -> PrometheusCollectorRegistry { shared }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`: anything else becomes `_`.
    static func sanitize(_ name: String) -> String {
        var out = ""
        for (i, c) in name.unicodeScalars.enumerated() {
            let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c == ":" || (i > 0 && c >= "0" && c <= "9")
            out.unicodeScalars.append(ok ? c : "_")
        }
        return out
    }

    /// The registry as Prometheus' text exposition format (0.0.4).
    public static func response(_ registry: PrometheusCollectorRegistry) -> Response {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Router {
    /// `GET /metrics`, without credentials (counts and timings only), and request metrics for every route.
    func addMetrics(_ registry: PrometheusCollectorRegistry) {
        middlewares.add(MetricsMiddleware())
        get("/metrics") { _, _ in PulpMetrics.response(registry) }
    }
}

/// `watch --metrics-address`: `GET /metrics` and `GET /healthz` on a listener of their own.
public enum MetricsServer {
    /// The server as a service, to run in a service group (it stops on graceful shutdown). `onListening` gets the
    /// bound port (useful with port 0).
    public static func service(registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger,
                               onListening: @escaping @Sendable (Int) async -> Void) -> any Service
    {
        let router = Router()
        router.get("/metrics") { _, _ in PulpMetrics.response(registry) }
        router.get("/healthz") { _, _ in "ok\n" }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "pulpform"),
                           onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
