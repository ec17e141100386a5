import Foundation
public import PulpContract
import PulpModel
import PulpStore

/// Batches of immediate calls, one transaction each.
extension LocalPulp {
    public var batchesImmediateCalls: Bool { true }

    /// One write transaction for the whole batch. It first runs without savepoints (each costs a copy of every
    /// page it touches); if any call fails, that attempt is rolled back and the batch runs again with each call
    /// in a savepoint of its own, so a failed call is undone alone and ends its sequence. If the transaction
    /// itself fails, nothing of the batch is stored.
    ///
    /// Before the store is asked, each call is made ready (`ready`): whatever needs no store is checked and its
    /// rows built, so the store's one writer only runs statements.
    public func perform(_ sequences: [[ImmediateCall]]) async -> [ImmediateOutcome] {
        struct SomeCallFailed: Error {}
        let now = clock.now()
        let sequences = sequences.map { ready($0, now: now) }
        do {
            // Alone: a batch sharing its transaction would put each of its calls in a savepoint.
            try await store.write(alone: true) { db in
                for calls in sequences {
                    for call in calls {
                        do { try self.perform(call, in: db, now: now) } catch { throw SomeCallFailed() }
                    }
                }
            }
            return sequences.map { ImmediateOutcome(completed: $0.count) }
        } catch is SomeCallFailed {
        } catch {
            return sequences.map { _ in ImmediateOutcome(completed: 0, failure: error) }
        }
        do {
            return try await store.write(alone: true) { db in
                sequences.map { calls in
                    for (i, call) in calls.enumerated() {
                        do {
                            try db.atomically { try self.perform(call, in: db, now: now) }
                        } catch {
                            return ImmediateOutcome(completed: i, failure: error)
                        }
                    }
                    return ImmediateOutcome(completed: calls.count)
                }
            }
        } catch {
            return sequences.map { _ in ImmediateOutcome(completed: 0, failure: error) }
        }
    }

    /// A call made ready for the writer: the checks that need no store passed, and its rows built.
    enum ReadyCall: Sendable {
        case createRepository(id: String, StoreDB.RepositoryRows)
        /// `ownerKnown`: the owner was created earlier in the sequence, so it exists when this runs.
        case createSchedule(ScheduleOwner, StoreDB.ScheduleRow, ownerKnown: Bool)
        /// Notes that record `pulpform_applied` on a repository whose notes are known (created earlier in the
        /// sequence): the new notes, and the content hash they set.
        case recordApplied(id: String, StoreDB.NotesRow, hash: String)
        /// Anything else, or a call whose checks fail: the writer makes it as it comes, and so throws Pulp's
        /// error in Pulp's order.
        case call(ImmediateCall)
    }

    /// A sequence's calls made ready. Running them gives what running the calls themselves gives.
    func ready(_ calls: [ImmediateCall], now: PulpDateTime) -> [ReadyCall] {
        // What the sequence has created so far: a later call runs only if the ones before it succeeded.
        var notes: [String: JSONObject] = [:]
        var owners: Set<ScheduleOwner> = []
        return calls.map { call in
            switch call {
            case .createRepository(let request):
                guard let id = request.id, IDRules.isValidRepositoryId(id),
                      let new = try? newRepository(request, id: id, now: now)
                else { return .call(call) }
                notes[id] = new.repository.notes
                if let type = request.importerTypeId { owners.insert(.importer(repoId: id, importerId: type)) }
                for d in request.distributors {
                    if let d = d.distributorId { owners.insert(.distributor(repoId: id, distributorId: d)) }
                }
                return .createRepository(id: id, new.rows)
            case .createSchedule(let owner, let request):
                guard let interval = try? ISOInterval.parse(request.schedule), (request.failureThreshold ?? 1) > 0,
                      !owner.kind.isConsumerContent
                else { return .call(call) }
                let s = Schedule.new(id: PulpIDs.objectId(now: now.epoch), owner: owner, interval: interval,
                                     kwargs: ["overrides": .object(request.overrideConfig)], enabled: request.enabled,
                                     failureThreshold: request.failureThreshold, now: now)
                return .createSchedule(owner, StoreDB.ScheduleRow(s), ownerKnown: owners.contains(owner))
            case .updateRepository(let id, let delta):
                // Only the reconciler's record of what it applied, on notes this sequence wrote.
                guard let known = notes[id], delta.count == 1, case .object(let change)? = delta["notes"],
                      let applied = contentHashNotes?.recordedFingerprint(change)
                else {
                    notes[id] = nil
                    return .call(call)
                }
                // A delta of notes alone leaves the importer and distributors as they are.
                let merged = LocalPulp.merge(notes: change, into: known)
                notes[id] = merged
                return .recordApplied(id: id, StoreDB.NotesRow(merged), hash: applied)
            default:
                // Other calls may change what is known by other paths.
                notes.removeAll()
                owners.removeAll()
                return .call(call)
            }
        }
    }

    func perform(_ ready: ReadyCall, in db: StoreDB, now: PulpDateTime) throws {
        switch ready {
        case .createRepository(let id, let rows):
            guard try !db.repositoryExists(id) else { throw PulpError.duplicateResource(id) }
            try db.insert(rows)
        case .createSchedule(let owner, let row, let ownerKnown):
            if !ownerKnown { try requireOwner(db, owner) }
            try db.save(row)
        case .recordApplied(let id, let row, let hash):
            guard try db.setRepositoryNotes(id, row: row) else { throw PulpError.missingResource(["repository": id]) }
            try db.setContentHash(id, hash)
        case .call(let call):
            try perform(call, in: db, now: now)
        }
    }

    func perform(_ call: ImmediateCall, in db: StoreDB, now: PulpDateTime) throws {
        switch call {
        case .createRepository(let request): _ = try createRepository(request, in: db, now: now)
        case .updateRepository(let id, let delta):
            if delta.count == 1, case .object(let notes)? = delta["notes"] {
                // Notes alone (the reconciler's bookkeeping): only the notes are read and written.
                guard let (current, hashBefore) = try db.repositoryNotes(id) else { throw PulpError.missingResource(["repository": id]) }
                try db.setRepositoryNotes(id, LocalPulp.merge(notes: notes, into: current))
                try keepContentHash(delta: delta, request: RepositoryUpdate(delta: delta), before: hashBefore, repoId: id, db: db)
            } else {
                // A delta alone spawns no task.
                _ = try updateRepository(id, RepositoryUpdate(delta: delta), in: db)
            }
        case .addDistributor(let repoId, let request): _ = try addDistributor(repoId: repoId, request, in: db, now: now)
        case .createSchedule(let owner, let request): _ = try createSchedule(owner, request, in: db, now: now)
        case .updateSchedule(let owner, let id, let request): _ = try updateSchedule(owner, id: id, request, in: db, now: now)
        case .deleteSchedule(let owner, let id): try deleteSchedule(owner, id: id, in: db)
        case .registerConsumer(let request): _ = try registerConsumer(request, in: db, now: now)
        case .updateConsumer(let id, let delta): _ = try updateConsumer(id, delta: delta, in: db)
        case .unregisterConsumer(let id): try unregisterConsumer(id, in: db)
        }
    }
}
