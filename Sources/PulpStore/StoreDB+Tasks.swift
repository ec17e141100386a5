import Foundation
import GRDB
public import PulpModel

/// A task as stored: its report, the reservation it needs, and the operation to run.
public struct StoredTask: Sendable, Hashable {
    public var report: TaskReport
    /// The reserved resource (`pulp:repository:<id>`, ...): tasks with the same one run one at a time.
    public var resource: String?
    /// The operation, as JSON, so that a restarted worker can run a waiting task.
    public var operation: JSONValue
    /// Set on tasks fired by a schedule.
    public var scheduledCallId: String?

    public init(report: TaskReport, resource: String?, operation: JSONValue, scheduledCallId: String? = nil) {
        self.report = report
        self.resource = resource
        self.operation = operation
        self.scheduledCallId = scheduledCallId
    }
}

extension StoreDB {
    static func task(_ row: Row) throws -> StoredTask {
        let id = try string(row, "task_id")
        guard let state = TaskState(rawValue: try string(row, "state")) else { throw StoreError.corrupt("state of task \(id)") }
        let tags = try decode(row["tags"], "tags of task \(id)").arrayValue?.compactMap(\.stringValue) ?? []
        let spawned = try decode(row["spawned_tasks"], "spawned tasks of \(id)").arrayValue?.compactMap(\.stringValue) ?? []
        let report = TaskReport(
            taskId: id, oid: try string(row, "oid"), state: state, taskType: try string(row, "task_type"), tags: tags,
            workerName: row["worker_name"], groupId: row["group_id"], startTime: date(row, "start_time"),
            finishTime: date(row, "finish_time"),
            progressReport: try decodeObject(row["progress_report"], "progress report of \(id)"),
            result: try decode(row["result"], "result of \(id)"), error: try decode(row["error"], "error of \(id)"),
            traceback: row["traceback"], spawnedTasks: spawned)
        return StoredTask(report: report, resource: row["resource"],
                          operation: try decode(row["operation"], "operation of \(id)"),
                          scheduledCallId: row["scheduled_call_id"])
    }

    public func insertTask(_ t: StoredTask) throws {
        let r = t.report
        try db.execute(cached: """
            INSERT INTO tasks (task_id, oid, state, task_type, tags, resource, group_id, worker_name, start_time, finish_time,
                               progress_report, result, error, traceback, spawned_tasks, operation, scheduled_call_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [r.taskId, r.oid, r.state.rawValue, r.taskType, StoreDB.json(.array(r.tags.map(JSONValue.string))),
                             t.resource, r.groupId, r.workerName, r.startTime?.epoch, r.finishTime?.epoch,
                             StoreDB.json(r.progressReport), StoreDB.json(r.result), StoreDB.json(r.error), r.traceback,
                             StoreDB.json(.array(r.spawnedTasks.map(JSONValue.string))), StoreDB.json(t.operation),
                             t.scheduledCallId])
    }

    /// Writes a task's changing fields.
    public func updateTask(_ r: TaskReport) throws {
        try db.execute(cached: """
            UPDATE tasks SET state = ?, worker_name = ?, start_time = ?, finish_time = ?, progress_report = ?, result = ?,
                   error = ?, traceback = ?, spawned_tasks = ?
            WHERE task_id = ?
            """, arguments: [r.state.rawValue, r.workerName, r.startTime?.epoch, r.finishTime?.epoch,
                             StoreDB.json(r.progressReport), StoreDB.json(r.result), StoreDB.json(r.error), r.traceback,
                             StoreDB.json(.array(r.spawnedTasks.map(JSONValue.string))), r.taskId])
    }

    public func task(_ id: String) throws -> StoredTask? {
        try Row.fetchOne(db, cached: "SELECT * FROM tasks WHERE task_id = ?", arguments: [id]).map(StoreDB.task)
    }

    /// Tasks by id, in the order asked; unknown ids are skipped.
    public func tasks(ids: [String]) throws -> [StoredTask] {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let found = try Row.fetchAll(db, sql: "SELECT * FROM tasks WHERE task_id IN (\(placeholders))",
                                     arguments: StatementArguments(ids)).map(StoreDB.task)
        let byId = Dictionary(found.map { ($0.report.taskId, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byId[$0] }
    }

    /// Tasks by id, in dispatch order; unknown ids are skipped.
    public func tasksInDispatchOrder(ids: [String]) throws -> [StoredTask] {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        return try Row.fetchAll(db, sql: "SELECT * FROM tasks WHERE task_id IN (\(placeholders)) ORDER BY seq",
                                arguments: StatementArguments(ids)).map(StoreDB.task)
    }

    /// Every task, in dispatch order.
    public func allTasks() throws -> [StoredTask] {
        try Row.fetchAll(db, cached: "SELECT * FROM tasks ORDER BY seq").map(StoreDB.task)
    }

    /// Tasks outside any group that carry every one of `tags` (`GET /tasks/?tag=a&tag=b`).
    public func tasks(withAllTags tags: [String]) throws -> [StoredTask] {
        var sql = "SELECT * FROM tasks WHERE group_id IS NULL"
        for _ in tags { sql += " AND EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE json_each.value = ?)" }
        sql += " ORDER BY seq"
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(tags)).map(StoreDB.task)
    }

    /// Tasks in the given states, in dispatch order.
    public func tasks(inStates states: [TaskState]) throws -> [StoredTask] {
        guard !states.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: states.count).joined(separator: ",")
        return try Row.fetchAll(db, sql: "SELECT * FROM tasks WHERE state IN (\(placeholders)) ORDER BY seq",
                                arguments: StatementArguments(states.map(\.rawValue))).map(StoreDB.task)
    }

    public func tasks(groupId: String) throws -> [StoredTask] {
        try Row.fetchAll(db, cached: "SELECT * FROM tasks WHERE group_id = ? ORDER BY seq", arguments: [groupId]).map(StoreDB.task)
    }

    /// The states of a group's tasks.
    public func taskStates(groupId: String) throws -> [TaskState] {
        try String.fetchAll(db, cached: "SELECT state FROM tasks WHERE group_id = ?", arguments: [groupId])
            .compactMap(TaskState.init(rawValue:))
    }

    /// Deletes the tasks in the given states; returns how many went.
    @discardableResult
    public func purgeTasks(states: [TaskState]) throws -> Int {
        guard !states.isEmpty else { return 0 }
        let placeholders = Array(repeating: "?", count: states.count).joined(separator: ",")
        try db.execute(sql: "DELETE FROM tasks WHERE state IN (\(placeholders))",
                       arguments: StatementArguments(states.map(\.rawValue)))
        return db.changesCount
    }
}
