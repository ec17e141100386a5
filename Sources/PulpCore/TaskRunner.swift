import Foundation
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
}

/// Runs task operations against the store. Each run happens inside the task's one write transaction,
/// so a failure leaves nothing behind.
struct TaskRunner: Sendable {
    let catalog: PluginCatalog

    func execute(_ op: TaskOperation, task: StoredTask, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        switch op {
        case .deleteRepository(let r):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            try db.deleteRepository(r)
            return TaskOutcome()

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
            _ = try requireDistributor(db, r, d)
            try db.deleteSchedules(owner: .distributor(repoId: r, distributorId: d))
            try db.deleteDistributor(repoId: r, id: d)
            return TaskOutcome()

        case .sync(let r, let overrides):
            return try sync(repoId: r, overrides: overrides, task: task, db: db, now: now)

        case .publish(let r, let d, let overrides):
            return try publish(repoId: r, distributorId: d, overrides: overrides, db: db, now: now)

        case .download(let r, _):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            return TaskOutcome()

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

    func sync(repoId r: String, overrides: JSONObject, task: StoredTask, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        guard var repo = try db.repository(r) else { throw PulpError.missingResource(["repository": r]) }
        guard var importer = try db.importer(repoId: r) else { throw PulpError.missingResource(["repository": r]) }
        let config = ConfigRules.merge(importer.config, overrides)
        var added = 0
        var summary: JSONObject = [:]
        switch catalog.importer(importer.typeId)?.behaviour ?? .recordOnly {
        case .harnessImporter:
            let text = config["num_units"]?.stringValue ?? config["num_units"]?.intValue.map(String.init) ?? "5"
            guard let n = Int(text), n >= 0, n <= 1_000_000 else {
                throw PulpError.invalidValue(["num_units"])
            }
            let ids = (0..<n).map { "harness_unit_\($0)" }
            added = try db.addUnits(repoId: r, typeId: "harness_type_one", unitIds: ids)
            summary = ["num_units": .int(n)]
        case .recordOnly, .harnessDistributor:
            summary = ["message": .string("no content transfer for \(importer.typeId) in the embedded store")]
        }
        if added > 0 {
            repo.contentUnitCounts = try db.unitCounts(repoId: r).mapValues(JSONValue.int)
            repo.lastUnitAdded = now
            try db.updateRepository(repo)
        }
        let started = task.report.startTime ?? now
        let entry = SyncHistoryEntry(oid: PulpIDs.objectId(now: now.epoch), repoId: r, importerTypeId: importer.typeId,
                                     started: started, completed: now, result: .success, addedCount: added,
                                     summary: .object(summary))
        try db.insertSyncHistory(entry)
        importer.lastSync = now
        try db.saveImporter(importer)
        // One publish task per auto-publish distributor.
        var spawned: [StoredTask] = []
        for dist in try db.distributors(repoId: r) where dist.autoPublish {
            spawned.append(TaskEngine.newTask(.publish(repoId: r, distributorId: dist.id, overrides: [:]),
                                              groupId: task.report.groupId, now: now))
        }
        return TaskOutcome(result: .object(entry.json()), spawned: spawned)
    }

    func publish(repoId r: String, distributorId d: String, overrides: JSONObject, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        var dist = try requireDistributor(db, r, d)
        let config = ConfigRules.merge(dist.config, overrides)
        var summary: JSONObject = [:]
        switch catalog.distributor(dist.typeId)?.behaviour ?? .recordOnly {
        case .harnessDistributor:
            if config["write_files"]?.stringValue == "true" || config["write_files"]?.boolValue == true {
                guard let dir = config["publish_dir"]?.stringValue, !dir.isEmpty else {
                    throw PulpError.publishFailed(repoId: r, distributorId: d, summary: "publish_dir is not set")
                }
                let units = try db.unitIds(repoId: r)
                do {
                    try HarnessPublisher.write(units: units, repoId: r, to: dir)
                } catch {
                    throw PulpError.publishFailed(repoId: r, distributorId: d, summary: "\(error)")
                }
                summary = ["files_written": .int(units.count), "publish_dir": .string(dir)]
            } else {
                summary = ["files_written": 0]
            }
        case .recordOnly, .harnessImporter:
            summary = ["message": .string("no content written for \(dist.typeId) in the embedded store")]
        }
        let entry = PublishHistoryEntry(oid: PulpIDs.objectId(now: now.epoch), repoId: r, distributorId: d,
                                        distributorTypeId: dist.typeId, started: now, completed: now, result: .success,
                                        summary: .object(summary))
        try db.insertPublishHistory(entry)
        dist.lastPublish = now
        try db.saveDistributor(dist)
        return TaskOutcome(result: .object(entry.json()))
    }
}

/// The harness distributor's publish: one file per unit under `<publish_dir>/<repo_id>/`, written
/// to a temporary directory and renamed into place so readers never see half a publish.
enum HarnessPublisher {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func write(units: [String], repoId: String, to dir: String) throws {
        let fm = FileManager.default
        let base = URL(fileURLWithPath: dir)
        let target = base.appendingPathComponent(repoId)
        let staging = base.appendingPathComponent(".\(repoId).\(PulpIDs.uuid()).tmp")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            for u in units {
                try Data("\(u)\n".utf8).write(to: staging.appendingPathComponent(u))
            }
            let listing = units.joined(separator: "\n") + (units.isEmpty ? "" : "\n")
            try Data(listing.utf8).write(to: staging.appendingPathComponent("MANIFEST"))
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.moveItem(at: staging, to: target)
        } catch {
            try? fm.removeItem(at: staging)
            throw Failure(description: "cannot write to \(dir): \(error.localizedDescription)")
        }
    }
}
