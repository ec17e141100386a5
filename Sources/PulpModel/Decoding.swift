/// Reading Pulp's JSON representations back into resources (for the HTTP client).
public struct DecodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JSONValue {
    func required(_ key: String, in what: String) throws(DecodeError) -> String {
        guard let s = self[key]?.stringValue else { throw DecodeError("\(what) without a string \(key)") }
        return s
    }

    /// `{"$oid": x}` or a plain string.
    var oid: String { self["_id"]?["$oid"]?.stringValue ?? self["_id"]?.stringValue ?? "" }

    func date(_ key: String) -> PulpDateTime? { self[key]?.stringValue.flatMap(PulpDateTime.parse) }
}

extension Repository {
    public init(json v: JSONValue) throws(DecodeError) {
        self.init(id: try v.required("id", in: "a repository"), oid: v.oid, displayName: v["display_name"]?.stringValue,
                  description: v["description"]?.stringValue, notes: v["notes"]?.objectValue ?? [:],
                  scratchpad: v["scratchpad"]?.objectValue ?? [:], contentUnitCounts: v["content_unit_counts"]?.objectValue ?? [:],
                  lastUnitAdded: v.date("last_unit_added"), lastUnitRemoved: v.date("last_unit_removed"))
    }
}

extension Importer {
    /// Secrets arrive as `*****`; they stay so.
    public init(json v: JSONValue) throws(DecodeError) {
        self.init(repoId: try v.required("repo_id", in: "an importer"), typeId: try v.required("importer_type_id", in: "an importer"),
                  oid: v.oid, config: v["config"]?.objectValue ?? [:], lastSync: v.date("last_sync"),
                  scratchpad: v["scratchpad"] ?? .null)
    }
}

extension Distributor {
    public init(json v: JSONValue) throws(DecodeError) {
        self.init(repoId: try v.required("repo_id", in: "a distributor"), id: try v.required("id", in: "a distributor"),
                  typeId: try v.required("distributor_type_id", in: "a distributor"), oid: v.oid,
                  config: v["config"]?.objectValue ?? [:], autoPublish: v["auto_publish"]?.boolValue ?? false,
                  lastPublish: v.date("last_publish"), scratchpad: v["scratchpad"] ?? .null)
    }
}

extension Consumer {
    public init(json v: JSONValue) throws(DecodeError) {
        self.init(id: try v.required("id", in: "a consumer"), oid: v.oid, displayName: v["display_name"]?.stringValue,
                  description: v["description"]?.stringValue, notes: v["notes"]?.objectValue ?? [:],
                  capabilities: v["capabilities"]?.objectValue ?? [:], rsaPub: v["rsa_pub"]?.stringValue)
    }
}

extension Schedule {
    /// The owner is known from the path the schedule was read under.
    public init(json v: JSONValue, owner: ScheduleOwner) throws(DecodeError) {
        guard let first = v.date("first_run") else { throw DecodeError("a schedule without first_run") }
        var kwargs = v["kwargs"]?.objectValue ?? [:]
        kwargs.removeValue(forKey: "scheduled_call_id")
        self.init(id: try v.required("_id", in: "a schedule"), owner: owner, schedule: try v.required("schedule", in: "a schedule"),
                  kwargs: kwargs, enabled: v["enabled"]?.boolValue ?? true, failureThreshold: v["failure_threshold"]?.intValue,
                  consecutiveFailures: v["consecutive_failures"]?.intValue ?? 0, remainingRuns: v["remaining_runs"]?.intValue,
                  totalRunCount: v["total_run_count"]?.intValue ?? 0, firstRun: first, lastRunAt: v.date("last_run_at"),
                  lastUpdated: v["last_updated"]?.numberValue ?? 0)
    }
}

extension TaskReport {
    public init(json v: JSONValue) throws(DecodeError) {
        let id = try v.required("task_id", in: "a task report")
        guard let state = v["state"]?.stringValue.flatMap(TaskState.init(rawValue:)) else {
            throw DecodeError("task \(id) has an unknown state \(v["state"]?.serialized() ?? "null")")
        }
        self.init(taskId: id, oid: v["id"]?.stringValue ?? v.oid, state: state, taskType: v["task_type"]?.stringValue ?? "",
                  tags: v["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [], workerName: v["worker_name"]?.stringValue,
                  groupId: v["group_id"]?.stringValue, startTime: v.date("start_time"), finishTime: v.date("finish_time"),
                  progressReport: v["progress_report"]?.objectValue ?? [:], result: v["result"] ?? .null, error: v["error"] ?? .null,
                  traceback: v["traceback"]?.stringValue,
                  spawnedTasks: v["spawned_tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? [])
    }
}

extension CallReport {
    public init(json v: JSONValue) {
        self.init(result: v["result"] ?? .null, error: v["error"] ?? .null,
                  spawnedTasks: v["spawned_tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } ?? [])
    }
}

extension TaskGroupSummary {
    public init(json v: JSONValue) {
        var states: [TaskState] = []
        for s in TaskState.allCases { states += Array(repeating: s, count: max(0, v[s.rawValue]?.intValue ?? 0)) }
        self.init(states: states)
    }
}

extension SyncHistoryEntry {
    public init(json v: JSONValue) throws(DecodeError) {
        self.init(oid: v["id"]?.stringValue ?? v.oid, repoId: try v.required("repo_id", in: "a sync history entry"),
                  importerTypeId: v["importer_type_id"]?.stringValue ?? "", started: v.date("started") ?? PulpDateTime(epoch: 0),
                  completed: v.date("completed") ?? PulpDateTime(epoch: 0),
                  result: v["result"]?.stringValue.flatMap(Result.init(rawValue:)) ?? .error,
                  addedCount: v["added_count"]?.intValue ?? 0, updatedCount: v["updated_count"]?.intValue ?? 0,
                  removedCount: v["removed_count"]?.intValue ?? 0, summary: v["summary"] ?? .null, details: v["details"] ?? .null,
                  errorMessage: v["error_message"]?.stringValue)
    }
}

extension PublishHistoryEntry {
    public init(json v: JSONValue) throws(DecodeError) {
        self.init(oid: v["id"]?.stringValue ?? v.oid, repoId: try v.required("repo_id", in: "a publish history entry"),
                  distributorId: v["distributor_id"]?.stringValue ?? "", distributorTypeId: v["distributor_type_id"]?.stringValue ?? "",
                  started: v.date("started") ?? PulpDateTime(epoch: 0), completed: v.date("completed") ?? PulpDateTime(epoch: 0),
                  result: v["result"]?.stringValue.flatMap(Result.init(rawValue:)) ?? .error, summary: v["summary"] ?? .null,
                  details: v["details"] ?? .null, errorMessage: v["error_message"]?.stringValue)
    }
}

extension PulpError {
    /// A Pulp error body read back: its code, status, message, data and class-specific keys.
    public init?(body v: JSONValue, status: Int) {
        guard let error = v["error"], let code = error["code"]?.stringValue else { return nil }
        var extra = v.objectValue ?? [:]
        for k in ["_href", "http_status", "http_request_method", "error_message", "exception", "traceback", "error"] {
            extra.removeValue(forKey: k)
        }
        self.init(code: code, httpStatus: status,
                  message: v["error_message"]?.stringValue ?? error["description"]?.stringValue ?? code,
                  data: error["data"]?.objectValue ?? [:], extra: extra)
    }
}
