import Foundation
public import PulpContract
public import PulpModel

/// Runs a plan's steps through `PulpService`, in one task group.
///
/// Units (repositories, consumers) run in parallel, at most `parallelism` at once; the steps of one unit run
/// in order. A failed step marks the rest of its unit `skipped`; other units go on.
public struct Applier: Sendable {
    public var pulp: any PulpService
    public var state: any ReconcilerState
    public var secrets: SecretResolver
    public var parallelism: Int
    /// Set for live servers, where several applies may run at once.
    public var leases: LeaseOptions?

    public init(pulp: any PulpService, state: any ReconcilerState, secrets: SecretResolver, parallelism: Int = 4,
                leases: LeaseOptions? = nil)
    {
        self.pulp = pulp
        self.state = state
        self.secrets = secrets
        self.parallelism = max(1, parallelism)
        self.leases = leases
    }

    /// The repository a unit's lease is taken on: an existing repository that the unit writes.
    func leasedRepository(_ steps: [PlanStep]) -> String? {
        guard leases != nil, let first = steps.first, first.unit.hasPrefix("repository:") else { return nil }
        if case .createRepository = first.operation { return nil }  // a create is atomic: a second one gets 409
        return String(first.unit.dropFirst("repository:".count))
    }

    /// Claims the repository; returns nil when the claim is ours, else who holds it.
    func acquire(_ repoId: String, on pulp: any PulpService) async throws -> String? {
        guard let leases else { return nil }
        let now = leases.now()
        let mine = "\(now) \(now + leases.ttl) \(leases.holder)"
        _ = try await pulp.updateRepository(repoId, RepositoryUpdate(delta: ["notes": [leases.key: .string(mine)]]))
        let notes = try await pulp.repository(repoId, include: .none).repository.notes
        let claims = LeaseOptions.claims(notes)
        let expired = claims.filter { $0.expires < now }
        if !expired.isEmpty {
            var cleanup = JSONObject()
            for c in expired { cleanup[c.key] = .null }
            _ = try? await pulp.updateRepository(repoId, RepositoryUpdate(delta: ["notes": .object(cleanup)]))
        }
        let valid = claims.filter { $0.expires >= now }.sorted { ($0.acquired, $0.key) < ($1.acquired, $1.key) }
        guard let winner = valid.first, winner.key != leases.key else { return nil }
        await release(repoId, on: pulp)
        return "\(winner.holder) (lease until \(PulpDateTime(epoch: winner.expires).iso8601))"
    }

    func release(_ repoId: String, on pulp: any PulpService) async {
        guard let leases else { return }
        _ = try? await pulp.updateRepository(repoId, RepositoryUpdate(delta: ["notes": [leases.key: .null]]))
    }

    public func apply(_ plan: Plan, groupId: String = PulpIDs.uuid(),
                      progress: @escaping @Sendable (ApplyEvent) -> Void = { _ in }) async -> ApplyReport
    {
        let grouped = pulp.grouped(groupId)
        let fingerprinter: Fingerprinter
        do {
            fingerprinter = Fingerprinter(salt: try await state.salt())
        } catch {
            let results = plan.steps.map { StepResult(step: $0, state: .skipped, tasks: [], message: "cannot read the reconciler state: \(error)") }
            return ApplyReport(groupId: groupId, results: results, summary: TaskGroupSummary())
        }
        let byUnit = Dictionary(grouping: plan.steps, by: \.unit)
        let units = plan.units
        var resultsByUnit: [String: [StepResult]] = [:]
        // Users and roles run first, in waves: users made or changed, then roles (whose members they are), then
        // users deleted (after the roles that named them let go). Everything else runs after them.
        let waves = Dictionary(grouping: units) { Self.wave(byUnit[$0] ?? []) }
        for wave in waves.keys.sorted() {
            for (unit, results) in await run(units: waves[wave] ?? [], byUnit: byUnit, on: grouped, fingerprinter: fingerprinter,
                                             progress: progress) {
                resultsByUnit[unit] = results
            }
        }
        // In plan order; each unit's results are let go as they are copied, so the two are never held whole at once.
        var results: [StepResult] = []
        results.reserveCapacity(plan.steps.count)
        for unit in units { results += resultsByUnit.removeValue(forKey: unit) ?? [] }
        return ApplyReport(groupId: groupId, results: results,
                           summary: TaskGroupSummary(states: results.flatMap { $0.tasks.map(\.state) }))
    }

