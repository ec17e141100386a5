public import PulpModel

/// A call that Pulp answers at once, spawning no task: what an apply mostly makes when it creates
/// repositories, or changes schedules, notes and consumers.
public enum ImmediateCall: Sendable, Hashable {
    case createRepository(RepositoryCreate)
    /// `PUT /repositories/<id>/` with a delta only (display name, description, notes): 200, no task.
    case updateRepository(id: String, delta: JSONObject)
    case addDistributor(repoId: String, DistributorCreate)
    case createSchedule(ScheduleOwner, ScheduleCreate)
    case updateSchedule(ScheduleOwner, id: String, ScheduleUpdate)
    case deleteSchedule(ScheduleOwner, id: String)
    case registerConsumer(ConsumerRegister)
    case updateConsumer(id: String, delta: JSONObject)
    case unregisterConsumer(id: String)
}

/// How one sequence of a batch ended: the calls that succeeded (a prefix) and the error that stopped it.
public struct ImmediateOutcome: Sendable {
    public var completed: Int
    public var failure: (any Error)?

    public init(completed: Int, failure: (any Error)? = nil) {
        self.completed = completed
        self.failure = failure
    }
}

extension PulpService {
    public var batchesImmediateCalls: Bool { false }

    /// One call at a time: the form for targets where a batch saves nothing (a live server).
    public func perform(_ sequences: [[ImmediateCall]]) async -> [ImmediateOutcome] {
        var out: [ImmediateOutcome] = []
        out.reserveCapacity(sequences.count)
        for calls in sequences {
            var done = 0
            var failure: (any Error)?
            for call in calls {
                do {
                    try await perform(call)
                    done += 1
                } catch {
                    failure = error
                    break
                }
            }
            out.append(ImmediateOutcome(completed: done, failure: failure))
        }
        return out
    }

    /// Makes one call through the service's own method.
    public func perform(_ call: ImmediateCall) async throws {
        switch call {
        case .createRepository(let request): _ = try await createRepository(request)
        case .updateRepository(let id, let delta): _ = try await updateRepository(id, RepositoryUpdate(delta: delta))
        case .addDistributor(let repoId, let request): _ = try await addDistributor(repoId: repoId, request)
        case .createSchedule(let owner, let request): _ = try await createSchedule(owner, request)
        case .updateSchedule(let owner, let id, let request): _ = try await updateSchedule(owner, id: id, request)
        case .deleteSchedule(let owner, let id): try await deleteSchedule(owner, id: id)
        case .registerConsumer(let request): _ = try await registerConsumer(request)
        case .updateConsumer(let id, let delta): _ = try await updateConsumer(id, delta: delta)
        case .unregisterConsumer(let id): try await unregisterConsumer(id)
        }
    }
}
