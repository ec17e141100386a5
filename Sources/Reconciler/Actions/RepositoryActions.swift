public import PulpContract
public import PulpModel

/// What `pulpform sync` and `pulpform publish` ask of a repository.
public enum RepositoryAction: String, Sendable {
    case sync, publish
}

/// One dispatched action: the repository, the distributor for a publish, and the tasks Pulp spawned, or the
/// error that stopped the dispatch.
public struct ActionRun: Sendable {
    public var repoId: String
    public var action: RepositoryAction
    public var distributorId: String?
    public var taskIds: [String]
    public var failure: String?

    public init(repoId: String, action: RepositoryAction, distributorId: String? = nil, taskIds: [String] = [], failure: String? = nil) {
        self.repoId = repoId
        self.action = action
        self.distributorId = distributorId
        self.taskIds = taskIds
        self.failure = failure
    }
}

/// Starts syncs and publishes on any target and follows their tasks (and the tasks they spawn, such as an
/// auto-publish after a sync) to the end, reporting each poll.
public struct RepositoryActions: Sendable {
    public let pulp: any PulpService
    public let pollInterval: Duration
    /// Waits between polls: until one of the tasks is complete or the time is up. Without it (a server, which
    /// can only be polled), the full time.
    public let wait: (@Sendable (_ taskIds: [String], _ timeout: Duration) async throws -> Void)?

    public init(pulp: any PulpService, pollInterval: Duration = .milliseconds(250),
                wait: (@Sendable (_ taskIds: [String], _ timeout: Duration) async throws -> Void)? = nil)
    {
        self.pulp = pulp
        self.pollInterval = pollInterval
        self.wait = wait
    }

    /// Dispatches the action on each repository, in order. A publish without a distributor id publishes every
    /// distributor of the repository. An error (an unknown repository, say) is kept in the run and does not stop
    /// the others.
    public func start(_ action: RepositoryAction, repoIds: [String], distributorId: String? = nil) async -> [ActionRun] {
        var runs: [ActionRun] = []
        for repoId in repoIds {
            do {
                switch action {
                case .sync:
                    let report = try await pulp.sync(repoId: repoId, overrides: [:])
                    runs.append(ActionRun(repoId: repoId, action: .sync, taskIds: report.spawnedTasks))
                case .publish:
                    let ids: [String]
                    if let distributorId {
                        ids = [distributorId]
                    } else {
                        ids = try await pulp.distributors(repoId: repoId).map(\.id)
                        if ids.isEmpty {
                            runs.append(ActionRun(repoId: repoId, action: .publish, failure: "the repository has no distributors"))
                            continue
                        }
                    }
                    for id in ids {
                        do {
                            let report = try await pulp.publish(repoId: repoId, distributorId: id, overrides: [:])
                            runs.append(ActionRun(repoId: repoId, action: .publish, distributorId: id, taskIds: report.spawnedTasks))
                        } catch {
                            runs.append(ActionRun(repoId: repoId, action: .publish, distributorId: id, failure: Self.describe(error)))
                        }
                    }
                }
            } catch {
                runs.append(ActionRun(repoId: repoId, action: action, distributorId: distributorId, failure: Self.describe(error)))
            }
        }
        return runs
    }

    /// Polls the runs' tasks, and the tasks they spawn, until all are complete. `onPoll` sees every report
    /// known so far, in dispatch order, after each poll. Returns the final reports in the same order.
    public func follow(_ runs: [ActionRun], onPoll: ([TaskReport]) -> Void) async throws -> [TaskReport] {
        var order = runs.flatMap(\.taskIds)
        var latest: [String: TaskReport] = [:]
        var pending = Set(order)
        // Short tasks end in milliseconds: the first polls come quickly, then every `pollInterval`.
        var delay = Duration.milliseconds(10)
        while !pending.isEmpty {
            let reports = try await pulp.tasks(ids: Array(pending))
            for id in pending where !reports.contains(where: { $0.taskId == id }) {
                throw PulpError.missingResource(["resource_id": id])
            }
            for report in reports {
                latest[report.taskId] = report
                guard report.state.isComplete else { continue }
                pending.remove(report.taskId)
                for spawned in report.spawnedTasks where latest[spawned] == nil && !order.contains(spawned) {
                    order.append(spawned)
                    pending.insert(spawned)
                }
            }
            onPoll(order.compactMap { latest[$0] })
            if !pending.isEmpty {
                if let wait {
                    try await wait(Array(pending), delay)
                    // Never a busy loop, even if a task's end has not reached the store; and a cancel ends it.
                    try await Task.sleep(for: .milliseconds(5))
                } else {
                    try await Task.sleep(for: delay)
                }
                delay = min(pollInterval, delay * 3 / 2)
            }
        }
        return order.compactMap { latest[$0] }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? PulpError { return e.message }
        return "\(error)"
    }
}