    /// The wave a unit runs in: 0 users made or changed, 1 roles, 2 users deleted, 3 the rest.
    static func wave(_ steps: [PlanStep]) -> Int {
        guard let first = steps.first else { return 3 }
        if first.unit.hasPrefix("user:") {
            return steps.contains { if case .deleteUser = $0.operation { return true } else { return false } } ? 2 : 0
        }
        return first.unit.hasPrefix("role:") ? 1 : 3
    }

    /// Runs units in parallel, as many as `parallelism` at once (immediate ones in batches where the target takes them).
    func run(units: [String], byUnit: [String: [PlanStep]], on grouped: any PulpService, fingerprinter: Fingerprinter,
             progress: @escaping @Sendable (ApplyEvent) -> Void) async -> [String: [StepResult]]
    {
        // On a target that batches, units made only of immediate calls go in batches; the rest one by one.
        var batched: [(unit: String, steps: [PlanStep])] = []
        var single: [String] = []
        for unit in units {
            let steps = byUnit[unit] ?? []
            if grouped.batchesImmediateCalls, leasedRepository(steps) == nil, steps.allSatisfy({ Self.isImmediate($0.operation) }) {
                batched.append((unit, steps))
            } else {
                single.append(unit)
            }
        }
        var resultsByUnit: [String: [StepResult]] = [:]
        let chunks = Self.chunks(batched)
        await withTaskGroup(of: (batches: Bool, results: [(String, [StepResult])]).self) { group in
            if !chunks.isEmpty {
                group.addTask { (true, await self.runBatches(chunks, on: grouped, fingerprinter: fingerprinter, progress: progress)) }
            }
            var next = 0
            func launch() {
                let unit = single[next]
                next += 1
                let steps = byUnit[unit] ?? []
                group.addTask { (false, [(unit, await self.run(steps, on: grouped, fingerprinter: fingerprinter, progress: progress))]) }
            }
            while next < single.count, next < parallelism { launch() }
            while let done = await group.next() {
                for (unit, results) in done.results { resultsByUnit[unit] = results }
                if !done.batches, next < single.count { launch() }
            }
        }
        return resultsByUnit
    }

    /// About this many calls go in one batch (one transaction on the embedded store).
    static let batchSize = 2_048

    typealias Unit = (unit: String, steps: [PlanStep])

