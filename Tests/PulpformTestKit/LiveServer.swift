import Foundation
public import HTTPTypes
public import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
public import PulpCore
public import PulpModel
public import PulpServer
import ServiceLifecycle

/// The one in-process live server of the suites: an application on 127.0.0.1 with an ephemeral port.
public final class LiveServer: @unchecked Sendable {
    let group: ServiceGroup
    let task: Task<Void, any Error>
    public let port: Int

    public init<Context: RequestContext>(router: Router<Context>) async throws where Context.Source == ApplicationRequestContextSource {
        var logger = Logger(label: "pulpform-test-server")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        self.group = group
        task = Task { try await group.run() }
        var bound = 0
        for await p in ports {
            bound = p
            break
        }
        port = bound
    }

    /// `pulpform serve`'s API over a LocalPulp; with `authenticated`, every API request needs credentials.
    public convenience init(pulp: LocalPulp, authenticated: Bool = false) async throws {
        try await self.init(pulp: pulp, authentication: .init(mode: authenticated ? .required : .none))
    }

    /// `pulpform serve`'s API over a LocalPulp, authenticating as `authentication` says.
    public convenience init(pulp: LocalPulp, authentication: APIAuthentication.Settings) async throws {
        if authentication.mode == .required { try await pulp.reloadAccess() }
        try await self.init(router: PulpAPI(pulp: pulp, authentication: authentication).router())
    }

    public var baseURL: String { "http://127.0.0.1:\(port)/" }

    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

extension TestPulp {
    /// Serves this rig's API live and runs `body` with a client of it.
    public func serve(authenticated: Bool = false, _ body: @Sendable (API) async throws -> Void) async throws {
        try await serve(authentication: .init(mode: authenticated ? .required : .none), body)
    }

    /// Serves this rig's API live, authenticating as `authentication` says, and runs `body` with a client of it.
    public func serve(authentication: APIAuthentication.Settings, _ body: @Sendable (API) async throws -> Void) async throws {
        let server = try await LiveServer(pulp: pulp, authentication: authentication)
        let client = TestClient(host: "127.0.0.1", port: server.port)
        client.connect()
        do {
            try await body(API(client: client, rig: self, port: server.port))
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try? await client.shutdown()
        await server.stop()
    }
}

/// One HTTP exchange.
public struct Reply: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let text: String
    public var json: JSONValue { (try? JSONValue.parse(text)) ?? .string("<not JSON: \(text.prefix(200))>") }
    public var object: JSONObject { json.objectValue ?? [:] }
    public var contentType: String? { headers[.contentType] }
    public var location: String? { headers[.location] }
}

/// A client of a live server, speaking Pulp's paths (relative ones under `/pulp/api/v2/`).
public struct API: Sendable {
    let client: TestClient
    public let rig: TestPulp
    public let port: Int

    public func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, raw: String? = nil,
                     headers: HTTPFields = [:]) async throws -> Reply
    {
        let uri = path.hasPrefix("/") ? path : "/pulp/api/v2/" + path
        let buffer = raw.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(string: $0.serialized()) }
        let r = try await client.execute(TestClient.Request(uri, method: method, authority: "127.0.0.1:\(port)",
                                                           headers: headers, body: buffer))
        return Reply(status: Int(r.status.code), headers: r.headers, text: r.body.map { String(buffer: $0) } ?? "")
    }

    public func get(_ p: String) async throws -> Reply { try await call(.get, p) }
    public func post(_ p: String, _ b: JSONValue = [:]) async throws -> Reply { try await call(.post, p, b) }
    public func put(_ p: String, _ b: JSONValue = [:]) async throws -> Reply { try await call(.put, p, b) }
    public func delete(_ p: String) async throws -> Reply { try await call(.delete, p) }

    /// Polls every spawned task (and what it spawns) until complete, as Pulp clients do.
    @discardableResult
    public func waitTasks(_ reply: Reply) async throws -> [JSONObject] {
        var pending = reply.json["spawned_tasks"]?.arrayValue?.compactMap { $0["_href"]?.stringValue } ?? []
        var out: [JSONObject] = []
        while !pending.isEmpty {
            let href = pending.removeFirst()
            var task = try await get(href).object
            var tries = 0
            while let state = task["state"]?.stringValue, !["finished", "error", "canceled", "skipped"].contains(state), tries < 500 {
                try await Task.sleep(for: .milliseconds(5))
                task = try await get(href).object
                tries += 1
            }
            out.append(task)
            pending += task["spawned_tasks"]?.arrayValue?.compactMap { $0["_href"]?.stringValue } ?? []
        }
        return out
    }

    /// The seed's harness repository with dist_1.
    @discardableResult
    public func harnessRepo(_ id: String = "harness_repo_1", autoPublish: Bool = false) async throws -> Reply {
        try await post("repositories/", [
            "id": .string(id), "display_name": .string("Harness Repository: \(id)"), "importer_type_id": "harness_importer",
            "importer_config": ["num_units": "5", "write_files": "true"],
            "distributors": [["distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                              "distributor_config": ["publish_dir": .string(rig.publishDir), "write_files": "true"],
                              "auto_publish": .bool(autoPublish)]],
        ])
    }
}
