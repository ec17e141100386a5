import Hummingbird
import PulpContract
import PulpCore
import PulpAuth
import PulpModel

extension PulpAPI {
    /// The three kinds of schedule collections, each under its owner's path.
    func addScheduleRoutes(_ r: RouteTable) {
        let collections: [(String, @Sendable (Parameters) throws -> ScheduleOwner)] = [
            ("/repositories/:repo_id/importers/:importer_id/schedules/sync/", { p in
                .importer(repoId: try p.id("repo_id"), importerId: try p.id("importer_id"))
            }),
            ("/repositories/:repo_id/distributors/:distributor_id/schedules/publish/", { p in
                .distributor(repoId: try p.id("repo_id"), distributorId: try p.id("distributor_id"))
            }),
            ("/consumers/:consumer_id/schedules/content/:action/", { p in
                let consumer = try p.id("consumer_id")
                guard let action = ScheduleKind(rawValue: try p.id("action")), action.isConsumerContent else {
                    throw PulpError.missingResource(["action": try p.id("action")])
                }
                return .consumer(consumerId: consumer, action: action)
            }),
        ]
        for (path, owner) in collections {
            r.on(.get, path, .read) { _, context in
                let schedules = try await pulp.schedules(try owner(context.parameters))
                let now = now()
                return json(.array(schedules.map { .object($0.json(now: now)) }))
            }
            r.on(.post, path, .create) { request, context in
                let o = try owner(context.parameters)
                try await pulp.checkScheduleOwner(o)
                let create = try ScheduleCreate.parse(try await request.objectBody(), kind: o.kind)
                let schedule = try await pulp.createSchedule(o, create)
                return json(schedule.json(now: now()), status: .created, location: schedule.href)
            }
            r.on(.get, path + ":schedule_id/", .read) { _, context in
                let s = try await pulp.schedule(try owner(context.parameters), id: try context.parameters.id("schedule_id"))
                return json(s.json(now: now()))
            }
            r.on(.put, path + ":schedule_id/", .update) { request, context in
                let o = try owner(context.parameters)
                let id = try context.parameters.id("schedule_id")
                _ = try await pulp.schedule(o, id: id)
                let update = try ScheduleUpdate.parse(try await request.objectBody(), kind: o.kind)
                return json(try await pulp.updateSchedule(o, id: id, update).json(now: now()))
            }
            r.on(.delete, path + ":schedule_id/", .delete) { _, context in
                try await pulp.deleteSchedule(try owner(context.parameters), id: try context.parameters.id("schedule_id"))
                return json(PulpAPI.nullBody)
            }
        }
    }
}
