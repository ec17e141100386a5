import Foundation
import PulpContent
import PulpContract
import PulpModel
import PulpStore

/// What a task produced.
struct TaskOutcome: Sendable {
    var state: TaskState = .finished
    var result: JSONValue = .null
    var progressReport: JSONObject = [:]
    /// Tasks this one spawns (a sync's auto-publishes). Stored in the same transaction.
    var spawned: [StoredTask] = []
    /// Work on the content directory that must wait for the commit (removing a deleted distributor's tree).
    var afterCommit: (@Sendable () -> Void)?
}

/// What a task's work phase produced, for its commit.
enum TaskWork: Sendable {
    /// Operations whose whole effect is on the store: the commit does them.
    case inStore(TaskOperation)
    case synced(repoId: String, importerTypeId: String, SyncResult)
    case published(repoId: String, distributorId: String, PublishResult)
    case uploaded(repoId: String, importerTypeId: String, UploadedUnit)
    case downloaded(repoId: String, JSONObject)
}

/// Runs task operations in two steps, around the engine's claim:
/// - `work`: async, outside any write transaction. Syncs and publishes read a snapshot and run their plugin,
///   which may take minutes and report progress; everything else has no work phase.
/// - `commit`: the results, in the task's one short write transaction, so a failure or a cancel leaves nothing
///   behind.
struct TaskRunner: Sendable {
    let catalog: PluginCatalog
    let plugins: PluginRegistry
    /// Where unit files and published trees live.
    var content: ContentDirectory?
    var clock: any PulpClock = SystemClock()

    func work(_ op: TaskOperation, store: PulpStore, progress: ProgressReporter) async throws -> TaskWork {
        switch op {
        case .sync(let r, let overrides):
            let (repository, importer) = try await store.read { db -> (Repository, Importer) in
                guard let repository = try db.repository(r), let importer = try db.importer(repoId: r) else {
                    throw PulpError.missingResource(["repository": r])
                }
                return (repository, importer)
            }
            let clock = self.clock
            // The one place a sync sees its importer's secrets in clear.
            var request = SyncRequest(repoId: r, importerTypeId: importer.typeId,
                                      config: ConfigRules.merge(try store.secrets.reveal(importer).config, overrides), progress: progress)
            request.repository = repository
            request.importer = importer
            request.store = store
            request.content = content
            request.now = { clock.now().epoch }
            let result = try await plugins.importer(importer.typeId).sync(request)
            return .synced(repoId: r, importerTypeId: importer.typeId, result)
        case .publish(let r, let d, let overrides):
            let (dist, units, repository) = try await store.read { db in
                (try requireDistributor(db, r, d), try db.unitIds(repoId: r), try db.repository(r))
            }
            let clock = self.clock
            var request = PublishRequest(repoId: r, distributorId: d, distributorTypeId: dist.typeId,
                                         config: ConfigRules.merge(dist.config, overrides), unitIds: units, progress: progress)
            request.store = store
            request.content = content
            request.repository = repository
            request.now = { clock.now().epoch }
            let result = try await plugins.distributor(dist.typeId).publish(request)
            return .published(repoId: r, distributorId: d, result)
        case .download(let r, let verify):
            return try await downloadRepository(r, verifyAll: verify, store: store, progress: progress)
        case .importUpload(let r, let uploadId, let typeId, let key, let metadata, let overrides):
            let importer = try await store.read { db -> Importer in
                guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
                guard let importer = try db.importer(repoId: r) else { throw PulpError.missingResource(["repo_id": r]) }
                guard try db.uploadRanges(uploadId) != nil else { throw PulpError.missingResource(["upload_request": uploadId]) }
                return importer
            }
            guard let content else { throw PulpError.wrapped("an upload needs a content directory") }
            let clock = self.clock
            var request = UploadRequest(repoId: r, typeId: typeId, unitKey: key, metadata: metadata,
                                        config: ConfigRules.merge(try store.secrets.reveal(importer).config, overrides),
                                        file: content.uploadPath(uploadId),
                                        content: content)
            request.now = { clock.now().epoch }
            let unit = try await plugins.importer(importer.typeId).upload(request)
            return .uploaded(repoId: r, importerTypeId: importer.typeId, unit)
        default:
            return .inStore(op)
        }
    }

    func commit(_ work: TaskWork, task: StoredTask, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        switch work {
        case .synced(let r, let importerTypeId, let result):
            return try commitSync(repoId: r, importerTypeId: importerTypeId, result, task: task, db: db, now: now)
        case .published(let r, let d, let result):
            return try commitPublish(repoId: r, distributorId: d, result, task: task, db: db, now: now)
        case .downloaded(let r, let report):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            return TaskOutcome(result: .object(report), progressReport: ["on_demand_download": .object(report)])
        case .uploaded(let r, let importerTypeId, let unit):
            return try commitUpload(repoId: r, importerTypeId: importerTypeId, unit, db: db, now: now)
        case .inStore(let op):
            return try execute(op, db: db, now: now)
        }
    }

