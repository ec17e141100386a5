public import PulpModel

/// Which plugin lists to include with a repository (`?importers=`, `?distributors=`, `?details=`).
public struct RepositoryInclude: Sendable, Hashable {
    public var importers: Bool
    public var distributors: Bool
    /// Single-repository `details` also adds unit counts.
    public var details: Bool

    public init(importers: Bool = false, distributors: Bool = false, details: Bool = false) {
        self.importers = importers || details
        self.distributors = distributors || details
        self.details = details
    }

    public static let none = RepositoryInclude()
    public static let all = RepositoryInclude(details: true)
}

/// A repository with what was asked of its plugins.
public struct RepositoryDetails: Sendable, Hashable {
    public var repository: Repository
    public var importers: [Importer]?
    public var distributors: [Distributor]?

    public init(repository: Repository, importers: [Importer]? = nil, distributors: [Distributor]? = nil) {
        self.repository = repository
        self.importers = importers
        self.distributors = distributors
    }

    /// The representation; `single` adds `total_repository_units` and `locally_stored_units` with details.
    public func json(include: RepositoryInclude, single: Bool, catalog: PluginCatalog = .builtin) -> JSONObject {
        var o = repository.json()
        if include.importers { o["importers"] = .array((importers ?? []).map { .object($0.json(catalog: catalog)) }) }
        if include.distributors { o["distributors"] = .array((distributors ?? []).map { .object($0.json()) }) }
        if include.details, single {
            o["total_repository_units"] = .int(repository.totalUnits)
            o["locally_stored_units"] = .int(repository.totalUnits)
        }
        return o
    }
}

/// The Pulp operations and reads that the reconciler and the server share, split by role.
///
/// Two implementations: `LocalPulp` (PulpCore: in-process, over the store) and `PulpClient` (PulpClient: HTTP
/// against a live Pulp 2 server). Errors are `PulpError`s carrying Pulp's code, status and message.
///
/// Synchronous Pulp calls (create a repository, add a distributor, schedules, consumers) return the
/// resource. Asynchronous ones return a `CallReport` whose `spawnedTasks` the caller can wait for.
public protocol PulpService: PulpReads, PulpWrites, PulpTasks, PulpContentOperations, ReconcilerFastPath, PulpAccessControl {
    /// The same service, putting the tasks it dispatches into a task group where the target supports it.
    func grouped(_ groupId: String) -> any PulpService
}

/// Reading resources: what `drift`, `plan` and every GET need.
public protocol PulpReads: Sendable {
    // MARK: Repositories
    func repository(_ id: String, include: RepositoryInclude) async throws -> RepositoryDetails
    func repositories(include: RepositoryInclude) async throws -> [RepositoryDetails]

    // MARK: Plugins
    func importers(repoId: String) async throws -> [Importer]
    func importer(repoId: String, importerId: String) async throws -> Importer
    func distributors(repoId: String) async throws -> [Distributor]
    func distributor(repoId: String, distributorId: String) async throws -> Distributor

    // MARK: Schedules
    func schedules(_ owner: ScheduleOwner) async throws -> [Schedule]
    func schedule(_ owner: ScheduleOwner, id: String) async throws -> Schedule
    /// Every schedule of these kinds, across all repositories or consumers (the reconciler's bulk read).
    func allSchedules(kinds: Set<ScheduleKind>) async throws -> [Schedule]

    // MARK: History
    func syncHistory(repoId: String, query: HistoryQuery) async throws -> [SyncHistoryEntry]
    func publishHistory(repoId: String, distributorId: String, query: HistoryQuery) async throws -> [PublishHistoryEntry]

    // MARK: Consumers
    func consumer(_ id: String) async throws -> Consumer
    func consumers() async throws -> [Consumer]
}

/// Changing resources and starting actions.
public protocol PulpWrites: Sendable {
    // MARK: Repositories
    func createRepository(_ request: RepositoryCreate) async throws -> Repository
    /// 200 (no spawned tasks) or 202 (one task per entry of `distributorConfigs`).
    func updateRepository(_ id: String, _ request: RepositoryUpdate) async throws -> CallReport
    func deleteRepository(_ id: String) async throws -> CallReport

    // MARK: Importers
    func setImporter(repoId: String, typeId: String, config: JSONObject) async throws -> CallReport
    func updateImporter(repoId: String, importerId: String, config: JSONObject) async throws -> CallReport
    func removeImporter(repoId: String, importerId: String) async throws -> CallReport

    // MARK: Distributors
    func addDistributor(repoId: String, _ request: DistributorCreate) async throws -> Distributor
    func updateDistributor(repoId: String, distributorId: String, _ request: DistributorUpdate) async throws -> CallReport
    func removeDistributor(repoId: String, distributorId: String) async throws -> CallReport

    // MARK: Actions
    func sync(repoId: String, overrides: JSONObject) async throws -> CallReport
    func publish(repoId: String, distributorId: String?, overrides: JSONObject) async throws -> CallReport
    func download(repoId: String, verifyAllUnits: Bool) async throws -> CallReport

    // MARK: Schedules
    func createSchedule(_ owner: ScheduleOwner, _ request: ScheduleCreate) async throws -> Schedule
    func updateSchedule(_ owner: ScheduleOwner, id: String, _ request: ScheduleUpdate) async throws -> Schedule
    func deleteSchedule(_ owner: ScheduleOwner, id: String) async throws

    // MARK: Consumers
    func registerConsumer(_ request: ConsumerRegister) async throws -> Consumer
    func updateConsumer(_ id: String, delta: JSONObject) async throws -> Consumer
    func unregisterConsumer(_ id: String) async throws
}

