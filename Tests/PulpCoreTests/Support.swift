import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

/// Holds tasks at the moment they start, so tests can observe reservations and cancels without sleeping.
actor TaskGate {
    private var held: Set<String> = []
    private var blocked: [String: [CheckedContinuation<Void, Never>]] = [:]
    private(set) var started: [String] = []
    private var startWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    /// Tasks carrying this tag stop when they start, until `release`.
    func hold(_ tag: String) { held.insert(tag) }

    func release(_ tag: String) {
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
    func waitForStarts(_ n: Int) async {
        if started.count >= n { return }
        await withCheckedContinuation { startWaiters.append((n, $0)) }
    }
}

/// A LocalPulp over a real SQLite file in a fresh directory.
final class TestPulp: @unchecked Sendable {
    let temp: TempStore
    let dir: URL
    let store: PulpStore
    let pulp: LocalPulp
    let gate = TaskGate()
    let clock: ManualClock

    init(workers: Int = 4, start: Double = 1_456_826_400) throws {
        temp = try TempStore("pulpform-core")
        dir = temp.dir
        store = temp.store
        clock = ManualClock(PulpDateTime(epoch: start))
        let gate = self.gate
        pulp = LocalPulp(store: store, clock: clock, workers: workers, contentHashNotes: bookkeeping,
                         willRunTask: { await gate.arrive($0) })
    }

    var publishDir: String { dir.appendingPathComponent("publish").path }

    /// Waits for a call report's tasks (and what they spawn) and returns their reports.
    @discardableResult
    func wait(_ report: CallReport) async throws -> [TaskReport] {
        try await pulp.waitForTasks(report.spawnedTasks, followSpawned: true)
    }

    /// Waits for one task and expects it to finish.
    @discardableResult
    func finished(_ report: CallReport, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskReport {
        let reports = try await wait(report)
        let first = try #require(reports.first, sourceLocation: sourceLocation)
        #expect(first.state == .finished, "\(first.error)", sourceLocation: sourceLocation)
        return first
    }

    /// The seed's harness repository.
    func createHarnessRepo(_ id: String = "harness_repo_1", autoPublish: Bool = false) async throws -> Repository {
        try await pulp.createRepository(RepositoryCreate(
            id: id, displayName: "Harness Repository: \(id)", importerTypeId: "harness_importer",
            importerConfig: ["num_units": "5", "write_files": "true"],
            distributors: [DistributorCreate(distributorId: "dist_1", typeId: "harness_distributor",
                                             config: ["publish_dir": .string(publishDir), "write_files": "true"],
                                             autoPublish: autoPublish)]))
    }
}

/// Expects `keys` to be present in `object`.
func expectKeys(_ keys: [String], in object: JSONObject?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let object else {
        Issue.record("\(what): no object", sourceLocation: sourceLocation)
        return
    }
    let missing = keys.filter { object[$0] == nil }
    #expect(missing.isEmpty, "\(what) lacks \(missing)", sourceLocation: sourceLocation)
}

/// Expects a Pulp error with this code (and, if given, this status).
func expectPulpError(_ code: String, status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> Void) async
{
    do {
        try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let e as PulpError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
        if let status { #expect(e.httpStatus == status, sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// The reconciler's bookkeeping notes, as PulpCore is given them: PulpCore keeps the mechanism only.
let bookkeeping = ContentHashNotes(recorded: "pulpform_applied", alongside: ["pulpform_managed"], transientPrefix: "pulpform_lease_")
