import Foundation
import PulpContract
public import PulpModel
import Synchronization

/// What a task does. Stored as JSON with the task so that a restarted worker can run it.
public enum TaskOperation: Sendable, Hashable {
    case deleteRepository(repoId: String)
    case setImporter(repoId: String, typeId: String, config: JSONObject)
    case updateImporter(repoId: String, typeId: String, config: JSONObject)
    case removeImporter(repoId: String, typeId: String)
    case updateDistributor(repoId: String, distributorId: String, config: JSONObject?, delta: JSONObject?)
    case removeDistributor(repoId: String, distributorId: String)
    case sync(repoId: String, overrides: JSONObject)
    case publish(repoId: String, distributorId: String, overrides: JSONObject)
    case download(repoId: String, verifyAllUnits: Bool)
    case consumerContent(consumerId: String, action: ScheduleKind, units: [JSONValue], options: JSONObject)
    /// Copy: the units of `sourceRepoId` that the criteria select, into `repoId`.
    case associate(repoId: String, sourceRepoId: String, criteria: JSONValue, overrides: JSONObject)
    /// Remove: the units the criteria select (all, without `type_ids`).
    case unassociate(repoId: String, criteria: JSONValue)
    /// A finished upload, made a unit of the repository.
    case importUpload(repoId: String, uploadId: String, typeId: String, unitKey: JSONObject, metadata: JSONObject, overrides: JSONObject)
    /// Orphaned units and their files: all, one type's, or one unit.
    case deleteOrphans(typeId: String?, unitId: String?)

    /// Pulp's celery task name.
    public var taskType: String {
        switch self {
        case .deleteRepository: return TaskType.deleteRepository
        case .setImporter: return TaskType.setImporter
        case .updateImporter: return TaskType.updateImporter
        case .removeImporter: return TaskType.removeImporter
        case .updateDistributor: return TaskType.updateDistributor
        case .removeDistributor: return TaskType.removeDistributor
        case .sync: return TaskType.sync
        case .publish: return TaskType.publish
        case .download: return TaskType.download
        case .consumerContent(_, let action, _, _): return action.taskName
        case .associate: return TaskType.associate
        case .unassociate: return TaskType.unassociate
        case .importUpload: return TaskType.importUpload
        case .deleteOrphans: return TaskType.deleteOrphans
        }
    }

    /// The reservation: tasks on the same resource run one at a time.
    public var resource: String {
        switch self {
        case .deleteRepository(let r), .setImporter(let r, _, _), .updateImporter(let r, _, _), .removeImporter(let r, _),
             .updateDistributor(let r, _, _, _), .removeDistributor(let r, _), .sync(let r, _), .publish(let r, _, _),
             .download(let r, _), .associate(let r, _, _, _), .unassociate(let r, _), .importUpload(let r, _, _, _, _, _):
            return PulpTags.repository(r)
        case .deleteOrphans:
            return PulpTags.orphans
        case .consumerContent(let c, _, _, _):
            return PulpTags.consumer(c)
        }
    }

    /// Pulp's tags (§1f): the repository first, then the plugin, then the action.
    public var tags: [String] {
        switch self {
        case .deleteRepository(let r):
            return [PulpTags.repository(r), PulpTags.action("delete")]
        case .setImporter(let r, _, _):
            return [PulpTags.repository(r), PulpTags.action("add_importer")]
        case .updateImporter(let r, let t, _):
            return [PulpTags.repository(r), PulpTags.importer(t), PulpTags.action("update_importer")]
        case .removeImporter(let r, let t):
            return [PulpTags.repository(r), PulpTags.importer(t), PulpTags.action("delete_importer")]
        case .updateDistributor(let r, let d, _, _):
            return [PulpTags.repository(r), PulpTags.distributor(d), PulpTags.action("update_distributor")]
        case .removeDistributor(let r, let d):
            return [PulpTags.repository(r), PulpTags.distributor(d), PulpTags.action("remove_distributor")]
        case .sync(let r, _):
            return [PulpTags.repository(r), PulpTags.action("sync")]
        case .publish(let r, _, _):
            return [PulpTags.repository(r), PulpTags.action("publish")]
        case .download(let r, _):
            return [PulpTags.repository(r), PulpTags.action("download_repo")]
        case .consumerContent(let c, let action, _, _):
            return [PulpTags.consumer(c), PulpTags.action("unit_\(action.rawValue)")]
        case .associate(let r, let source, _, _):
            return [PulpTags.repository(r), PulpTags.repository(source), PulpTags.action("associate")]
        case .unassociate(let r, _):
            return [PulpTags.repository(r), PulpTags.action("unassociate")]
        case .importUpload(let r, _, _, _, _, _):
            return [PulpTags.repository(r), PulpTags.action("import_upload")]
        case .deleteOrphans:
            return [PulpTags.orphans]
        }
    }