/// Users, roles and the roles' permissions (pulp2-auth.md §2.3): what the reconciler's `users:` and `roles:` read
/// and write. Passwords go one way: they are sent, never read back.
public protocol PulpAccessControl: Sendable {
    func accessUsers() async throws -> [PulpUser]
    func accessRoles() async throws -> [PulpRole]
    func createUser(_ request: UserCreate) async throws
    func updateUser(_ login: String, _ update: UserUpdate) async throws
    func deleteUser(_ login: String) async throws
    func createRole(_ request: RoleCreate) async throws
    /// `displayName` nil leaves it; `description` nil leaves it, `.some(nil)` clears it.
    func updateRole(_ id: String, displayName: String?, description: String??) async throws
    func deleteRole(_ id: String) async throws
    func addRoleMember(_ roleId: String, login: String) async throws
    func removeRoleMember(_ roleId: String, login: String) async throws
    /// Grants (or revokes) operations on a resource to a role: `POST /permissions/actions/{grant_to,revoke_from}_role/`.
    func changeRolePermission(_ roleId: String, resource: String, operations: [String], grant: Bool) async throws
}

/// Content: unit searches, copy, remove, orphans and uploads (pulp2-content.md §4). Criteria are Pulp's unit
/// association criteria as JSON; the target checks them.
public protocol PulpContentOperations: Sendable {
    func searchRepositoryUnits(_ repoId: String, criteria: JSONValue) async throws -> [JSONValue]
    func copyUnits(into dest: String, from source: String?, criteria: JSONValue?, overrides: JSONObject) async throws -> CallReport
    func removeUnits(from repoId: String, criteria: JSONValue?) async throws -> CallReport
    /// `GET /content/orphans/`: every type with its count.
    func orphanSummary() async throws -> JSONObject
    func deleteOrphans(typeId: String?, unitId: String?) async throws -> CallReport
    func createUpload() async throws -> String
    func writeUpload(_ id: String, offset: Int, bytes: [UInt8]) async throws
    func deleteUpload(_ id: String) async throws
    func importUpload(repoId: String, uploadId: String, typeId: String, unitKey: JSONObject, metadata: JSONObject,
                      overrides: JSONObject) async throws -> CallReport
}

/// Tasks and task groups.
public protocol PulpTasks: Sendable {
    func task(_ id: String) async throws -> TaskReport
    /// Tasks outside any group carrying every tag (`GET /tasks/?tag=`).
    func tasks(tags: [String]) async throws -> [TaskReport]
    /// Tasks by id; unknown ids are left out.
    func tasks(ids: [String]) async throws -> [TaskReport]
    func cancelTask(_ id: String) async throws
    /// `DELETE /tasks/?state=`: 403 PLP1012 without states, 400 PLP1011 for a state outside finished/error/skipped.
    func purgeTasks(states: [String]) async throws
    /// Waits until the tasks (and, if asked, the tasks they spawn) are complete; returns their reports.
    func waitForTasks(_ ids: [String], followSpawned: Bool) async throws -> [TaskReport]
    func taskGroupSummary(_ groupId: String) async throws -> TaskGroupSummary
    /// Cancels a group's tasks; 404 when the group has none.
    func cancelTaskGroup(_ groupId: String) async throws
}

/// What makes plans and applies fast where the target allows it. Every member has a default made of plain
/// reads and writes, which a live Pulp 2 server uses.
public protocol ReconcilerFastPath: PulpReads {
    /// (id, content hash) of every repository, or nil when the target keeps no content hashes (a live Pulp 2
    /// server). A repository whose hash equals the manifests' fingerprint is in sync and need not be read.
    func repositoryContentHashes() async throws -> [RepositoryContentHash]?
    /// These repositories with their plugins; unknown ids are left out.
    func repositories(ids: [String], include: RepositoryInclude) async throws -> [RepositoryDetails]
    /// The sync and publish schedules of these repositories, as read with their importers and distributors.
    func repositorySchedules(of repositories: [RepositoryDetails]) async throws -> [Schedule]

    /// Whether `perform(_:)` saves anything over single calls (the in-process store: one transaction).
    var batchesImmediateCalls: Bool { get }
    /// Runs sequences of calls that spawn no tasks. A sequence's calls run in order and it stops at its first
    /// error; sequences are independent of each other. Each call is atomic, as when it is made alone.
    func perform(_ sequences: [[ImmediateCall]]) async -> [ImmediateOutcome]
}

extension PulpService {
    public func grouped(_ groupId: String) -> any PulpService { self }
}

extension ReconcilerFastPath {
    public func repositoryContentHashes() async throws -> [RepositoryContentHash]? { nil }

    public func repositories(ids: [String], include: RepositoryInclude) async throws -> [RepositoryDetails] {
        var out: [RepositoryDetails] = []
        for id in ids {
            do {
                out.append(try await repository(id, include: include))
            } catch let e as PulpError where e.httpStatus == 404 {
                continue
            }
        }
        return out
    }

    public func repositorySchedules(of repositories: [RepositoryDetails]) async throws -> [Schedule] {
        var out: [Schedule] = []
        for details in repositories {
            let id = details.repository.id
            if let i = details.importers?.first { out += try await schedules(.importer(repoId: id, importerId: i.typeId)) }
            for d in details.distributors ?? [] { out += try await schedules(.distributor(repoId: id, distributorId: d.id)) }
        }
        return out
    }
}
