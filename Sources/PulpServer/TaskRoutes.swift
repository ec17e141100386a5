import Hummingbird
import PulpContract
import PulpCore
import PulpAuth
import PulpModel

extension PulpAPI {
    static let taskFields: Set<String> = ["_href", "task_id", "id", "_id", "_ns", "state", "task_type", "worker_name", "tags",
                                          "start_time", "finish_time", "progress_report", "result", "error", "exception",
                                          "traceback", "spawned_tasks", "group_id", "queue"]

    func addTaskRoutes(_ r: RouteTable) {
        r.on(.get, "/tasks/", .read) { request, _ in
            let tasks = try await pulp.tasks(tags: request.queryAll("tag"))
            return json(.array(tasks.map { .object($0.json()) }))
        }
        r.on(.delete, "/tasks/", .delete) { request, _ in
            try await pulp.purgeTasks(states: request.queryAll("state"))
            return Response(status: .noContent, headers: [.contentType: "application/json; charset=utf-8"])
        }
        r.on(.post, "/tasks/search/", .read) { request, _ in
            let body = try await request.objectBody()
            guard let criteria = body["criteria"] else { throw PulpError.missingValue(["criteria"]) }
            return try await searchTasks(try SearchCriteria.parse(criteria))
        }
        r.on(.get, "/tasks/search/", .read) { request, _ in
            try await searchTasks(try SearchCriteria.parse(query: request.queryPairs))
        }
        r.on(.get, "/tasks/:task_id/", .read) { _, context in
            json(try await pulp.task(try context.parameters.id("task_id")).json(includeQueue: true))
        }
        r.on(.delete, "/tasks/:task_id/", .delete) { _, context in
            try await pulp.cancelTask(try context.parameters.id("task_id"))
            return json(PulpAPI.nullBody)
        }
        r.on(.get, "/task_groups/:group_id/", .read) { _, context in
            throw PulpError.missingResource(["group_id": try context.parameters.id("group_id")])
        }
        r.on(.delete, "/task_groups/:group_id/", .delete) { _, context in
            try await pulp.cancelTaskGroup(try context.parameters.id("group_id"))
            return json(PulpAPI.nullBody)
        }
        r.on(.get, "/task_groups/:group_id/state_summary/", .read) { _, context in
            json(try await pulp.taskGroupSummary(try context.parameters.id("group_id")).json())
        }
    }

    func searchTasks(_ criteria: SearchCriteria) async throws -> Response {
        // `{"task_id": {"$in": [...]}}` (how clients wait for tasks) reads those tasks only.
        let docs: [JSONObject]
        if criteria.filters.count == 1, case .object(let condition)? = criteria.filters["task_id"], condition.count == 1,
           case .array(let list)? = condition["$in"], list.count <= 500, case let ids = list.compactMap(\.stringValue),
           ids.count == list.count
        {
            docs = try await pulp.tasksInDispatchOrder(ids: ids).map { $0.json() }
        } else {
            docs = try await pulp.allTasks().map { $0.json() }
        }
        let found = try criteria.apply(to: docs, aliases: [:], knownFields: Self.taskFields, alwaysKept: ["task_id", "_id", "_href"])
        return json(.array(found.map(JSONValue.object)))
    }

    func addConsumerRoutes(_ r: RouteTable) {
        r.on(.post, "/consumers/", .create) { request, _ in
            let consumer = try await pulp.registerConsumer(try ConsumerRegister.parse(try await request.objectBody()))
            return json(["consumer": .object(consumer.json()), "certificate": .null], status: .created, location: consumer.href)
        }
        r.on(.get, "/consumers/", .read) { _, _ in
            json(.array(try await pulp.consumers().map { .object($0.json()) }))
        }
        r.on(.get, "/consumers/:consumer_id/", .read) { _, context in
            json(try await pulp.consumer(try context.parameters.id("consumer_id")).json())
        }
        r.on(.put, "/consumers/:consumer_id/", .update) { request, context in
            let id = try context.parameters.id("consumer_id")
            _ = try await pulp.consumer(id)
            let body = try await request.objectBody()
            let delta: JSONObject
            switch body["delta"] {
            case nil, .null?: delta = [:]
            case .object(let o)?: delta = o
            case let v?: throw PulpError.invalidType(field: "delta", value: v, fieldType: "dict")
            }
            return json(try await pulp.updateConsumer(id, delta: delta).json())
        }
        r.on(.delete, "/consumers/:consumer_id/", .delete) { _, context in
            try await pulp.unregisterConsumer(try context.parameters.id("consumer_id"))
            return json(PulpAPI.nullBody)
        }
    }
}
