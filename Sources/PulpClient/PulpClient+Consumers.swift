import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PulpContract
public import PulpModel
import Synchronization

/// Consumers.
extension PulpClient {
    public func registerConsumer(_ request: ConsumerRegister) async throws -> Consumer {
        let r = try await send(.POST, "consumers/", .object(request.json()), idempotent: false)
        return try decode("consumers/") { () throws(DecodeError) in try Consumer(json: r.body["consumer"] ?? r.body) }
    }

    public func updateConsumer(_ id: String, delta: JSONObject) async throws -> Consumer {
        let r = try await send(.PUT, PulpPaths.consumer(id), ["delta": .object(delta)], idempotent: false)
        return try decode(PulpPaths.consumer(id)) { () throws(DecodeError) in try Consumer(json: r.body) }
    }

    public func unregisterConsumer(_ id: String) async throws {
        _ = try await send(.DELETE, PulpPaths.consumer(id), idempotent: false)
    }

    public func consumer(_ id: String) async throws -> Consumer {
        let r = try await send(.GET, PulpPaths.consumer(id), idempotent: true)
        return try decode(PulpPaths.consumer(id)) { () throws(DecodeError) in try Consumer(json: r.body) }
    }

    public func consumers() async throws -> [Consumer] {
        let r = try await send(.GET, "consumers/", idempotent: true)
        return try decode("consumers/") { () throws(DecodeError) in
            var out: [Consumer] = []
            for v in r.body.arrayValue ?? [] { out.append(try Consumer(json: v)) }
            return out
        }
    }
}