    /// Takes a deleted repository's or distributor's published yum trees down, once the delete is committed.
    func unpublish(_ repoId: String, _ distributors: [Distributor]) -> (@Sendable () -> Void)? {
        let yum = distributors.filter { $0.typeId == "yum_distributor" }
        let iso = distributors.contains { $0.typeId == "iso_distributor" }
        guard !yum.isEmpty || iso, let content = self.content else { return nil }
        let urls = yum.map { YumDistributor.relativeURL($0.config, repoId: repoId) }
        return {
            for url in urls { YumDistributor.unpublish(content: content, repoId: repoId, relativeURL: url) }
            if iso { ISODistributor.unpublish(content: content, repoId: repoId) }
        }
    }

    func execute(_ op: TaskOperation, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        switch op {
        case .deleteRepository(let r):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            let published = try db.distributors(repoId: r)
            try db.deleteRepository(r)
            var outcome = TaskOutcome()
            outcome.afterCommit = unpublish(r, published)
            return outcome

        case .setImporter(let r, let t, let config):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            guard catalog.importer(t) != nil else { throw PulpError.invalidImporterType(t) }
            // Replace: the old importer and its sync schedules go first.
            if let old = try db.importer(repoId: r) {
                try db.deleteSchedules(owner: .importer(repoId: r, importerId: old.typeId))
                try db.deleteImporter(repoId: r)
            }
            let importer = Importer(repoId: r, typeId: t, oid: PulpIDs.objectId(now: now.epoch), config: ConfigRules.clean(config))
            try db.saveImporter(importer)
            return TaskOutcome(result: .object(importer.json(catalog: catalog)))

        case .updateImporter(let r, let t, let config):
            var importer = try requireImporter(db, r, t)
            importer.config = ConfigRules.merge(importer.config, config)
            try db.saveImporter(importer)
            let scheduled = try db.schedules(owner: .importer(repoId: r, importerId: t)).map(\.id)
            return TaskOutcome(result: .object(importer.json(catalog: catalog, scheduledSyncs: scheduled)))

        case .removeImporter(let r, let t):
            _ = try requireImporter(db, r, t)
            try db.deleteSchedules(owner: .importer(repoId: r, importerId: t))
            try db.deleteImporter(repoId: r)
            return TaskOutcome()

        case .updateDistributor(let r, let d, let config, let delta):
            var dist = try requireDistributor(db, r, d)
            if let config { dist.config = ConfigRules.merge(dist.config, config) }
            if let delta, let auto = delta["auto_publish"] {
                guard case .bool(let b) = auto else { throw PulpError.invalidValue(["auto_publish"]) }
                dist.autoPublish = b
            }
            try db.saveDistributor(dist)
            let scheduled = try db.schedules(owner: .distributor(repoId: r, distributorId: d)).map(\.id)
            return TaskOutcome(result: .object(dist.json(scheduledPublishes: scheduled)))

        case .removeDistributor(let r, let d):
            let dist = try requireDistributor(db, r, d)
            try db.deleteSchedules(owner: .distributor(repoId: r, distributorId: d))
            try db.deleteDistributor(repoId: r, id: d)
            var outcome = TaskOutcome()
            outcome.afterCommit = unpublish(r, [dist])
            return outcome

        case .sync, .publish:
            // Their work phase comes first (`work`); `commit` takes its result.
            throw PulpError.wrapped("\(op.taskType) runs through its work phase")

        case .associate(let dest, let source, let criteria, _):
            return try copyUnits(into: dest, from: source, criteria: criteria, db: db, now: now)

        case .unassociate(let r, let criteria):
            return try removeUnits(from: r, criteria: criteria, db: db, now: now)

        case .deleteOrphans(let typeId, let unitId):
            return try deleteOrphans(typeId: typeId, unitId: unitId, db: db)

        case .importUpload, .download:
            throw PulpError.wrapped("\(op.taskType) runs through its work phase")

        case .consumerContent(let c, let action, _, _):
            guard try db.consumer(c) != nil else { throw PulpError.missingResource(["consumer": c]) }
            return TaskOutcome(state: .skipped, progressReport: [
                "message": .string("no consumer agent is available to \(action.rawValue) content on consumer \(c)"),
            ])
        }
    }

    /// After a failed run (in a fresh transaction): record what Pulp records for failures.
    func recordFailure(_ op: TaskOperation, error: PulpError, started: PulpDateTime, db: StoreDB, now: PulpDateTime) throws {
        switch op {
        case .sync(let r, _):
            guard let importer = try db.importer(repoId: r) else { return }
            try db.insertSyncHistory(SyncHistoryEntry(
                oid: PulpIDs.objectId(now: now.epoch), repoId: r, importerTypeId: importer.typeId, started: started,
                completed: now, result: .error, addedCount: 0, errorMessage: error.message))
        case .publish(let r, let d, _):
            guard let dist = try db.distributor(repoId: r, id: d) else { return }
            try db.insertPublishHistory(PublishHistoryEntry(
                oid: PulpIDs.objectId(now: now.epoch), repoId: r, distributorId: d, distributorTypeId: dist.typeId,
                started: started, completed: now, result: .error, errorMessage: error.message))
        default:
            break
        }
    }

