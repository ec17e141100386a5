import PulpContract
public import PulpModel
import PulpStore

/// What the server needs of LocalPulp beyond the contract: paged reads for its fast search paths, and the task
/// engine's start and stop. The server reaches the store and the engine only through these.
extension LocalPulp {
    /// The store's file.
    public var storePath: String { store.path }

    /// The key file of the store's importer secrets.
    public var secretKeyFile: String { store.secrets.keyring.path }

    /// The importer secrets at `serve`'s start, from one pass over the importers: the ids of keys that sealed
    /// secrets name and the key file does not hold (`serve` refuses to start), else how many secrets a store from
    /// before sealing held in clear and are now sealed.
    public func prepareSecrets() async throws -> (missingKeys: [String], sealed: Int) {
        let census = try await store.secretCensus()
        let missing = try store.missingSecretKeys(census)
        guard missing.isEmpty, census.clear > 0 else { return (missing, 0) }
        return ([], try await store.resealSecrets())
    }

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
