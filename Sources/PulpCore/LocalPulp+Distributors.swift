import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Distributors: add, update, remove, reads.
extension LocalPulp {
    public func addDistributor(repoId: String, _ request: DistributorCreate) async throws -> Distributor {
        let now = clock.now()
        return try await store.write { db in try self.addDistributor(repoId: repoId, request, in: db, now: now) }
    }

    func addDistributor(repoId: String, _ request: DistributorCreate, in db: StoreDB, now: PulpDateTime) throws -> Distributor {
        _ = try requireRepository(db, repoId)
        let dist = try LocalPulp.buildDistributor(request, repoId: repoId, catalog: catalog, now: now)
        // An existing distributor with this id is replaced, with its publish schedules.
        if try db.distributorExists(repoId: repoId, id: dist.id) {
            try db.deleteSchedules(owner: .distributor(repoId: repoId, distributorId: dist.id))
            try db.deleteDistributor(repoId: repoId, id: dist.id)
        }
        try db.saveDistributor(dist)
        return dist
    }

    func requireDistributor(_ db: StoreDB, _ repoId: String, _ id: String) throws -> Distributor {
        _ = try requireRepository(db, repoId)
        guard let d = try db.distributor(repoId: repoId, id: id) else {
            throw PulpError.missingResource(["repo_id": repoId, "distributor_id": id])
        }
        return d
    }

    public func updateDistributor(repoId: String, distributorId: String, _ request: DistributorUpdate) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireDistributor(db, repoId, distributorId)
            return ((), [.updateDistributor(repoId: repoId, distributorId: distributorId, config: request.config,
                                            delta: request.delta)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    public func removeDistributor(repoId: String, distributorId: String) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireDistributor(db, repoId, distributorId)
            return ((), [.removeDistributor(repoId: repoId, distributorId: distributorId)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    public func distributors(repoId: String) async throws -> [Distributor] {
        try await store.read { db in
            _ = try requireRepository(db, repoId)
            return try db.distributors(repoId: repoId)
        }
    }

    public func distributor(repoId: String, distributorId: String) async throws -> Distributor {
        try await store.read { db in try requireDistributor(db, repoId, distributorId) }
    }
}
