import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Copy, remove, orphans and user metadata (pulp2-content.md §4.3–§4.5, §4.7). Requests are checked before a
/// task is dispatched, so that a bad one changes nothing and gets its error at once.
extension LocalPulp {
    /// `POST /repositories/<dest>/actions/associate/`.
    public func copyUnits(into dest: String, from source: String?, criteria: JSONValue?, overrides: JSONObject) async throws -> CallReport {
        guard let source else { throw PulpError.missingValue(["source_repo_id"]) }
        let criteria = try Self.checkedCriteria(criteria)
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, dest)
            guard try db.repositoryExists(source) else { throw PulpError.invalidValue(["source_repo_id"]) }
            return ((), [.associate(repoId: dest, sourceRepoId: source, criteria: criteria, overrides: overrides)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    /// `POST /repositories/<id>/actions/unassociate/`: no `type_ids` removes every unit, as in Pulp 2.
    public func removeUnits(from repoId: String, criteria: JSONValue?) async throws -> CallReport {
        let criteria = try Self.checkedCriteria(criteria)
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, repoId)
            return ((), [.unassociate(repoId: repoId, criteria: criteria)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    /// Parses criteria for a task: bad ones are InvalidValue `['criteria']` with the reason as a sub-error.
    static func checkedCriteria(_ value: JSONValue?) throws -> JSONValue {
        guard let value, !value.isNull else { return .null }
        do {
            _ = try UnitAssociationCriteria.parse(value)
        } catch {
            throw PulpError.invalidValue(["criteria"], subErrors: [error])
        }
        return value
    }

    // MARK: - Orphans

    /// `GET /content/orphans/`: every known type, zeros included.
    public func orphanSummary() async throws -> JSONObject {
        let counts = try await store.read { db in try db.orphanCounts() }
        var out: JSONObject = [:]
        for t in PluginCatalog.contentTypes.map(\.id) + counts.keys.filter({ PluginCatalog.contentType($0) == nil }) {
            out[t] = ["count": .int(counts[t] ?? 0), "_href": .string("/pulp/api/v2/content/orphans/\(t)/")]
        }
        return out
    }

    /// `GET /content/orphans/<type>/`: each orphan's id, type, key and `_href`.
    public func orphans(typeId: String) async throws -> [JSONValue] {
        try Self.requireContentType(typeId)
        let units = try await store.read { db in try db.orphans(typeId: typeId) }
        return units.map { u in
            var o = u.unitKey
            o["_id"] = .string(u.unitId)
            o["_content_type_id"] = .string(u.typeId)
            o["_href"] = .string("/pulp/api/v2/content/orphans/\(u.typeId)/\(u.unitId)/")
            return .object(o)
        }
    }

    /// `GET /content/orphans/<type>/<id>/`: 404 unless the unit is an orphan.
    public func orphan(typeId: String, unitId: String) async throws -> JSONObject {
        guard try await store.read({ db in try db.isOrphan(typeId: typeId, unitId: unitId) }) else {
            throw PulpError.missingResource(["content_type": typeId, "content_unit": unitId])
        }
        return ["_id": .string(unitId), "_href": .string("/pulp/api/v2/content/orphans/\(typeId)/\(unitId)/")]
    }

    /// `DELETE /content/orphans/` (all), `/<type>/` (404 for an unknown type) or `/<type>/<id>/` (404 unless an
    /// orphan): a task, 202 even when there is nothing to delete.
    public func deleteOrphans(typeId: String? = nil, unitId: String? = nil) async throws -> CallReport {
        if let typeId { try Self.requireContentType(typeId) }
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            if let typeId, let unitId, try !db.isOrphan(typeId: typeId, unitId: unitId) {
                throw PulpError.missingResource(["content_type": typeId, "content_unit": unitId])
            }
            return ((), [.deleteOrphans(typeId: typeId, unitId: unitId)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    static func requireContentType(_ typeId: String) throws {
        guard PluginCatalog.contentType(typeId) != nil else { throw PulpError.missingResource(["content_type_id": typeId]) }
    }

    // MARK: - User metadata

    /// `GET /content/units/<type>/<id>/pulp_user_metadata/`: nil when there is no such unit.
    public func userMetadata(typeId: String, unitId: String) async throws -> JSONValue? {
        guard let u = try await store.read({ db in try db.contentUnit(id: unitId) }), u.typeId == typeId else { return nil }
        return u.metadata["pulp_user_metadata"] ?? .object([:])
    }

    /// `PUT …/pulp_user_metadata/`: replaces the field. False when there is no such unit.
    public func setUserMetadata(typeId: String, unitId: String, _ value: JSONObject) async throws -> Bool {
        let now = clock.now().epoch
        return try await store.write { db in try db.setUserMetadata(typeId: typeId, unitId: unitId, value, now: now) }
    }
}
