import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PulpContract
public import PulpModel
import Synchronization

/// Importers and distributors.
extension PulpClient {
    public func setImporter(repoId: String, typeId: String, config: JSONObject) async throws -> CallReport {
        CallReport(json: try await send(.POST, PulpPaths.repository(repoId) + "importers/",
                                        ["importer_type_id": .string(typeId), "importer_config": .object(config)], idempotent: false).body)
    }

    public func updateImporter(repoId: String, importerId: String, config: JSONObject) async throws -> CallReport {
        CallReport(json: try await send(.PUT, PulpPaths.importer(repoId, importerId), ["importer_config": .object(config)],
                                        idempotent: false).body)
    }

    public func removeImporter(repoId: String, importerId: String) async throws -> CallReport {
        CallReport(json: try await send(.DELETE, PulpPaths.importer(repoId, importerId), idempotent: false).body)
    }

    public func importers(repoId: String) async throws -> [Importer] {
        let path = PulpPaths.repository(repoId) + "importers/"
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in
            var out: [Importer] = []
            for v in r.body.arrayValue ?? [] { out.append(try Importer(json: v)) }
            return out
        }
    }

    public func importer(repoId: String, importerId: String) async throws -> Importer {
        let path = PulpPaths.importer(repoId, importerId)
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in try Importer(json: r.body) }
    }

    public func addDistributor(repoId: String, _ request: DistributorCreate) async throws -> Distributor {
        let path = PulpPaths.repository(repoId) + "distributors/"
        let r = try await send(.POST, path, .object(request.json()), idempotent: false)
        return try decode(path) { () throws(DecodeError) in try Distributor(json: r.body) }
    }

    public func updateDistributor(repoId: String, distributorId: String, _ request: DistributorUpdate) async throws -> CallReport {
        CallReport(json: try await send(.PUT, PulpPaths.distributor(repoId, distributorId), .object(request.json()),
                                        idempotent: false).body)
    }

    public func removeDistributor(repoId: String, distributorId: String) async throws -> CallReport {
        CallReport(json: try await send(.DELETE, PulpPaths.distributor(repoId, distributorId), idempotent: false).body)
    }

    public func distributors(repoId: String) async throws -> [Distributor] {
        let path = PulpPaths.repository(repoId) + "distributors/"
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in
            var out: [Distributor] = []
            for v in r.body.arrayValue ?? [] { out.append(try Distributor(json: v)) }
            return out
        }
    }

    public func distributor(repoId: String, distributorId: String) async throws -> Distributor {
        let path = PulpPaths.distributor(repoId, distributorId)
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in try Distributor(json: r.body) }
    }
}
