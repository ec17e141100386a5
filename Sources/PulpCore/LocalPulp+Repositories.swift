import Foundation
public import PulpContract
public import PulpModel
import PulpStore

/// Repositories: create, update (delta, importer and distributor configs), delete, reads.
extension LocalPulp {
    public func createRepository(_ request: RepositoryCreate) async throws -> Repository {
        let now = clock.now()
        return try await store.write { db in try self.createRepository(request, in: db, now: now) }
    }

    func createRepository(_ request: RepositoryCreate, in db: StoreDB, now: PulpDateTime) throws -> Repository {
        guard let id = request.id, IDRules.isValidRepositoryId(id) else { throw PulpError.invalidValue(["repo_id"]) }
        guard try !db.repositoryExists(id) else { throw PulpError.duplicateResource(id) }
        // All or nothing: a bad importer or distributor writes nothing.
        let new = try newRepository(request, id: id, now: now)
        try db.insert(new.rows)
        return new.repository
    }

    /// A new repository with its importer and distributors, checked against the catalog, and its rows. (A new
    /// repository has no schedules: they go with their repository, ON DELETE CASCADE.)
    func newRepository(_ request: RepositoryCreate, id: String, now: PulpDateTime) throws
        -> (repository: Repository, rows: StoreDB.RepositoryRows)
    {
        let repo = Repository(id: id, oid: PulpIDs.objectId(now: now.epoch), displayName: request.displayName,
                              description: request.description, notes: request.notes)
        var importer: Importer?
        if let type = request.importerTypeId {
            guard catalog.importer(type) != nil else { throw PulpError.invalidImporterType(type) }
            importer = Importer(repoId: id, typeId: type, oid: PulpIDs.objectId(now: now.epoch),
                                config: ConfigRules.clean(request.importerConfig))
        }
        let distributors = try request.distributors.map { try LocalPulp.buildDistributor($0, repoId: id, catalog: catalog, now: now) }
        return (repo, try StoreDB.RepositoryRows(repo, importer: importer, distributors: distributors, secrets: store.secrets))
    }

    public func updateRepository(_ id: String, _ request: RepositoryUpdate) async throws -> CallReport {
        let (repo, tasks) = try await dispatch { db, _ in try self.updateRepository(id, request, in: db) }
        return CallReport(result: .object(repo.json()), spawnedTasks: tasks)
    }

    /// The update's writes, and the distributor updates it spawns as tasks.
    func updateRepository(_ id: String, _ request: RepositoryUpdate, in db: StoreDB) throws -> (Repository, [TaskOperation]) {
        var repo = try requireRepository(db, id)
        if let delta = request.delta {
            let hashBefore = try db.contentHash(id)
            try LocalPulp.apply(delta: delta, to: &repo)
            try db.updateRepository(repo)
            try keepContentHash(delta: delta, request: request, before: hashBefore, repoId: id, db: db)
        }
        if let config = request.importerConfig {
            guard var importer = try db.importer(repoId: id) else { throw PulpError.missingResource(["repo_id": id]) }
            importer.config = ConfigRules.merge(importer.config, config)
            try db.saveImporter(importer)
        }
        let ops = (request.distributorConfigs ?? [:]).keys.sorted().map { d in
            TaskOperation.updateDistributor(repoId: id, distributorId: d, config: request.distributorConfigs?[d], delta: nil)
        }
        return (repo, ops)
    }

    /// The content hash across a notes-only update: recording what was applied (`contentHashNotes`) sets it to
    /// that fingerprint (the reconciler has just brought the repository there), and transient notes (leases)
    /// leave it as it was. Any other change has cleared it already (the store's triggers).
    func keepContentHash(delta: JSONObject, request: RepositoryUpdate, before: String?, repoId: String, db: StoreDB) throws {
        guard let bookkeeping = contentHashNotes, request.importerConfig == nil, request.distributorConfigs == nil,
              delta.count == 1, case .object(let notes)? = delta["notes"]
        else { return }
        if let applied = bookkeeping.recordedFingerprint(notes) {
            try db.setContentHash(repoId, applied)
        } else if bookkeeping.isTransient(notes) {
            try db.setContentHash(repoId, before)
        }
    }

    /// Notes merge: a null removes the key, anything else sets it.
    static func merge(notes delta: JSONObject, into notes: JSONObject) -> JSONObject {
        var out = notes
        for (k, v) in delta {
            if v.isNull { out.removeValue(forKey: k) } else { out[k] = v }
        }
        return out
    }

    /// `update_from_delta`: notes merge (null removes), read-only keys ignored, the rest set.
    static func apply(delta: JSONObject, to repo: inout Repository) throws {
        var invalid: [String] = []
        for (key, value) in delta {
            switch key {
            case "content_unit_counts", "repo_id", "last_unit_added", "last_unit_removed", "id", "_id", "_href", "_ns":
                continue
            case "notes":
                guard case .object(let notes) = value else { invalid.append(key); continue }
                repo.notes = merge(notes: notes, into: repo.notes)
            case "display_name":
                switch value {
                case .string(let s): repo.displayName = s
                case .null: repo.displayName = repo.id
                default: invalid.append(key)
                }
            case "description":
                switch value {
                case .string(let s): repo.description = s
                case .null: repo.description = nil
                default: invalid.append(key)
                }
            case "scratchpad":
                guard case .object(let o) = value else { invalid.append(key); continue }
                repo.scratchpad = o
            default:
                invalid.append(key)
            }
        }
        if !invalid.isEmpty { throw PulpError.invalidValue(invalid.sorted()) }
    }

    public func deleteRepository(_ id: String) async throws -> CallReport {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, id)
            return ((), [.deleteRepository(repoId: id)])
        }
        return CallReport(spawnedTasks: tasks)
    }

    public func repository(_ id: String, include: RepositoryInclude) async throws -> RepositoryDetails {
        try await store.read { db in
            guard let repo = try db.repository(id) else { throw PulpError.missingResource(["repository": id]) }
            return RepositoryDetails(
                repository: repo,
                importers: include.importers ? try db.importer(repoId: id).map { [$0] } ?? [] : nil,
                distributors: include.distributors ? try db.distributors(repoId: id) : nil)
        }
    }

    public func repositories(include: RepositoryInclude) async throws -> [RepositoryDetails] {
        try await store.read { db in
            let repos = try db.repositories()
            let importers = include.importers ? try db.importersByRepository() : [:]
            var distributors: [String: [Distributor]] = [:]
            if include.distributors {
                for d in try db.allDistributors() { distributors[d.repoId, default: []].append(d) }
            }
            return repos.map { r in
                RepositoryDetails(repository: r,
                                  importers: include.importers ? importers[r.id].map { [$0] } ?? [] : nil,
                                  distributors: include.distributors ? distributors[r.id] ?? [] : nil)
            }
        }
    }
}