    public var json: JSONValue {
        switch self {
        case .deleteRepository(let r):
            return ["op": "delete_repository", "repo_id": .string(r)]
        case .setImporter(let r, let t, let c):
            return ["op": "set_importer", "repo_id": .string(r), "type_id": .string(t), "config": .object(c)]
        case .updateImporter(let r, let t, let c):
            return ["op": "update_importer", "repo_id": .string(r), "type_id": .string(t), "config": .object(c)]
        case .removeImporter(let r, let t):
            return ["op": "remove_importer", "repo_id": .string(r), "type_id": .string(t)]
        case .updateDistributor(let r, let d, let c, let delta):
            return ["op": "update_distributor", "repo_id": .string(r), "distributor_id": .string(d),
                    "config": c.map(JSONValue.object) ?? .null, "delta": delta.map(JSONValue.object) ?? .null]
        case .removeDistributor(let r, let d):
            return ["op": "remove_distributor", "repo_id": .string(r), "distributor_id": .string(d)]
        case .sync(let r, let o):
            return ["op": "sync", "repo_id": .string(r), "overrides": .object(o)]
        case .publish(let r, let d, let o):
            return ["op": "publish", "repo_id": .string(r), "distributor_id": .string(d), "overrides": .object(o)]
        case .download(let r, let v):
            return ["op": "download", "repo_id": .string(r), "verify_all_units": .bool(v)]
        case .consumerContent(let c, let a, let u, let o):
            return ["op": "consumer_content", "consumer_id": .string(c), "action": .string(a.rawValue),
                    "units": .array(u), "options": .object(o)]
        case .associate(let r, let source, let c, let o):
            return ["op": "associate", "repo_id": .string(r), "source_repo_id": .string(source), "criteria": c, "overrides": .object(o)]
        case .unassociate(let r, let c):
            return ["op": "unassociate", "repo_id": .string(r), "criteria": c]
        case .importUpload(let r, let u, let t, let k, let m, let o):
            return ["op": "import_upload", "repo_id": .string(r), "upload_id": .string(u), "unit_type_id": .string(t),
                    "unit_key": .object(k), "unit_metadata": .object(m), "overrides": .object(o)]
        case .deleteOrphans(let t, let u):
            return ["op": "delete_orphans", "type_id": t.map(JSONValue.string) ?? .null, "unit_id": u.map(JSONValue.string) ?? .null]
        }
    }

    public init?(json: JSONValue) {
        guard let op = json["op"]?.stringValue else { return nil }
        let r = json["repo_id"]?.stringValue ?? ""
        let obj = { (k: String) -> JSONObject in json[k]?.objectValue ?? [:] }
        switch op {
        case "delete_repository": self = .deleteRepository(repoId: r)
        case "set_importer": self = .setImporter(repoId: r, typeId: json["type_id"]?.stringValue ?? "", config: obj("config"))
        case "update_importer": self = .updateImporter(repoId: r, typeId: json["type_id"]?.stringValue ?? "", config: obj("config"))
        case "remove_importer": self = .removeImporter(repoId: r, typeId: json["type_id"]?.stringValue ?? "")
        case "update_distributor":
            self = .updateDistributor(repoId: r, distributorId: json["distributor_id"]?.stringValue ?? "",
                                      config: json["config"]?.objectValue, delta: json["delta"]?.objectValue)
        case "remove_distributor": self = .removeDistributor(repoId: r, distributorId: json["distributor_id"]?.stringValue ?? "")
        case "sync": self = .sync(repoId: r, overrides: obj("overrides"))
        case "publish": self = .publish(repoId: r, distributorId: json["distributor_id"]?.stringValue ?? "", overrides: obj("overrides"))
        case "download": self = .download(repoId: r, verifyAllUnits: json["verify_all_units"]?.boolValue ?? false)
        case "consumer_content":
            guard let a = json["action"]?.stringValue.flatMap(ScheduleKind.init(rawValue:)) else { return nil }
            self = .consumerContent(consumerId: json["consumer_id"]?.stringValue ?? "", action: a,
                                    units: json["units"]?.arrayValue ?? [], options: obj("options"))
        case "associate":
            self = .associate(repoId: r, sourceRepoId: json["source_repo_id"]?.stringValue ?? "", criteria: json["criteria"] ?? .null,
                              overrides: obj("overrides"))
        case "unassociate": self = .unassociate(repoId: r, criteria: json["criteria"] ?? .null)
        case "import_upload":
            self = .importUpload(repoId: r, uploadId: json["upload_id"]?.stringValue ?? "", typeId: json["unit_type_id"]?.stringValue ?? "",
                                 unitKey: obj("unit_key"), metadata: obj("unit_metadata"), overrides: obj("overrides"))
        case "delete_orphans": self = .deleteOrphans(typeId: json["type_id"]?.stringValue, unitId: json["unit_id"]?.stringValue)
        default: return nil
        }
    }
}

/// The time source. Tests inject a manual clock; nothing sleeps to test schedule times.
public protocol PulpClock: Sendable {
    func now() -> PulpDateTime
}

public struct SystemClock: PulpClock {
    public init() {}
    public func now() -> PulpDateTime { PulpDateTime(epoch: Date().timeIntervalSince1970) }
}

/// A clock that only moves when told to.
public final class ManualClock: PulpClock {
    private let current: Mutex<PulpDateTime>

    public init(_ start: PulpDateTime) { current = Mutex(start) }

    public func now() -> PulpDateTime { current.withLock { $0 } }
    public func set(_ t: PulpDateTime) { current.withLock { $0 = t } }
    public func advance(by seconds: Double) { current.withLock { $0.epoch += seconds } }
}
