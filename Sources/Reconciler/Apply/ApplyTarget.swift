import Foundation
public import PulpContract
public import PulpModel

/// A target that remembers the apply in progress, so that the next apply can tell one was killed (the embedded
/// store).
public protocol ApplyJournal: Sendable {
    func beginApply(_ groupId: String) async throws
    func endApply() async throws
    /// The task group of an apply that began and never ended.
    func abandonedApply() async throws -> String?
}

extension StoreReconcilerState: ApplyJournal {}

/// What an apply runs against, and how it keeps out of other applies' way: what `apply` and the controller share.
public struct ApplyTarget: Sendable {
    public var pulp: any PulpService
    public var state: any ReconcilerState
    /// One apply at a time on the embedded store; leases per repository on a live server.
    public var locker: any Locker
    public var description: String

    public init(pulp: any PulpService, state: any ReconcilerState, locker: any Locker, description: String) {
        self.pulp = pulp
        self.state = state
        self.locker = locker
        self.description = description
    }

    /// Cancels the unfinished tasks of an apply that was killed (they would never run); returns its task group.
    /// Call it holding the apply lock.
    public func recoverAbandoned() async throws -> String? {
        guard let journal = state as? any ApplyJournal, let dead = try await journal.abandonedApply() else { return nil }
        try? await pulp.cancelTaskGroup(dead)
        try await journal.endApply()
        return dead
    }

    /// Runs the plan's steps in one task group: journaled where the target keeps a journal, each repository
    /// leased while it is written where applies share no lock. Then records the apply on the target (best effort:
    /// the apply has happened either way), with where its manifests came from.
    public func apply(_ plan: Plan, parallelism: Int, source: String, revision: String? = nil, groupId: String = PulpIDs.uuid(),
                      secrets: SecretResolver = SecretResolver(),
                      progress: @escaping @Sendable (ApplyEvent) -> Void = { _ in }) async throws -> (report: ApplyReport, record: ApplyRecord)
    {
        let journal = state as? any ApplyJournal
        let started = ContinuousClock.now
        try await journal?.beginApply(groupId)
        let report = await Applier(pulp: pulp, state: state, secrets: secrets, parallelism: parallelism,
                                   leases: locker.leases(groupId: groupId))
            .apply(plan, groupId: groupId, progress: progress)
        try await journal?.endApply()
        let record = ApplyRecord(finished: PulpDateTime(Date()), revision: revision, source: source, steps: report.results.count,
                                 failedSteps: report.failedSteps, seconds: (ContinuousClock.now - started).inSeconds)
        try? await state.recordApply(record)
        return (report, record)
    }
}
