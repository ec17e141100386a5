/// Task states (`common/constants.py`).
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case waiting, skipped, accepted, running, suspended, finished, error, canceled

    /// waiting, accepted, running, suspended.
    public var isComplete: Bool {
        switch self {
        case .skipped, .finished, .error, .canceled: return true
        case .waiting, .accepted, .running, .suspended: return false
        }
    }

    /// The states `DELETE /tasks/?state=` may purge.
    public static let purgeable: Set<TaskState> = [.finished, .error, .skipped]
}

/// Task types (celery names, §1b).
public enum TaskType {
    public static let sync = "pulp.server.managers.repo.sync.sync"
    public static let publish = "pulp.server.managers.repo.publish.publish"
    public static let deleteRepository = "pulp.server.tasks.repository.delete"
    public static let setImporter = "pulp.server.managers.repo.importer.set_importer"
    public static let removeImporter = "pulp.server.managers.repo.importer.remove_importer"
    public static let updateImporter = "pulp.server.managers.repo.importer.update_importer_config"
    public static let removeDistributor = "pulp.server.tasks.repository.distributor_delete"
    public static let updateDistributor = "pulp.server.tasks.repository.distributor_update"
    public static let download = "pulp.server.managers.repo.sync.download"
    public static let associate = "pulp.server.managers.repo.unit_association.associate_from_repo"
    public static let unassociate = "pulp.server.managers.repo.unit_association.unassociate_by_criteria"
    public static let importUpload = "pulp.server.managers.content.upload.import_uploaded_unit"
    public static let deleteOrphans = "pulp.server.managers.content.orphan.delete_all_orphans"
    public static let installContent = "pulp.server.tasks.consumer.install_content"
    public static let updateContent = "pulp.server.tasks.consumer.update_content"
    public static let uninstallContent = "pulp.server.tasks.consumer.uninstall_content"
}

/// Task tags (`common/tags.py`).
public enum PulpTags {
    public static func repository(_ id: String) -> String { "pulp:repository:\(id)" }
    public static func importer(_ type: String) -> String { "pulp:repository_importer:\(type)" }
    public static func distributor(_ id: String) -> String { "pulp:repository_distributor:\(id)" }
    public static func consumer(_ id: String) -> String { "pulp:consumer:\(id)" }
    public static func action(_ name: String) -> String { "pulp:action:\(name)" }
    /// The orphan deletions' tag and reservation.
    public static let orphans = "pulp:content_unit:orphans"
}

/// A task report (`task_serializer`).
public struct TaskReport: Sendable, Hashable {
    public var taskId: String
    public var oid: String
    public var state: TaskState
    public var taskType: String
    public var tags: [String]
    public var workerName: String?
    public var groupId: String?
    public var startTime: PulpDateTime?
    public var finishTime: PulpDateTime?
    public var progressReport: JSONObject
    public var result: JSONValue
    /// `exc.to_dict()` of a failure.
    public var error: JSONValue
    /// One string when the task failed.
    public var traceback: String?
    public var spawnedTasks: [String]

    public init(taskId: String, oid: String, state: TaskState, taskType: String, tags: [String], workerName: String? = nil,
                groupId: String? = nil, startTime: PulpDateTime? = nil, finishTime: PulpDateTime? = nil,
                progressReport: JSONObject = [:], result: JSONValue = .null, error: JSONValue = .null,
                traceback: String? = nil, spawnedTasks: [String] = [])
    {
        self.taskId = taskId
        self.oid = oid
        self.state = state
        self.taskType = taskType
        self.tags = tags
        self.workerName = workerName
        self.groupId = groupId
        self.startTime = startTime
        self.finishTime = finishTime
        self.progressReport = progressReport
        self.result = result
        self.error = error
        self.traceback = traceback
        self.spawnedTasks = spawnedTasks
    }

    public var href: String { PulpPaths.task(taskId) }

    /// The report. A single-task GET also has `queue` (`<worker_name>.dq`).
    public func json(includeQueue: Bool = false) -> JSONObject {
        var o: JSONObject = [
            "_href": .string(href),
            "task_id": .string(taskId),
            "id": .string(oid),
            "_id": ["$oid": .string(oid)],
            "_ns": "task_status",
            "state": .string(state.rawValue),
            "task_type": .string(taskType),
            "worker_name": .from(workerName),
            "tags": .array(tags.map(JSONValue.string)),
            "start_time": .from(startTime),
            "finish_time": .from(finishTime),
            "progress_report": .object(progressReport),
            "result": result,
            "error": error,
            "exception": .null,
            "traceback": .from(traceback),
            "spawned_tasks": .array(spawnedTasks.map(CallReport.taskLink)),
            "group_id": .from(groupId),
        ]
        if includeQueue {
            o["queue"] = workerName.map { .string("\($0).dq") } ?? .null
        }
        return o
    }
}

/// A task group's state summary: counts for all 8 states plus `total`.
public struct TaskGroupSummary: Sendable, Hashable {
    public var counts: [TaskState: Int]

    public init(states: [TaskState] = []) {
        var c: [TaskState: Int] = [:]
        for s in TaskState.allCases { c[s] = 0 }
        for s in states { c[s, default: 0] += 1 }
        counts = c
    }

    public var total: Int { counts.values.reduce(0, +) }

    /// runcible's test: every task is finished, canceled, skipped, suspended or in error.
    public var isDone: Bool {
        let done = [TaskState.finished, .canceled, .skipped, .suspended, .error].reduce(0) { $0 + counts[$1, default: 0] }
        return done == total
    }

    public func json() -> JSONObject {
        var o = JSONObject()
        for s in TaskState.allCases { o[s.rawValue] = .int(counts[s, default: 0]) }
        o["total"] = .int(total)
        return o
    }
}