    static func chunks(_ units: [Unit]) -> [[Unit]] {
        var out: [[Unit]] = []
        var current: [Unit] = []
        var calls = 0
        for unit in units {
            current.append(unit)
            calls += unit.steps.count
            if calls >= batchSize {
                out.append(current)
                current = []
                calls = 0
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// A batch ready to send: the units whose calls could be made (secrets resolved), and those that could not,
    /// which run one step at a time to report why.
    struct PreparedBatch: Sendable {
        var units: [Unit] = []
        var calls: [[ImmediateCall]] = []
        var unresolved: [Unit] = []
    }

    func prepare(_ chunk: [Unit]) -> PreparedBatch {
        var batch = PreparedBatch()
        for unit in chunk {
            if let calls = try? immediateCalls(unit.steps) {
                batch.units.append(unit)
                batch.calls.append(calls)
            } else {
                batch.unresolved.append(unit)
            }
        }
        return batch
    }

    /// The batches in order. While the store writes one, the next is prepared and handed over, so that the
    /// service can get it ready (and the results of the one before are gathered) before the store is free.
    /// Each batch is a transaction of its own.
    func runBatches(_ chunks: [[Unit]], on pulp: any PulpService, fingerprinter: Fingerprinter,
                    progress: @escaping @Sendable (ApplyEvent) -> Void) async -> [(String, [StepResult])]
    {
        var out: [(String, [StepResult])] = []
        guard let first = chunks.first else { return out }
        func start(_ batch: PreparedBatch) -> Task<[ImmediateOutcome], Never> {
            let calls = batch.calls
            return Task { await pulp.perform(calls) }
        }
        var current = prepare(first)
        var running = start(current)
        var index = 0
        while true {
            let next = index + 1 < chunks.count ? prepare(chunks[index + 1]) : nil
            let nextRunning = next.map(start)
            out += await results(of: current, await running.value, fingerprinter: fingerprinter, progress: progress)
            for unit in current.unresolved {
                out.append((unit.unit, await run(unit.steps, on: pulp, fingerprinter: fingerprinter, progress: progress)))
            }
            guard let next, let nextRunning else { return out }
            current = next
            running = nextRunning
            index += 1
        }
    }

    /// Each unit's results, as if its steps had run one by one.
    func results(of batch: PreparedBatch, _ outcomes: [ImmediateOutcome], fingerprinter: Fingerprinter,
                 progress: @Sendable (ApplyEvent) -> Void) async -> [(String, [StepResult])]
    {
        var out: [(String, [StepResult])] = []
        out.reserveCapacity(batch.units.count)
        var secretChanges: [SecretKey: String?] = [:]
        var secretSteps: [(unit: Int, step: Int)] = []
        for (u, unit) in batch.units.enumerated() {
            let outcome = u < outcomes.count ? outcomes[u] : ImmediateOutcome(completed: 0, failure: StepFailure(message: "not run"))
            var results: [StepResult] = []
            results.reserveCapacity(unit.steps.count)
            for (i, step) in unit.steps.enumerated() {
                if i < outcome.completed {
                    results.append(StepResult(step: step, state: .finished, tasks: []))
                    if !step.secrets.isEmpty {
                        secretChanges.merge(fingerprints(step.secrets, fingerprinter)) { $1 }
                        secretSteps.append((u, i))
                    }
                } else if i == outcome.completed, let failure = outcome.failure {
                    results.append(StepResult(step: step, state: .error, tasks: [], message: Self.message(failure)))
                } else {
                    results.append(StepResult(step: step, state: .skipped, tasks: [],
                                              message: "skipped: \(unit.steps[outcome.completed].address) failed"))
                }
            }
            out.append((unit.unit, results))
        }
        if !secretChanges.isEmpty {
            do {
                try await state.recordSecretFingerprints(secretChanges)
            } catch {
                for (u, i) in secretSteps {
                    out[u].1[i].state = .error
                    out[u].1[i].message = "\(error)"
                }
            }
        }
        progress(.endedTogether(out.flatMap(\.1)))
        return out
    }

    /// The calls of each step, secrets resolved; nil when a step spawns tasks and so cannot be batched.
    func immediateCalls(_ steps: [PlanStep]) throws -> [ImmediateCall]? {
        var calls: [ImmediateCall] = []
        calls.reserveCapacity(steps.count)
        for step in steps {
            guard let call = try immediate(step.operation) else { return nil }
            calls.append(call)
        }
        return calls
    }

    /// The fingerprints to record for a step's secrets (nil forgets one).
    func fingerprints(_ secrets: [SecretKey: SecretSource?], _ fingerprinter: Fingerprinter) -> [SecretKey: String?] {
        var changes: [SecretKey: String?] = [:]
        for (key, source) in secrets {
            if let source, case .success(let value) = self.secrets.resolve(source) {
                changes.updateValue(fingerprinter.fingerprint(value), forKey: key)
            } else {
                changes.updateValue(nil, forKey: key)
            }
        }
        return changes
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let f as StepFailure: return f.message
        case let e as PulpError: return "\(e.code): \(e.message)"
        default: return "\(error)"
        }
    }

    /// The steps of one unit, in order; after a failure the rest are skipped.
    func run(_ steps: [PlanStep], on pulp: any PulpService, fingerprinter: Fingerprinter,
             progress: @Sendable (ApplyEvent) -> Void) async -> [StepResult]
    {
        let leased = leasedRepository(steps)
        if let repoId = leased {
            // A claim that cannot be written (the repository vanished) is left to the steps to report.
            if let holder = try? await acquire(repoId, on: pulp) {
                return steps.map { step in
                    let r = StepResult(step: step, state: .skipped, tasks: [],
                                       message: "skipped: repository \(repoId) is being applied by \(holder)")
                    progress(.ended(r))
                    return r
                }
            }
        }
        var out: [StepResult] = []
        var failed: String?
        for step in steps {
            if let failed {
                let r = StepResult(step: step, state: .skipped, tasks: [], message: "skipped: \(failed) failed")
                progress(.ended(r))
                out.append(r)
                continue
            }
            progress(.started(step))
            let r = await run(step, on: pulp, fingerprinter: fingerprinter)
            progress(.ended(r))
            out.append(r)
            if r.state != .finished { failed = step.address }
        }
        if let repoId = leased { await release(repoId, on: pulp) }
        return out
    }

    struct StepFailure: Error {
        let message: String
        var tasks: [TaskReport] = []
    }

    func run(_ step: PlanStep, on pulp: any PulpService, fingerprinter: Fingerprinter) async -> StepResult {
        do {
            if case .recordAccess(let spec) = step.operation {
                try await record(spec, fingerprinter)
                return StepResult(step: step, state: .finished, tasks: [])
            }
            let tasks = try await execute(step.operation, on: pulp)
            if let bad = tasks.first(where: { $0.state != .finished }) {
                let why = bad.error["description"]?.stringValue ?? bad.state.rawValue
                return StepResult(step: step, state: .error, tasks: tasks, message: "task \(bad.taskId) ended \(bad.state.rawValue): \(why)")
            }
            if !step.secrets.isEmpty { try await state.recordSecretFingerprints(fingerprints(step.secrets, fingerprinter)) }
            return StepResult(step: step, state: .finished, tasks: tasks)
        } catch let f as StepFailure {
            return StepResult(step: step, state: .error, tasks: f.tasks, message: f.message)
        } catch {
            return StepResult(step: step, state: .error, tasks: [], message: Self.message(error))
        }
    }

    /// Writes a user's or role's record; a password's fingerprint is taken from its value now.
    func record(_ spec: AccessRecordSpec, _ fingerprinter: Fingerprinter) async throws {
        let fp = try spec.password.map { fingerprinter.fingerprint(try resolve($0)) }
        try await state.recordAccess([AccessRecord(kind: spec.kind, name: spec.name, applied: spec.applied, passwordFingerprint: fp)])
    }

    /// A role's calls: its fields, then grants and revokes, then members added and removed.
    func apply(_ change: RoleChange, to id: String, on pulp: any PulpService) async throws {
        if change.displayName != nil || change.description != nil {
            try await pulp.updateRole(id, displayName: change.displayName, description: change.description)
        }
        for (resource, ops) in change.grant.sorted(by: { $0.key < $1.key }) {
            try await pulp.changeRolePermission(id, resource: resource, operations: ops, grant: true)
        }
        for (resource, ops) in change.revoke.sorted(by: { $0.key < $1.key }) {
            try await pulp.changeRolePermission(id, resource: resource, operations: ops, grant: false)
        }
        for login in change.addMembers { try await pulp.addRoleMember(id, login: login) }
        for login in change.removeMembers { try await pulp.removeRoleMember(id, login: login) }
    }

    /// Secret references become values here, and only here.
    func resolve(_ config: [String: ConfigValue]) throws -> JSONObject {
        var out = JSONObject()
        for (k, v) in config { out[k] = try resolve(v) }
        return out
    }

    func resolve(_ v: ConfigValue) throws -> JSONValue {
        switch v {
        case .plain(let p): return p
        case .secret(let source): return .string(try resolve(source))
        }
    }

    func resolve(_ source: SecretSource) throws -> String {
        switch secrets.resolve(source) {
        case .success(let s): return s
        case .failure(let f): throw StepFailure(message: f.message)
        }
    }

    func resolve(_ delta: ConfigDelta) throws -> JSONObject {
        var out = JSONObject()
        for (k, v) in delta { out[k] = try v.map(resolve) ?? .null }
        return out
    }

    /// Whether Pulp answers the operation at once, spawning no task.
    static func isImmediate(_ op: StepOperation) -> Bool {
        switch op {
        case .deleteRepository, .setImporter, .updateImporter, .removeImporter, .updateDistributor, .removeDistributor, .syncRepository,
             .createUser, .updateUser, .deleteUser, .createRole, .updateRole, .deleteRole, .recordAccess:
            return false
        default: return true
        }
    }

    /// The call for an operation Pulp answers at once, secrets resolved; nil for one that spawns tasks.
    func immediate(_ op: StepOperation) throws -> ImmediateCall? {
        guard Self.isImmediate(op) else { return nil }
        switch op {
        case .createRepository(let spec):
            return .createRepository(RepositoryCreate(
                id: spec.id, displayName: spec.displayName, description: spec.description, notes: spec.notes,
                importerTypeId: spec.importerType, importerConfig: try resolve(spec.importerConfig),
                distributors: try spec.distributors.map {
                    DistributorCreate(distributorId: $0.id, typeId: $0.type, config: try resolve($0.config), autoPublish: $0.autoPublish)
                }))
        case .updateRepository(let id, let delta): return .updateRepository(id: id, delta: delta)
        case .addDistributor(let r, let spec):
            return .addDistributor(repoId: r, DistributorCreate(distributorId: spec.id, typeId: spec.type, config: try resolve(spec.config),
                                                                autoPublish: spec.autoPublish))
        case .createSchedule(let owner, let spec): return .createSchedule(owner, spec)
        case .updateSchedule(let owner, let id, let update): return .updateSchedule(owner, id: id, update)
        case .deleteSchedule(let owner, let id): return .deleteSchedule(owner, id: id)
        case .registerConsumer(let request): return .registerConsumer(request)
        case .updateConsumer(let id, let delta): return .updateConsumer(id: id, delta: delta)
        case .unregisterConsumer(let id): return .unregisterConsumer(id: id)
        case .deleteRepository, .setImporter, .updateImporter, .removeImporter, .updateDistributor, .removeDistributor, .syncRepository,
             .createUser, .updateUser, .deleteUser, .createRole, .updateRole, .deleteRole, .recordAccess:
            return nil
        }
    }

    /// Calls the step's operation and waits for its tasks.
    func execute(_ op: StepOperation, on pulp: any PulpService) async throws -> [TaskReport] {
        func wait(_ report: CallReport) async throws -> [TaskReport] {
            try await pulp.waitForTasks(report.spawnedTasks, followSpawned: true)
        }
        if let call = try immediate(op) {
            try await pulp.perform(call)
            return []
        }
        switch op {
        case .deleteRepository(let id):
            return try await wait(try await pulp.deleteRepository(id))
        case .setImporter(let r, let t, let config):
            return try await wait(try await pulp.setImporter(repoId: r, typeId: t, config: try resolve(config)))
        case .updateImporter(let r, let t, let config):
            return try await wait(try await pulp.updateImporter(repoId: r, importerId: t, config: try resolve(config)))
        case .removeImporter(let r, let t):
            return try await wait(try await pulp.removeImporter(repoId: r, importerId: t))
        case .updateDistributor(let r, let d, let config, let autoPublish):
            let update = DistributorUpdate(config: config.isEmpty ? nil : try resolve(config),
                                           delta: autoPublish.map { ["auto_publish": .bool($0)] })
            return try await wait(try await pulp.updateDistributor(repoId: r, distributorId: d, update))
        case .removeDistributor(let r, let d):
            return try await wait(try await pulp.removeDistributor(repoId: r, distributorId: d))
        case .syncRepository(let r):
            return try await wait(try await pulp.sync(repoId: r, overrides: [:]))
        case .createUser(let u):
            try await pulp.createUser(UserCreate(login: u.login, name: u.name, password: try u.password.map(resolve)))
            return []
        case .updateUser(let login, let name, let password):
            try await pulp.updateUser(login, UserUpdate(name: name, password: try password.map(resolve).map(UserUpdate.Password.set)))
            return []
        case .deleteUser(let login):
            try await pulp.deleteUser(login)
            return []
        case .createRole(let r):
            try await pulp.createRole(RoleCreate(id: r.id, displayName: r.displayName, description: r.description))
            try await apply(RoleChange(grant: r.permissions, addMembers: r.members), to: r.id, on: pulp)
            return []
        case .updateRole(let id, let change):
            try await apply(change, to: id, on: pulp)
            return []
        case .deleteRole(let id):
            try await pulp.deleteRole(id)
            return []
        case .recordAccess:
            return []  // bookkeeping: written by run(_:on:fingerprinter:)
        case .createRepository, .updateRepository, .addDistributor, .createSchedule, .updateSchedule, .deleteSchedule,
             .registerConsumer, .updateConsumer, .unregisterConsumer:
            return []  // immediate: made above
        }
    }
}
