import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpServer
@testable import PulpStore

/// A served store: a real SQLite file, LocalPulp with a manual clock, the API on 127.0.0.1 with an ephemeral port.
final class Served: @unchecked Sendable {
    let temp: TempStore
    let dir: URL
    let store: PulpStore
    let pulp: LocalPulp
    let clock: ManualClock

    init(catalog: PluginCatalog = .builtin, plugins: PluginRegistry = .builtin) throws {
        temp = try TempStore("pulpform-server")
        dir = temp.dir
        store = temp.store
        clock = ManualClock(PulpDateTime(epoch: 1_456_826_400))
        pulp = LocalPulp(store: store, catalog: catalog, plugins: plugins, clock: clock)
    }

    var publishDir: String { dir.appendingPathComponent("publish").path }

    /// Runs `body` against the live server.
    func run(_ body: @Sendable (API) async throws -> Void) async throws {
        var logger = Logger(label: "pulpform-test")
        logger.logLevel = .warning
        let app = Application(router: PulpAPI(pulp: pulp).router(),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in try await body(API(client: client, served: self)) }
    }
}

/// One HTTP exchange.
struct Reply: Sendable {
    let status: Int
    let headers: HTTPFields
    let text: String
    var json: JSONValue { (try? JSONValue.parse(text)) ?? .string("<not JSON: \(text.prefix(200))>") }
    var object: JSONObject { json.objectValue ?? [:] }
    var contentType: String? { headers[.contentType] }
    var location: String? { headers[.location] }
}

struct API: Sendable {
    let client: any TestClientProtocol
    let served: Served

    func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil, raw: String? = nil,
              headers: HTTPFields = [:]) async throws -> Reply
    {
        let uri = path.hasPrefix("/") ? path : "/pulp/api/v2/" + path
        let buffer = raw.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(string: $0.serialized()) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { r in
            Reply(status: Int(r.status.code), headers: r.headers, text: String(buffer: r.body))
        }
    }

    func get(_ p: String) async throws -> Reply { try await call(.get, p) }
    func post(_ p: String, _ b: JSONValue = [:]) async throws -> Reply { try await call(.post, p, b) }
    func put(_ p: String, _ b: JSONValue = [:]) async throws -> Reply { try await call(.put, p, b) }
    func delete(_ p: String) async throws -> Reply { try await call(.delete, p) }

    /// Polls every spawned task (and what it spawns) until complete, as Pulp clients do.
    @discardableResult
    func waitTasks(_ reply: Reply) async throws -> [JSONObject] {
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
    func harnessRepo(_ id: String = "harness_repo_1", autoPublish: Bool = false) async throws -> Reply {
        try await post("repositories/", [
            "id": .string(id), "display_name": .string("Harness Repository: \(id)"), "importer_type_id": "harness_importer",
            "importer_config": ["num_units": "5", "write_files": "true"],
            "distributors": [["distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                              "distributor_config": ["publish_dir": .string(served.publishDir), "write_files": "true"],
                              "auto_publish": .bool(autoPublish)]],
        ])
    }
}

/// Behaviour 7: every error body has these keys, and `http_status` equals the status.
func expectErrorBody(_ r: Reply, status: Int, code: String, method: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
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
