import Foundation
import PulpContract
public import PulpModel
import PulpStore

/// Sync, publish and consumer content schedules.
extension LocalPulp {
    /// 404s in Pulp's order: the repository, then the importer or distributor; or the consumer.
    func requireOwner(_ db: StoreDB, _ owner: ScheduleOwner, consumerKey: String = "consumer") throws {
        // Existence checks only: nothing is decoded.
        switch owner {
        case .importer(let r, let t):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            guard try db.importerType(repoId: r) == t else { throw PulpError.missingResource(["importer_id": t]) }
        case .distributor(let r, let d):
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            guard try db.distributorExists(repoId: r, id: d) else {
                throw PulpError.missingResource(["repo_id": r, "distributor_id": d])
            }
        case .consumer(let c, _):
            guard try db.consumer(c) != nil else { throw PulpError.missingResource([consumerKey: c]) }
        }
    }

    /// 404 unless the schedule's owner exists (`consumerKey` names a missing consumer in the error).
    public func checkScheduleOwner(_ owner: ScheduleOwner, consumerKey: String = "consumer") async throws {
        try await store.read { db in try requireOwner(db, owner, consumerKey: consumerKey) }
    }

    func requireSchedule(_ db: StoreDB, _ owner: ScheduleOwner, _ id: String) throws -> Schedule {
        try requireOwner(db, owner, consumerKey: "consumer_id")
        guard PulpIDs.isObjectId(id), let s = try db.schedule(id: id), s.owner == owner else {
            throw PulpError.missingResource(["schedule_id": id])
        }
        return s
    }

    public func createSchedule(_ owner: ScheduleOwner, _ request: ScheduleCreate) async throws -> Schedule {
        let now = clock.now()
        return try await store.write { db in try self.createSchedule(owner, request, in: db, now: now) }
    }

    func createSchedule(_ owner: ScheduleOwner, _ request: ScheduleCreate, in db: StoreDB, now: PulpDateTime) throws -> Schedule {
        // Requests built in code get the same checks as parsed bodies.
        var invalid: [String] = []
        let interval = try? ISOInterval.parse(request.schedule)
        if interval == nil { invalid.append("schedule") }
        if let t = request.failureThreshold, t <= 0 { invalid.append("failure_threshold") }
        let kwargs: JSONObject
        if owner.kind.isConsumerContent {
            guard let units = request.units else { throw PulpError.missingValue(["units"]) }
            kwargs = ["units": .array(units), "options": .object(request.options ?? [:])]
        } else {
            kwargs = ["overrides": .object(request.overrideConfig)]
        }
        try requireOwner(db, owner)
        guard invalid.isEmpty, let interval else { throw PulpError.invalidValue(invalid) }
        let s = Schedule.new(id: PulpIDs.objectId(now: now.epoch), owner: owner, interval: interval, kwargs: kwargs,
                             enabled: request.enabled, failureThreshold: request.failureThreshold, now: now)
        try db.saveSchedule(s)
        return s
    }

    public func updateSchedule(_ owner: ScheduleOwner, id: String, _ request: ScheduleUpdate) async throws -> Schedule {
        let now = clock.now()
        return try await store.write { db in try self.updateSchedule(owner, id: id, request, in: db, now: now) }
    }

    func updateSchedule(_ owner: ScheduleOwner, id: String, _ request: ScheduleUpdate, in db: StoreDB, now: PulpDateTime) throws
        -> Schedule
    {
        var s = try requireSchedule(db, owner, id)
        var invalid: [String] = []
        if let text = request.schedule, (try? ISOInterval.parse(text)) == nil { invalid.append("schedule") }
        if let t = request.failureThreshold, !(t.isNull || (t.intValue ?? 0) > 0) { invalid.append("failure_threshold") }
        if let r = request.remainingRuns, r < 0 { invalid.append("remaining_runs") }
        if !invalid.isEmpty { throw PulpError.invalidValue(invalid) }
        s.apply(request, now: now)
        try db.saveSchedule(s)
        return s
    }

    public func deleteSchedule(_ owner: ScheduleOwner, id: String) async throws {
        try await store.write { db in try self.deleteSchedule(owner, id: id, in: db) }
    }

    func deleteSchedule(_ owner: ScheduleOwner, id: String, in db: StoreDB) throws {
        let s = try requireSchedule(db, owner, id)
        try db.deleteSchedule(id: s.id)
    }

    public func schedules(_ owner: ScheduleOwner) async throws -> [Schedule] {
        try await store.read { db in
            try requireOwner(db, owner, consumerKey: "consumer_id")
            return try db.schedules(owner: owner)
        }
    }

    public func schedule(_ owner: ScheduleOwner, id: String) async throws -> Schedule {
        try await store.read { db in try requireSchedule(db, owner, id) }
    }

    public func allSchedules(kinds: Set<ScheduleKind>) async throws -> [Schedule] {
        try await store.read { db in try db.schedules(kinds: kinds) }
    }
}