    // MARK: -

    func requireImporter(_ db: StoreDB, _ r: String, _ t: String) throws -> Importer {
        guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
        guard let importer = try db.importer(repoId: r), importer.typeId == t else {
            throw PulpError.missingResource(["importer_id": t])
        }
        return importer
    }

    func requireDistributor(_ db: StoreDB, _ r: String, _ d: String) throws -> Distributor {
        guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
        guard let dist = try db.distributor(repoId: r, id: d) else {
            throw PulpError.missingResource(["repo_id": r, "distributor_id": d])
        }
        return dist
    }

    func commitSync(repoId r: String, importerTypeId: String, _ result: SyncResult, task: StoredTask, db: StoreDB,
                    now: PulpDateTime) throws -> TaskOutcome {
        // The repository or its importer may have gone while the work ran (a delete waits its turn, but an
        // importer can be replaced): then nothing is committed.
        guard var repo = try db.repository(r) else { throw PulpError.missingResource(["repository": r]) }
        guard var importer = try db.importer(repoId: r), importer.typeId == importerTypeId else {
            throw PulpError.missingResource(["repository": r])
        }
        var added = 0, updated = 0, removed = 0
        for (typeId, ids) in result.units.sorted(by: { $0.key < $1.key }) {
            added += try db.addUnits(repoId: r, typeId: typeId, unitIds: ids)
        }
        if !result.associate.isEmpty {
            let counts = try db.associate(repoId: r, units: result.associate, now: now.epoch)
            added += counts.added
            updated += counts.updated
        }
        for (typeId, keep) in result.keepOnly.sorted(by: { $0.key < $1.key }) {
            let gone = try db.repositoryUnitIds(repoId: r, typeId: typeId).filter { !keep.contains($0) }
            removed += try db.disassociate(repoId: r, unitIds: gone)
        }
        if !result.lazyCatalog.isEmpty { try db.setLazyCatalog(repoId: r, result.lazyCatalog) }
        var repoChanged = false
        if added > 0 || removed > 0 {
            repo.contentUnitCounts = try db.contentCounts(repoId: r).mapValues(JSONValue.int)
            if added > 0 { repo.lastUnitAdded = now }
            if removed > 0 { repo.lastUnitRemoved = now }
            repoChanged = true
        }
        for (k, v) in result.repositoryScratchpad where repo.scratchpad[k] != v {
            repo.scratchpad[k] = v
            repoChanged = true
        }
        if repoChanged { try db.updateRepository(repo) }
        if !result.importerScratchpad.isEmpty {
            var pad = importer.scratchpad.objectValue ?? [:]
            for (k, v) in result.importerScratchpad { pad[k] = v }
            importer.scratchpad = .object(pad)
        }
        let started = task.report.startTime ?? now
        // pulpform reports removals as a positive count (Pulp 2.8's is negative: pulp2-compat.md).
        let entry = SyncHistoryEntry(oid: PulpIDs.objectId(now: now.epoch), repoId: r, importerTypeId: importer.typeId,
                                     started: started, completed: now, result: .success, addedCount: added,
                                     updatedCount: updated, removedCount: removed,
                                     summary: .object(result.summary), details: result.detailsAreSummary ? .null : .object(result.details))
        try db.insertSyncHistory(entry)
        importer.lastSync = now
        try db.saveImporter(importer)
        // One publish task per auto-publish distributor, after the background download if there is one.
        var spawned: [StoredTask] = []
        if result.spawnDownload {
            spawned.append(TaskEngine.newTask(.download(repoId: r, verifyAllUnits: false), groupId: task.report.groupId, now: now))
        }
        for dist in try db.distributors(repoId: r) where dist.autoPublish {
            spawned.append(TaskEngine.newTask(.publish(repoId: r, distributorId: dist.id, overrides: [:]),
                                              groupId: task.report.groupId, now: now))
        }
        let shown = result.detailsAreSummary ? result.summary : result.details
        let report: JSONObject = shown.isEmpty ? [:] : [importer.typeId: .object(shown)]
        return TaskOutcome(result: .object(entry.json()), progressReport: report, spawned: spawned)
    }

    func commitPublish(repoId r: String, distributorId d: String, _ result: PublishResult, task: StoredTask, db: StoreDB,
                       now: PulpDateTime) throws -> TaskOutcome {
        var dist = try requireDistributor(db, r, d)
        let entry = PublishHistoryEntry(oid: PulpIDs.objectId(now: now.epoch), repoId: r, distributorId: d,
                                        distributorTypeId: dist.typeId, started: task.report.startTime ?? now, completed: now,
                                        result: .success, summary: .object(result.summary), details: result.details)
        try db.insertPublishHistory(entry)
        dist.lastPublish = now
        try db.saveDistributor(dist)
        let shown = result.detailsAreSummary ? .object(result.summary) : result.details
        let report: JSONObject = shown == .null ? [:] : [d: shown]
        return TaskOutcome(result: .object(entry.json()), progressReport: report)
    }
}
