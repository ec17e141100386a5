import Foundation
public import PulpContract
public import PulpModel
import PulpStore

/// The reconciler's fast path: content hashes, repositories by id, their schedules.
extension LocalPulp {
    public func repositoryContentHashes() async throws -> [RepositoryContentHash]? {
        try await store.read { db in try db.contentHashes() }
    }

    public func repositories(ids: [String], include: RepositoryInclude) async throws -> [RepositoryDetails] {
        guard !ids.isEmpty else { return [] }
        // Large reads are split over several reader connections, which run at once.
        if ids.count > 1_000 {
            let parts = max(2, min(ProcessInfo.processInfo.activeProcessorCount, 4))
            let size = (ids.count + parts - 1) / parts
            return try await withThrowingTaskGroup(of: (Int, [RepositoryDetails]).self) { group in
                for (i, start) in stride(from: 0, to: ids.count, by: size).enumerated() {
                    let slice = Array(ids[start..<min(start + size, ids.count)])
                    group.addTask { (i, try await self.repositories(ids: slice, include: include)) }
                }
                var out: [Int: [RepositoryDetails]] = [:]
                for try await (i, part) in group { out[i] = part }
                return out.keys.sorted().flatMap { out[$0] ?? [] }
            }
        }
        return try await store.read { db in
            let repos = try db.repositories(ids: ids)
            let importers = include.importers ? try db.importers(repoIds: ids) : [:]
            let distributors = include.distributors ? try db.distributors(repoIds: ids) : [:]
            return repos.map { r in
                RepositoryDetails(repository: r,
                                  importers: include.importers ? importers[r.id].map { [$0] } ?? [] : nil,
                                  distributors: include.distributors ? distributors[r.id] ?? [] : nil)
            }
        }
    }

    public func repositorySchedules(of repositories: [RepositoryDetails]) async throws -> [Schedule] {
        guard !repositories.isEmpty else { return [] }
        let ids = repositories.map(\.repository.id)
        return try await store.read { db in try db.repositorySchedules(repoIds: ids) }
    }
}
