import Foundation
import PulpContract
import PulpModel
import PulpStore

/// Runs tasks: a pool of workers with per-resource reservations.
///
/// - A task is stored `waiting` by the transaction that dispatches it, then handed to `enqueue`.
/// - Tasks on the same resource (a repository) run one at a time, in dispatch order; tasks on
///   different resources run in parallel, up to `workerCount` at once.
/// - A task runs in three phases. *Claim*: `waiting` → `running`, in a short transaction. *Work*: async,
///   outside any write transaction (a sync's plugin may download for minutes), writing `progress_report` as
///   it goes. *Commit*: the work's results and the move to `finished`, in one short transaction.
/// - A failure commits nothing and records `error` in a transaction of its own. A cancel marks the task
///   `canceled` at once and cancels its work, which stops at its next check; the commit, which checks the
///   state, then writes nothing. A process that dies during the work leaves the task `running`, and
///   `recover` runs it again from the start at the next start-up: nothing of the first run was committed.
public actor TaskEngine {
    let store: PulpStore
    let runner: TaskRunner
    let clock: any PulpClock
    public let workerCount: Int
    let hostname: String

    private var reservations: ReservationQueue
    /// Tasks this engine has queued or is running.
    private var active: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// `waitForAny`'s callers: the tasks each waits on, until one completes or its time is up.
    private var anyWaiters: [Int: (ids: Set<String>, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextWaiter = 0
    /// The work phases under way, by task id, so that a cancel reaches them.
    private var working: [String: Task<TaskWork, any Error>] = [:]
    private var paused = false
    /// Called when a task has become `running`, before its work: tests hold a task here.
    let willRun: (@Sendable (TaskReport) async -> Void)?

    init(store: PulpStore, runner: TaskRunner, clock: any PulpClock, workerCount: Int,
         willRun: (@Sendable (TaskReport) async -> Void)? = nil)
    {
        self.store = store
        self.runner = runner
        self.clock = clock
        self.willRun = willRun
        self.workerCount = max(1, workerCount)
        self.reservations = ReservationQueue(workers: workerCount)
        self.hostname = ProcessInfo.processInfo.hostName
    }

    /// A new `waiting` task for an operation.
    static func newTask(_ op: TaskOperation, groupId: String?, now: PulpDateTime, scheduledCallId: String? = nil) -> StoredTask {
        let report = TaskReport(taskId: PulpIDs.uuid(), oid: PulpIDs.objectId(now: now.epoch), state: .waiting,
                                taskType: op.taskType, tags: op.tags, groupId: groupId)
        return StoredTask(report: report, resource: op.resource, operation: op.json, scheduledCallId: scheduledCallId)
    }

    /// Hands stored `waiting` tasks to the workers.
    func enqueue(_ tasks: [StoredTask]) {
        for t in tasks where !active.contains(t.report.taskId) {
            active.insert(t.report.taskId)
            reservations.add(.init(id: t.report.taskId, resource: t.resource))
        }
        pump()
    }

    /// Stops starting tasks; running ones finish. Queued ones wait for `resume`.
    public func pause() { paused = true }

    public func resume() {
        paused = false
        pump()
    }

    /// How many tasks are queued here and not yet started.
    public var queuedCount: Int { reservations.queued.count }

    /// Waits until none of the tasks is queued or running here.
    public func wait(for ids: [String]) async {
        for id in ids where active.contains(id) {
            await withCheckedContinuation { c in waiters[id, default: []].append(c) }
        }
    }

    /// Returns once one of `ids` is complete (at once if one is already), or after `timeout`: for callers that
    /// report progress while they wait.
    public func waitForAny(_ ids: [String], timeout: Duration) async {
        guard ids.allSatisfy({ active.contains($0) }) else { return }
        nextWaiter += 1
        let token = nextWaiter
        await withCheckedContinuation { c in
            anyWaiters[token] = (Set(ids), c)
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(token)
            }
        }
    }

    private func expire(_ token: Int) {
        anyWaiters.removeValue(forKey: token)?.continuation.resume()
    }

    /// Waits until no task is running here (queued ones may remain, e.g. while paused).
    public func waitForRunning() async {
        while true {
            let running = active.filter { !reservations.isQueued($0) }
            if running.isEmpty { return }
            await wait(for: Array(running))
        }
    }

    /// Waits until every task this engine knows of has completed.
    public func waitForIdle() async {
        while !active.isEmpty {
            await wait(for: Array(active))
        }
    }

    /// Cancels a task: an incomplete one becomes `canceled` and never changes again; a complete one is left as is.
    func cancel(_ id: String) async throws {
        let now = clock.now()
        try await store.write { db in
            guard var t = try db.task(id) else { throw PulpError.missingResource(["resource_id": id]) }
            guard !t.report.state.isComplete else { return }
            t.report.state = .canceled
            t.report.finishTime = now
            try db.updateTask(t.report)
        }
        working[id]?.cancel()
        if reservations.remove(id: id) { finish(id) }
    }

    /// Picks up tasks a stopped process left `waiting` or `running`. A running task's work had not
    /// committed (work and completion are one transaction), so it runs again from the start.
    @discardableResult
    public func recover() async throws -> Int {
        let pending = try await store.write { db in
            var out: [StoredTask] = []
            for var t in try db.tasks(inStates: [.waiting, .accepted, .running, .suspended]) {
                if t.report.state != .waiting {
                    t.report.state = .waiting
                    t.report.startTime = nil
                    t.report.workerName = nil
                    try db.updateTask(t.report)
                }
                out.append(t)
            }
            return out
        }
        enqueue(pending)
        return pending.count
    }

    // MARK: - Workers

    private func pump() {
        guard !paused else { return }
        for (entry, worker) in reservations.start() {
            Task { await self.run(entry, worker: worker) }
        }
    }

    private func finish(_ id: String) {
        active.remove(id)
        for c in waiters.removeValue(forKey: id) ?? [] { c.resume() }
        for (token, waiter) in anyWaiters where waiter.ids.contains(id) {
            anyWaiters[token] = nil
            waiter.continuation.resume()
        }
    }

    private struct Canceled: Error {}

    private func run(_ entry: ReservationQueue.Entry, worker: Int) async {
        let id = entry.id
        let workerName = "reserved_resource_worker-\(worker)@\(hostname)"
        let clock = self.clock
        let runner = self.runner
        let startedAt = clock.now()
        var spawned: [StoredTask] = []

        // Phase 1: waiting → running, unless it was canceled meanwhile.
        let started: StoredTask? = try? await store.write { db in
            guard var t = try db.task(id), t.report.state == .waiting else { return nil }
            t.report.state = .running
            t.report.startTime = startedAt
            t.report.workerName = workerName
            try db.updateTask(t.report)
            return t
        }

        if let task = started {
            TaskMetrics.started()
            let t0 = DispatchTime.now().uptimeNanoseconds
            var endState = "canceled"
            defer {
                TaskMetrics.ended(type: task.report.taskType, state: endState, nanoseconds: DispatchTime.now().uptimeNanoseconds - t0)
            }
            await willRun?(task.report)
            do {
                guard let op = TaskOperation(json: task.operation) else {
                    throw PulpError.wrapped("the task's operation cannot be read: \(task.operation.serialized())")
                }
                // Phase 2: the work, outside any write transaction; a cancel cancels it.
                let store = self.store
                let progress = ProgressReporter { report in
                    _ = try? await store.write { db in
                        guard var t = try db.task(id), t.report.state == .running else { return }
                        t.report.progressReport = report
                        try db.updateTask(t.report)
                    }
                }
                let work = Task { try await runner.work(op, store: store, progress: progress) }
                working[id] = work
                let outcome = await work.result
                working[id] = nil
                // Only `cancel` cancels the work, once the task is `canceled`: whatever the work did, nothing commits.
                if work.isCancelled { throw Canceled() }
                let done = try outcome.get()
                // Phase 3: the commit and the move to finished, in one short transaction.
                let afterCommit: (@Sendable () -> Void)?
                (spawned, afterCommit) = try await store.write { db in
                    guard var cur = try db.task(id), cur.report.state == .running else { throw Canceled() }
                    let now = clock.now()
                    let outcome = try runner.commit(done, task: cur, db: db, now: now)
                    for s in outcome.spawned { try db.insertTask(s) }
                    cur.report.state = outcome.state
                    cur.report.finishTime = now
                    cur.report.result = outcome.result
                    if !outcome.progressReport.isEmpty || cur.report.progressReport.isEmpty {
                        cur.report.progressReport = outcome.progressReport
                    }
                    cur.report.spawnedTasks = outcome.spawned.map(\.report.taskId)
                    try db.updateTask(cur.report)
                    if let sid = cur.scheduledCallId, var schedule = try db.schedule(id: sid) {
                        schedule.recordSuccess()
                        try db.saveSchedule(schedule)
                    }
                    return (outcome.spawned, outcome.afterCommit)
                }
                endState = "finished"
                afterCommit?()
            } catch is Canceled {
                // Rolled back; the task stays canceled.
            } catch {
                endState = "error"
                let pulpError = error as? PulpError ?? .wrapped("\(error)")
                let op = TaskOperation(json: task.operation)
                _ = try? await store.write { db in
                    guard var cur = try db.task(id), cur.report.state == .running else { return }
                    let now = clock.now()
                    cur.report.state = .error
                    cur.report.finishTime = now
                    cur.report.error = pulpError.errorDict
                    cur.report.traceback = "Traceback (most recent call last):\n  File \"pulpform\", in \(cur.report.taskType)\n"
                        + "PulpException: \(pulpError.message)\n"
                    try db.updateTask(cur.report)
                    if let op {
                        // Best effort: a failure to record history must not leave the task running.
                        try? runner.recordFailure(op, error: pulpError, started: startedAt, db: db, now: now)
                    }
                    if let sid = cur.scheduledCallId, var schedule = try db.schedule(id: sid) {
                        schedule.recordFailure()
                        try db.saveSchedule(schedule)
                    }
                }
            }
        }

        reservations.finished(entry, worker: worker)
        enqueue(spawned)
        finish(id)
        pump()
    }
}
