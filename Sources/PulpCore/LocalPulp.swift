import Foundation
public import PulpContent
public import PulpContract
public import PulpModel
public import PulpStore
public import PulpAuth

/// The in-process `PulpService`: Pulp's operations with their exact semantics, over the store.
///
/// Synchronous operations are one write transaction each. Asynchronous ones check what Pulp checks
/// up front, store a `waiting` task in the same transaction, and hand it to the `TaskEngine`.
public struct LocalPulp: PulpService {
    let store: PulpStore
    let engine: TaskEngine
    public let catalog: PluginCatalog
    public let clock: any PulpClock
    /// Tasks dispatched through this value belong to this group.
    public let groupId: String?
    /// The reconciler's notes that record what a repository holds; nil keeps no content hashes up to date.
    public let contentHashNotes: ContentHashNotes?
    /// Unit files and published trees (`serve --content-dir`; by default beside the store file).
    public let content: ContentDirectory
    /// On-demand fetches under way (shared by every copy of this value).
    let fetches: OnDemandFetches
    /// Users, grants, verified credentials and the login throttle, in memory (shared by every copy of this value).
    public let access: AccessControl

    /// - Parameters:
    ///   - workers: how many tasks may run at once (on different repositories).
    ///   - willRunTask: called as each task starts, before its work; a test seam.
    ///   - plugins: the importer and distributor behaviours, by type id (a catalog type without one records
    ///     history only).
    ///   - contentHashNotes: the reconciler's bookkeeping notes: a notes update that only records what was applied
    ///     sets the repository's content hash, so that plans read it no more until something else changes it.
    ///   - passwordIterations: PBKDF2 rounds for new password hashes; only tests lower the default.
    public init(store: PulpStore, catalog: PluginCatalog = .builtin, plugins: PluginRegistry = .builtin,
                clock: any PulpClock = SystemClock(), workers: Int = 4, contentHashNotes: ContentHashNotes? = nil,
                willRunTask: (@Sendable (TaskReport) async -> Void)? = nil, contentDirectory: ContentDirectory? = nil,
                passwordIterations: Int = PasswordHash.iterations)
    {
        self.store = store
        self.access = AccessControl(passwordIterations: passwordIterations)
        self.content = contentDirectory ?? ContentDirectory.beside(storePath: store.path)
        self.contentHashNotes = contentHashNotes
        self.fetches = OnDemandFetches()
        self.catalog = catalog
        self.clock = clock
        self.engine = TaskEngine(store: store, runner: TaskRunner(catalog: catalog, plugins: plugins, content: content, clock: clock), clock: clock, workerCount: workers,
                                 willRun: willRunTask)
        self.groupId = nil
    }

    private init(copying other: LocalPulp, groupId: String?) {
        store = other.store
        engine = other.engine
        catalog = other.catalog
        clock = other.clock
        contentHashNotes = other.contentHashNotes
        content = other.content
        fetches = other.fetches
        access = other.access
        self.groupId = groupId
    }

    /// The same service, dispatching its tasks into a task group.
    public func inGroup(_ groupId: String) -> LocalPulp { LocalPulp(copying: self, groupId: groupId) }

    public func grouped(_ groupId: String) -> any PulpService { inGroup(groupId) }

    // MARK: - Helpers

    /// Runs `body` in one transaction; the tasks it returns are stored there and then queued.
    func dispatch<T: Sendable>(_ body: @escaping @Sendable (StoreDB, PulpDateTime) throws -> (T, [TaskOperation]))
        async throws -> (T, [String])
    {
        let now = clock.now()
        let group = groupId
        let (value, tasks) = try await store.write { db in
            let (value, ops) = try body(db, now)
            let tasks = ops.map { TaskEngine.newTask($0, groupId: group, now: now) }
            for t in tasks { try db.insertTask(t) }
            return (value, tasks)
        }
        if !tasks.isEmpty { await engine.enqueue(tasks) }
        return (value, tasks.map(\.report.taskId))
    }

    func requireRepository(_ db: StoreDB, _ id: String) throws -> Repository {
        guard let r = try db.repository(id) else { throw PulpError.missingResource(["repository": id]) }
        return r
    }

    /// Checks a distributor request and builds the distributor (config cleaned, id defaulted).
    static func buildDistributor(_ req: DistributorCreate, repoId: String, catalog: PluginCatalog, now: PulpDateTime)
        throws -> Distributor
    {
        guard let type = req.typeId else { throw PulpError.missingValue(["distributor_type_id"]) }
        guard catalog.distributor(type) != nil else { throw PulpError.invalidValue(["distributor_type_id"]) }
        let id = req.distributorId ?? PulpIDs.uuid()
        guard IDRules.isValidDistributorId(id) else { throw PulpError.invalidValue(["distributor_id"]) }
        return Distributor(repoId: repoId, id: id, typeId: type, oid: PulpIDs.objectId(now: now.epoch),
                           config: ConfigRules.clean(req.config), autoPublish: req.autoPublish)
    }

}
