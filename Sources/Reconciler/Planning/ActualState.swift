public import PulpContract
public import PulpModel

/// What the target holds, read once through `PulpService`.
public struct ActualState: Sendable {
    public var repositories: [RepositoryDetails]
    public var syncSchedules: [String: [Schedule]]
    /// By repository, then distributor.
    public var publishSchedules: [String: [String: [Schedule]]]
    public var consumers: [Consumer]
    public var consumerSchedules: [String: [Schedule]]
    /// Repositories not read because the target's content hash says they hold exactly the manifests'
    /// configuration: id → that fingerprint.
    public var inSync: [String: String] = [:]
    /// The target keeps content hashes: a repository that was read has none that matches, so applying records one.
    public var tracksContentHashes = false
    /// Canonical fingerprints of the repositories read, by id (`Planner.actualHashes`), when computed.
    public var hashes: [String: String] = [:]
    /// Users and roles, read only when the manifests declare some or pulpform manages some (`readAccess`).
    public var users: [PulpUser] = []
    public var roles: [PulpRole] = []
    /// Whether `users` and `roles` were read.
    public var accessRead = false
    /// What pulpform applied to the users and roles it manages, by unit (`user:<login>`, `role:<id>`).
    public var accessRecords: [String: AccessRecord] = [:]

    public init(repositories: [RepositoryDetails] = [], syncSchedules: [String: [Schedule]] = [:],
                publishSchedules: [String: [String: [Schedule]]] = [:], consumers: [Consumer] = [],
                consumerSchedules: [String: [Schedule]] = [:])
    {
        self.repositories = repositories
        self.syncSchedules = syncSchedules
        self.publishSchedules = publishSchedules
        self.consumers = consumers
        self.consumerSchedules = consumerSchedules
    }

    /// Reads everything.
    public static func read(from pulp: any PulpService) async throws -> ActualState {
        var state = ActualState()
        state.repositories = try await pulp.repositories(include: .all)
        for s in try await pulp.repositorySchedules(of: state.repositories) { state.add(s) }
        for s in try await pulp.allSchedules(kinds: [.install, .update, .uninstall]) { state.add(s) }
        state.consumers = try await pulp.consumers()
        return state
    }

    /// Reads what planning against these fingerprints (repository id → canonical hash) needs. On a target that
    /// keeps content hashes, one query gives (id, hash) of every repository, and only the repositories whose
    /// hash differs are read in full; elsewhere everything is read.
    /// `subset`: repositories outside it are not read at all.
    public static func read(from pulp: any PulpService, expecting hashes: [String: String], subset: Subset? = nil) async throws -> ActualState {
        guard let known = try await pulp.repositoryContentHashes() else { return try await read(from: pulp) }
        var state = ActualState()
        state.tracksContentHashes = true
        var load: [String] = []
        for r in known where subset?.contains("repository", r.id) ?? true {
            if let h = r.contentHash, hashes[r.id] == h {
                state.inSync[r.id] = h
            } else {
                load.append(r.id)
            }
        }
        // Consumers and their schedules do not depend on the repositories: they are read at the same time.
        async let consumerSchedules = pulp.allSchedules(kinds: [.install, .update, .uninstall])
        async let consumers = pulp.consumers()
        state.repositories = try await pulp.repositories(ids: load, include: .all)
        for s in try await pulp.repositorySchedules(of: state.repositories) { state.add(s) }
        for s in try await consumerSchedules { state.add(s) }
        state.consumers = try await consumers
        return state
    }

    /// Reads users and roles, and the records of those pulpform manages.
    public mutating func readAccess(from pulp: any PulpService, records: [AccessRecord]) async throws {
        async let users = pulp.accessUsers()
        async let roles = pulp.accessRoles()
        self.users = try await users
        self.roles = try await roles
        accessRead = true
        accessRecords = Dictionary(records.map { ($0.unit, $0) }, uniquingKeysWith: { a, _ in a })
    }

    mutating func add(_ s: Schedule) {
        switch s.owner {
        case .importer(let r, _): syncSchedules[r, default: []].append(s)
        case .distributor(let r, let d): publishSchedules[r, default: [:]][d, default: []].append(s)
        case .consumer(let c, _): consumerSchedules[c, default: []].append(s)
        }
    }
}
