import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PulpContract
public import PulpModel
import Synchronization

/// Sync, publish and download.
extension PulpClient {
    public func sync(repoId: String, overrides: JSONObject) async throws -> CallReport {
        CallReport(json: try await send(.POST, PulpPaths.repository(repoId) + "actions/sync/", ["override_config": .object(overrides)],
                                        idempotent: false).body)
    }

    public func publish(repoId: String, distributorId: String?, overrides: JSONObject) async throws -> CallReport {
        var body: JSONObject = ["override_config": .object(overrides)]
        if let distributorId { body["id"] = .string(distributorId) }
        return CallReport(json: try await send(.POST, PulpPaths.repository(repoId) + "actions/publish/", .object(body),
                                               idempotent: false).body)
    }

    public func download(repoId: String, verifyAllUnits: Bool) async throws -> CallReport {
        CallReport(json: try await send(.POST, PulpPaths.repository(repoId) + "actions/download/",
                                        ["verify_all_units": .bool(verifyAllUnits)], idempotent: false).body)
    }
}
