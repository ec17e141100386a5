import Foundation
import Testing
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import Reconciler

@Suite("Leases between concurrent applies")
struct LeaseTests {
    func edited() -> String {
        baseManifest.replacingOccurrences(of: "feed: https://cdn.example.com/zoo/", with: "feed: https://lease.example.com/zoo/")
            .replacingOccurrences(of: "config: {feed: https://cdn.example.com/emu/}", with: "config: {feed: https://lease.example.com/emu/}")
    }

    func applier(_ rig: Rig, holder: String, now: Double = 1_700_000_000) -> Applier {
        Applier(pulp: rig.pulp, state: rig.state, secrets: rig.resolver, parallelism: 2,
                leases: LeaseOptions(holder: holder, ttl: 600, now: { now }))
    }

    @Test("a repository leased by another apply is skipped, naming the holder; other repositories go on")
    func heldLease() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let other = applier(rig, holder: "job-1", now: 1_700_000_000)
        #expect(try await other.acquire("zoo", on: rig.pulp) == nil, "job 1 holds zoo")
        let plan = try await rig.plan(edited())
        let report = await applier(rig, holder: "job-2", now: 1_700_000_010).apply(plan)
        #expect(!report.succeeded)
        let zoo = report.results.filter { $0.step.unit == "repository:zoo" }
        #expect(!zoo.isEmpty && zoo.allSatisfy { $0.state == .skipped })
        #expect(zoo.first?.message?.contains("being applied by job-1") == true)
        #expect(report.results.filter { $0.step.unit == "repository:emu" }.allSatisfy { $0.state == .finished })
        let notes = try await rig.pulp.repository("zoo", include: .none).repository.notes
        #expect(notes.keys.filter { $0.hasPrefix(LeaseOptions.prefix) } == [LeaseOptions(holder: "job-1").key], "job 2 took its claim back")
        // Job 1 finishes; job 2 then goes through and leaves no lease behind.
        await other.release("zoo", on: rig.pulp)
        let again = await applier(rig, holder: "job-2", now: 1_700_000_020).apply(try await rig.plan(edited()))
        #expect(again.succeeded)
        #expect(try await rig.pulp.repository("zoo", include: .none).repository.notes.keys.allSatisfy { !$0.hasPrefix(LeaseOptions.prefix) })
        #expect(!(try await rig.plan(edited())).hasChanges)
    }

    @Test("expired claims are cleaned up; the oldest valid claim wins whatever the order of writing")
    func expiryAndOrder() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let stale = applier(rig, holder: "crashed-job", now: 1_600_000_000)
        #expect(try await stale.acquire("zoo", on: rig.pulp) == nil)
        let report = await applier(rig, holder: "job-3", now: 1_700_000_000).apply(try await rig.plan(edited()))
        #expect(report.succeeded, "the crashed job's lease expired long ago")
        #expect(try await rig.pulp.repository("zoo", include: .none).repository.notes.keys.allSatisfy { !$0.hasPrefix(LeaseOptions.prefix) })
        // Two claims written in either order: the earlier acquisition wins for both readers.
        let early = applier(rig, holder: "b-early", now: 1_700_000_100)
        let late = applier(rig, holder: "a-late", now: 1_700_000_200)
        #expect(try await late.acquire("emu", on: rig.pulp) == nil)
        #expect(try await early.acquire("emu", on: rig.pulp) == nil, "an older claim wins even when written second")
        #expect(try await late.acquire("emu", on: rig.pulp)?.contains("b-early") == true)
        await early.release("emu", on: rig.pulp)
    }

    @Test("leases do not make a saved plan stale")
    func guards() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let m = try rig.manifest(edited())
        let canon = Canonicalizer(catalog: .builtin, fingerprinter: Fingerprinter(salt: await rig.state.salt()),
                                  recorded: await rig.state.secretFingerprints(), secretValues: [:])
        let planner = Planner(catalog: .builtin, canon: canon, prune: false)
        let before = planner.guards(for: planner.plan(m, try await ActualState.read(from: rig.pulp)), in: try await ActualState.read(from: rig.pulp))
        _ = try await applier(rig, holder: "someone").acquire("zoo", on: rig.pulp)
        let during = planner.guards(for: planner.plan(m, try await ActualState.read(from: rig.pulp)), in: try await ActualState.read(from: rig.pulp))
        #expect(before == during)
    }
}
