public import Foundation
public import PulpContract
public import PulpCore
public import PulpModel
public import PulpStore
public import Testing

/// The store and service rig of every suite: a real SQLite file in a fresh directory and `LocalPulp` over it, on a
/// manual clock that starts at the seeds' date (or on the system clock, with `realTime`).
public final class TestPulp: @unchecked Sendable {
    /// 2016-03-01T10:00:00Z, the seeds' date.
    public static let seedEpoch: Double = 1_456_826_400

    public let temp: TempStore
    public let pulp: LocalPulp
    /// Holds tasks as they start, for tests of reservations and cancels.
    public let gate = TaskGate()
    /// The clock the service runs on, unless `realTime`.
    public let clock: ManualClock

    public init(_ prefix: String = "pulpform-test", catalog: PluginCatalog = .builtin, plugins: PluginRegistry = .builtin,
                workers: Int = 4, start: Double = TestPulp.seedEpoch, realTime: Bool = false,
                contentHashNotes: ContentHashNotes? = nil, passwordIterations: Int = 1_000) throws
    {
        temp = try TempStore(prefix)
        let clock = ManualClock(PulpDateTime(epoch: start))
        self.clock = clock
        let gate = self.gate
        pulp = LocalPulp(store: temp.store, catalog: catalog, plugins: plugins, clock: realTime ? SystemClock() : clock,
                         workers: workers, contentHashNotes: contentHashNotes, willRunTask: { await gate.arrive($0) },
                         passwordIterations: passwordIterations)
    }

    public var dir: URL { temp.dir }
    public var store: PulpStore { temp.store }
    public var publishDir: String { dir.appendingPathComponent("publish").path }

    /// Waits for a call report's tasks (and what they spawn) and returns their reports.
    @discardableResult
    public func wait(_ report: CallReport) async throws -> [TaskReport] {
        try await pulp.waitForTasks(report.spawnedTasks, followSpawned: true)
    }

    /// Waits for one task and expects it to finish.
    @discardableResult
    public func finished(_ report: CallReport, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskReport {
        let reports = try await wait(report)
        let first = try #require(reports.first, sourceLocation: sourceLocation)
        #expect(first.state == .finished, "\(first.error)", sourceLocation: sourceLocation)
        return first
    }

    /// The seed's harness repository with `dist_1`, publishing under `publishDir`.
    public func harnessRepository(_ id: String = "harness_repo_1", autoPublish: Bool = false) -> RepositoryCreate {
        RepositoryCreate(
            id: id, displayName: "Harness Repository: \(id)", importerTypeId: "harness_importer",
            importerConfig: ["num_units": "5", "write_files": "true"],
            distributors: [DistributorCreate(distributorId: "dist_1", typeId: "harness_distributor",
                                             config: ["publish_dir": .string(publishDir), "write_files": "true"],
                                             autoPublish: autoPublish)])
    }

    /// Creates the seed's harness repository.
    public func createHarnessRepo(_ id: String = "harness_repo_1", autoPublish: Bool = false) async throws -> Repository {
        try await pulp.createRepository(harnessRepository(id, autoPublish: autoPublish))
    }
}

/// Holds tasks at the moment they start, so tests can observe reservations and cancels without sleeping.
public actor TaskGate {
    private var held: Set<String> = []
    private var blocked: [String: [CheckedContinuation<Void, Never>]] = [:]
    public private(set) var started: [String] = []
    private var startWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    /// Tasks carrying this tag stop when they start, until `release`.
    public func hold(_ tag: String) { held.insert(tag) }

    public func release(_ tag: String) {
        held.remove(tag)
        for c in blocked.removeValue(forKey: tag) ?? [] { c.resume() }
    }

    func arrive(_ report: TaskReport) async {
        started.append(report.taskId)
        let ready = startWaiters.filter { $0.0 <= started.count }
        startWaiters.removeAll { $0.0 <= started.count }
        for (_, c) in ready { c.resume() }
        if let tag = report.tags.first(where: { held.contains($0) }) {
            await withCheckedContinuation { blocked[tag, default: []].append($0) }
        }
    }

    /// Waits until `n` tasks have started.
    public func waitForStarts(_ n: Int) async {
        if started.count >= n { return }
        await withCheckedContinuation { startWaiters.append((n, $0)) }
    }
}
