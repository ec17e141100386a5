import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Consumers and their content actions.
extension LocalPulp {
    public func registerConsumer(_ request: ConsumerRegister) async throws -> Consumer {
        let now = clock.now()
        return try await store.write { db in try self.registerConsumer(request, in: db, now: now) }
    }

    func registerConsumer(_ request: ConsumerRegister, in db: StoreDB, now: PulpDateTime) throws -> Consumer {
        guard IDRules.isValidConsumerId(request.id) else { throw PulpError.invalidValue(["id"]) }
        guard try db.consumer(request.id) == nil else { throw PulpError.duplicateResource(request.id) }
        let c = Consumer(id: request.id, oid: PulpIDs.objectId(now: now.epoch), displayName: request.displayName,
                         description: request.description, notes: request.notes)
        try db.saveConsumer(c)
        return c
    }

    public func updateConsumer(_ id: String, delta: JSONObject) async throws -> Consumer {
        try await store.write { db in try self.updateConsumer(id, delta: delta, in: db) }
    }

    func updateConsumer(_ id: String, delta: JSONObject, in db: StoreDB) throws -> Consumer {
        guard var c = try db.consumer(id) else { throw PulpError.missingResource(["consumer": id]) }
        var invalid: [String] = []
        for (key, value) in delta {
            switch (key, value) {
            case ("display_name", .string(let s)): c.displayName = s
            case ("description", .string(let s)): c.description = s
            case ("description", .null): c.description = nil
            case ("notes", .object(let notes)):
                for (k, v) in notes {
                    if v.isNull { c.notes.removeValue(forKey: k) } else { c.notes[k] = v }
                }
            case ("rsa_pub", .string(let s)): c.rsaPub = s
            case ("rsa_pub", .null): c.rsaPub = nil
            default: invalid.append(key)
            }
        }
        if !invalid.isEmpty { throw PulpError.invalidValue(invalid.sorted()) }
        try db.saveConsumer(c)
        return c
    }

    /// Unregistering removes the consumer's content schedules too.
    public func unregisterConsumer(_ id: String) async throws {
        try await store.write { db in try self.unregisterConsumer(id, in: db) }
    }

    func unregisterConsumer(_ id: String, in db: StoreDB) throws {
        guard try db.consumer(id) != nil else { throw PulpError.missingResource(["consumer": id]) }
        try db.deleteConsumer(id)
    }

    public func consumer(_ id: String) async throws -> Consumer {
        try await store.read { db in
            guard let c = try db.consumer(id) else { throw PulpError.missingResource(["consumer": id]) }
            return c
        }
    }

    public func consumers() async throws -> [Consumer] {
        try await store.read { db in try db.consumers() }
    }

    /// Fires a consumer content schedule's task. With no consumer agent it ends `skipped`.
    public func dispatchConsumerContent(consumerId: String, action: ScheduleKind, units: [JSONValue], options: JSONObject,
                                        scheduledCallId: String? = nil) async throws -> CallReport
    {
        guard action.isConsumerContent else { throw PulpError.invalidValue(["action"]) }
        let now = clock.now()
        let group = groupId
        let task = TaskEngine.newTask(.consumerContent(consumerId: consumerId, action: action, units: units, options: options),
                                      groupId: group, now: now, scheduledCallId: scheduledCallId)
        try await store.write { db in
            guard try db.consumer(consumerId) != nil else { throw PulpError.missingResource(["consumer": consumerId]) }
            try db.insertTask(task)
        }
        await engine.enqueue([task])
        return CallReport(spawnedTasks: [task.report.taskId])
    }
}
