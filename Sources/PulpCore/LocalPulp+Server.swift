import PulpContract
public import PulpModel
import PulpStore

/// What the server needs of LocalPulp beyond the contract: paged reads for its fast search paths, and the task
/// engine's start and stop. The server reaches the store and the engine only through these.
extension LocalPulp {
    /// The store's file.
    public var storePath: String { store.path }

    /// A page of repository ids, sorted by id (or in creation order when `ascending` is nil).
    public func repositoryIds(ascending: Bool?, limit: Int?, offset: Int) async throws -> [String] {
        try await store.read { db in try db.repositoryIds(ascending: ascending, limit: limit, offset: offset) }
    }

    /// These tasks, in the order they were dispatched; unknown ids are left out.
    public func tasksInDispatchOrder(ids: [String]) async throws -> [TaskReport] {
        try await store.read { db in try db.tasksInDispatchOrder(ids: ids).map(\.report) }
    }

    /// Every task, in the order they were dispatched.
    public func allTasks() async throws -> [TaskReport] {
        try await store.read { db in try db.allTasks().map(\.report) }
    }

    /// Re-queues the tasks a previous process left waiting or running; returns how many.
    public func resumeTasks() async throws -> Int {
        try await engine.recover()
    }

    /// Dispatches no more tasks and waits, up to `timeout`, for the running ones; true when they finished.
    public func stopTasks(within timeout: Duration) async -> Bool {
        await engine.pause()
        let engine = engine
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await engine.waitForRunning()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
