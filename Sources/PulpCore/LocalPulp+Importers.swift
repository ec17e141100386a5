import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Importers: set, update, remove, reads.
extension LocalPulp {
    public func setImporter(repoId: String, typeId: String, config: JSONObject) async throws -> CallReport {
        let catalog = self.catalog
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, repoId)
            guard catalog.importer(typeId) != nil else { throw PulpError.invalidImporterType(typeId) }
            return ((), [.setImporter(repoId: repoId, typeId: typeId, config: config)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    func requireImporter(_ db: StoreDB, _ repoId: String, _ importerId: String) throws -> Importer {
        _ = try requireRepository(db, repoId)
        guard let i = try db.importer(repoId: repoId), i.typeId == importerId else {
            throw PulpError.missingResource(["importer_id": importerId])
        }
        return i
    }

    public func updateImporter(repoId: String, importerId: String, config: JSONObject) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireImporter(db, repoId, importerId)
            return ((), [.updateImporter(repoId: repoId, typeId: importerId, config: config)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    public func removeImporter(repoId: String, importerId: String) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireImporter(db, repoId, importerId)
            return ((), [.removeImporter(repoId: repoId, typeId: importerId)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    /// Like Pulp 2.8, an unknown repository gives an empty list.
    public func importers(repoId: String) async throws -> [Importer] {
        try await store.read { db in try db.importer(repoId: repoId).map { [$0] } ?? [] }
    }

    public func importer(repoId: String, importerId: String) async throws -> Importer {
        try await store.read { db in try requireImporter(db, repoId, importerId) }
    }
}
