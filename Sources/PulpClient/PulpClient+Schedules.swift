import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
public import PulpContract
public import PulpModel
import Synchronization

/// Schedules.
extension PulpClient {
    public func createSchedule(_ owner: ScheduleOwner, _ request: ScheduleCreate) async throws -> Schedule {
        let r = try await send(.POST, owner.collectionHref, .object(request.json(kind: owner.kind)), idempotent: false)
        return try decode(owner.collectionHref) { () throws(DecodeError) in try Schedule(json: r.body, owner: owner) }
    }

    public func updateSchedule(_ owner: ScheduleOwner, id: String, _ request: ScheduleUpdate) async throws -> Schedule {
        let path = owner.collectionHref + id + "/"
        let r = try await send(.PUT, path, .object(request.json()), idempotent: false)
        return try decode(path) { () throws(DecodeError) in try Schedule(json: r.body, owner: owner) }
    }

    public func deleteSchedule(_ owner: ScheduleOwner, id: String) async throws {
        _ = try await send(.DELETE, owner.collectionHref + id + "/", idempotent: false)
    }

    public func schedules(_ owner: ScheduleOwner) async throws -> [Schedule] {
        let r = try await send(.GET, owner.collectionHref, idempotent: true)
        return try decode(owner.collectionHref) { () throws(DecodeError) in
            var out: [Schedule] = []
            for v in r.body.arrayValue ?? [] { out.append(try Schedule(json: v, owner: owner)) }
            return out
        }
    }

    public func schedule(_ owner: ScheduleOwner, id: String) async throws -> Schedule {
        let path = owner.collectionHref + id + "/"
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in try Schedule(json: r.body, owner: owner) }
    }

    /// Pulp has no global schedule listing: one GET per importer, distributor and consumer action, at most
    /// `parallelism` at once.
    public func allSchedules(kinds: Set<ScheduleKind>) async throws -> [Schedule] {
        var owners: [ScheduleOwner] = []
        if kinds.contains(.sync) || kinds.contains(.publish) {
            owners += Self.owners(of: try await repositories(include: .all), kinds: kinds)
        }
        let actions = [ScheduleKind.install, .update, .uninstall].filter(kinds.contains)
        if !actions.isEmpty {
            for c in try await consumers() { owners += actions.map { .consumer(consumerId: c.id, action: $0) } }
        }
        return try await schedules(of: owners)
    }

    public func repositorySchedules(of repositories: [RepositoryDetails]) async throws -> [Schedule] {
        try await schedules(of: Self.owners(of: repositories, kinds: [.sync, .publish]))
    }

    static func owners(of repositories: [RepositoryDetails], kinds: Set<ScheduleKind>) -> [ScheduleOwner] {
        var owners: [ScheduleOwner] = []
        for d in repositories {
            if kinds.contains(.sync), let i = d.importers?.first {
                owners.append(.importer(repoId: d.repository.id, importerId: i.typeId))
            }
            if kinds.contains(.publish) {
                owners += (d.distributors ?? []).map { .distributor(repoId: d.repository.id, distributorId: $0.id) }
            }
        }
        return owners
    }

    /// The schedules of these owners, in order, fetched `parallelism` at a time.
    func schedules(of owners: [ScheduleOwner]) async throws -> [Schedule] {
        var results: [Int: [Schedule]] = [:]
        try await withThrowingTaskGroup(of: (Int, [Schedule]).self) { group in
            var next = 0
            func launch() {
                let (i, owner) = (next, owners[next])
                next += 1
                group.addTask { (i, try await self.schedules(owner)) }
            }
            while next < owners.count, next < max(1, options.parallelism) { launch() }
            while let (i, s) = try await group.next() {
                results[i] = s
                if next < owners.count { launch() }
            }
        }
        return owners.indices.flatMap { results[$0] ?? [] }
    }
}
