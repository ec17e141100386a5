import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Sync, publish and download: tasks dispatched on the repository.
extension LocalPulp {
    public func sync(repoId: String, overrides: JSONObject) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, repoId)
            return ((), [.sync(repoId: repoId, overrides: overrides)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    /// The distributor is not checked up front: the task fails if it does not exist.
    public func publish(repoId: String, distributorId: String?, overrides: JSONObject) async throws -> CallReport {
        guard let distributorId else { throw PulpError.missingValue(["id"]) }
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, repoId)
            return ((), [.publish(repoId: repoId, distributorId: distributorId, overrides: overrides)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    public func download(repoId: String, verifyAllUnits: Bool) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, repoId)
            return ((), [.download(repoId: repoId, verifyAllUnits: verifyAllUnits)])
        }
        return CallReport(spawnedTasks: tasks)
    }
}
