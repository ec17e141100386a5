import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Sync and publish history.
extension LocalPulp {
    public func syncHistory(repoId: String, query: HistoryQuery) async throws -> [SyncHistoryEntry] {
        try await store.read { db in
            _ = try requireRepository(db, repoId)
            return try db.syncHistory(repoId: repoId, query: query)
        }
    }

    public func publishHistory(repoId: String, distributorId: String, query: HistoryQuery) async throws -> [PublishHistoryEntry] {
        try await store.read { db in
            _ = try requireDistributor(db, repoId, distributorId)
            return try db.publishHistory(repoId: repoId, distributorId: distributorId, query: query)
        }
    }
}
