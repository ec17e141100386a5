public import PulpModel
public import Testing

/// The keys of the seeds' sample response bodies: what every reply of that kind must carry.
public enum SeedKeys {
    public static let repository = ["scratchpad", "display_name", "description", "_ns", "notes", "content_unit_counts", "_id", "id", "_href"]
    public static let distributor = ["scratchpad", "_ns", "last_publish", "auto_publish", "distributor_type_id", "repo_id",
                                     "publish_in_progress", "_id", "config", "id"]
    /// An importer as a task's result (association and update).
    public static let importer = ["scratchpad", "_ns", "importer_type_id", "last_sync", "repo_id", "_id", "config", "id"]
    /// An importer inside a repository's details.
    public static let importerDetails = importer + ["sync_in_progress"]
    /// An importer after an update that touched its schedules.
    public static let importerUpdated = importer + ["scheduled_syncs"]
    /// `GET /repositories/<id>/importers/<id>/`.
    public static let importerGet = ["_href", "_id", "_ns", "config", "id", "importer_type_id", "last_sync", "repo_id", "scratchpad"]
    /// `GET /repositories/<id>/?details=true`.
    public static let details = ["display_name", "description", "distributors", "notes", "scratchpad", "content_unit_counts",
                                 "last_unit_added", "last_unit_removed", "importers", "id", "total_repository_units",
                                 "locally_stored_units"]
    /// A repository in `GET /repositories/?details=true`.
    public static let listed = details.filter { $0 != "total_repository_units" && $0 != "locally_stored_units" }
    public static let schedule = ["next_run", "task", "last_updated", "first_run", "schedule", "args", "enabled", "last_run_at",
                                  "_id", "total_run_count", "failure_threshold", "kwargs", "resource", "remaining_runs",
                                  "consecutive_failures", "_href"]
    public static let consumerSchedule = schedule + ["units", "options"]
    /// A task report as the core renders it.
    public static let taskReport = ["_href", "state", "worker_name", "task_id", "task_type", "progress_report", "result",
                                    "start_time", "finish_time", "exception", "traceback", "tags", "spawned_tasks", "error"]
    /// A task report as the API serves it.
    public static let task = taskReport + ["queue"]
    public static let callReport = ["result", "error", "spawned_tasks"]
    public static let syncHistory = ["result", "importer_id", "exception", "repo_id", "traceback", "started", "completed",
                                     "importer_type_id", "error_message"]
    public static let publishHistory = ["result", "distributor_id", "distributor_type_id", "exception", "repo_id", "traceback",
                                        "started", "completed", "error_message"]
    public static let summary = ["accepted", "finished", "running", "canceled", "waiting", "skipped", "suspended", "error", "total"]
}

/// Expects `keys` to be present in `object`.
public func expectKeys(_ keys: [String], in object: JSONObject?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let object else {
        Issue.record("\(what): no object", sourceLocation: sourceLocation)
        return
    }
    let missing = keys.filter { object[$0] == nil }
    #expect(missing.isEmpty, "\(what) lacks \(missing)", sourceLocation: sourceLocation)
}

/// Expects `keys` to be present in `value`, which must be an object.
public func expectKeys(_ keys: [String], in value: JSONValue?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    expectKeys(keys, in: value?.objectValue, what, sourceLocation: sourceLocation)
}
