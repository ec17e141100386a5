import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PulpContract
public import PulpModel

/// Content: searches, copy, remove, orphans and uploads (pulp2-content.md §4).
extension PulpClient {
    public func searchRepositoryUnits(_ repoId: String, criteria: JSONValue) async throws -> [JSONValue] {
        let target = PulpPaths.repository(repoId) + "search/units/"
        let reply = try await send(.POST, target, ["criteria": criteria], idempotent: true)
        guard case .array(let records) = reply.body else { throw ClientError(url: url(target), message: "the answer is not a list of units") }
        return records
    }

    public func copyUnits(into dest: String, from source: String?, criteria: JSONValue?, overrides: JSONObject) async throws -> CallReport {
        var body: JSONObject = ["override_config": .object(overrides)]
        if let source { body["source_repo_id"] = .string(source) }
        if let criteria { body["criteria"] = criteria }
        return CallReport(json: try await send(.POST, PulpPaths.repository(dest) + "actions/associate/", .object(body), idempotent: false).body)
    }

    public func removeUnits(from repoId: String, criteria: JSONValue?) async throws -> CallReport {
        let body: JSONValue = criteria.map { ["criteria": $0] } ?? [:]
        return CallReport(json: try await send(.POST, PulpPaths.repository(repoId) + "actions/unassociate/", body, idempotent: false).body)
    }

    public func orphanSummary() async throws -> JSONObject {
        let reply = try await send(.GET, "content/orphans/", idempotent: true)
        return reply.body.objectValue ?? [:]
    }

    public func deleteOrphans(typeId: String?, unitId: String?) async throws -> CallReport {
        var path = "content/orphans/"
        if let typeId { path += typeId + "/" }
        if let unitId { path += unitId + "/" }
        return CallReport(json: try await send(.DELETE, path, idempotent: false).body)
    }

    public func createUpload() async throws -> String {
        let reply = try await send(.POST, "content/uploads/", [:], idempotent: false)
        guard let id = reply.body["upload_id"]?.stringValue else { throw ClientError(url: url("content/uploads/"), message: "no upload_id in the answer") }
        return id
    }

    public func writeUpload(_ id: String, offset: Int, bytes: [UInt8]) async throws {
        _ = try await send(.PUT, "content/uploads/\(id)/\(offset)/", raw: bytes, idempotent: true)
    }

    public func deleteUpload(_ id: String) async throws {
        _ = try await send(.DELETE, "content/uploads/\(id)/", idempotent: true)
    }

    public func importUpload(repoId: String, uploadId: String, typeId: String, unitKey: JSONObject, metadata: JSONObject,
                             overrides: JSONObject) async throws -> CallReport
    {
        let body: JSONValue = ["upload_id": .string(uploadId), "unit_type_id": .string(typeId), "unit_key": .object(unitKey),
                               "unit_metadata": .object(metadata), "override_config": .object(overrides)]
        return CallReport(json: try await send(.POST, PulpPaths.repository(repoId) + "actions/import_upload/", body, idempotent: false).body)
    }
}
