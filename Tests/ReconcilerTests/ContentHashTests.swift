import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore
@testable import Reconciler

/// The content-hash fast path: after an apply a plan reads no repository, and any change made outside
/// pulpform clears the hash so the full comparison finds it.
@Suite("Content hashes")
struct ContentHashTests {
    func read(_ rig: Rig, _ yaml: String) async throws -> ActualState {
        let m = try rig.manifest(yaml)
        let canon = Canonicalizer(catalog: .builtin, fingerprinter: Fingerprinter(salt: await rig.state.salt()),
                                  recorded: await rig.state.secretFingerprints(), secretValues: [:])
        let planner = Planner(catalog: .builtin, canon: canon, prune: false)
        return try await ActualState.read(from: rig.pulp, expecting: planner.desiredHashes(m))
    }

    func hash(_ rig: Rig) throws -> String? {
        try rig.store.readSync { db in try db.contentHash("zoo") }
    }

    func wait(_ rig: Rig, _ report: CallReport) async throws {
        _ = try await rig.pulp.waitForTasks(report.spawnedTasks, followSpawned: true)
    }

    @Test("the canonical form is written straight to bytes, exactly as its JSON tree serialises")
    func canonicalBytes() throws {
        let dir = try ManifestDir(["m.yaml": StreamingDecoderTests.plain, "token.txt": "abc\n"])
        let m = try ManifestLoader(secrets: SecretResolver(environment: StreamingDecoderTests.env, baseDirectory: dir.path))
            .load(paths: [dir.path])
        let canon = Canonicalizer(catalog: .builtin, fingerprinter: Fingerprinter(salt: "s"), recorded: [:],
                                  secretValues: [.env("PROXY_PW"): "s3cret"])
        let planner = Planner(catalog: .builtin, canon: canon, prune: false)
        let schedules = [CanonSchedule(schedule: "PT1H", enabled: true, failureThreshold: nil, payload: [:]),
                         CanonSchedule(schedule: "2026-01-01T00:00:00Z/P1D", enabled: false, failureThreshold: 2,
                                       payload: ["force_full": true, "list": [1, 2.5, "x"]])]
        let odd = CanonRepository(
            id: "odd", displayName: "Ünïcode \"quoted\" \\ tab\t", description: nil, notes: ["z": 1, "a": ["b": nil]],
            importerType: nil, importerConfig: [:],
            distributors: ["zz": CanonDistributor(id: "zz", type: "iso_distributor", autoPublish: false, config: [:], schedules: schedules),
                           "aa": CanonDistributor(id: "aa", type: "yum_distributor", autoPublish: true,
                                                  config: ["relative_url": "x", "http": false], schedules: [])],
            syncSchedules: schedules.reversed())
        let all = m.repositories.map(planner.canonical) + [odd]
        #expect(all.count == 5)
        for c in all {
            var bytes: [UInt8] = []
            c.write(into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: c.json.serializedBytes(), as: UTF8.self))
            #expect(c.hash == Fingerprinter.digest(c.json.serializedBytes()))
        }
    }

    @Test("after an apply, a plan reads no repository: one query of (id, hash) says all are in sync")
    func inSyncAfterApply() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let actual = try await read(rig, baseManifest)
        #expect(actual.repositories.isEmpty)
        #expect(Set(actual.inSync.keys) == ["emu", "zoo"])
        let applied = try await rig.pulp.repository("zoo", include: .none).repository.notes[OwnershipNotes.applied]
        #expect(try hash(rig).map(JSONValue.string) == applied)
    }

    @Test("runtime writes keep the hash: syncs, publishes, unit counts, schedule firing, leases")
    func runtimeWritesKeepIt() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let before = try hash(rig)
        #expect(before != nil)
        try await wait(rig, try await rig.pulp.sync(repoId: "zoo", overrides: [:]))
        try await wait(rig, try await rig.pulp.publish(repoId: "zoo", distributorId: "yum", overrides: [:]))
        // A schedule's run counters change as it fires.
        try await rig.store.write { db in
            for var s in try db.schedules(kinds: [.sync, .publish]) {
                s.totalRunCount += 1
                s.consecutiveFailures += 1
                s.lastRunAt = PulpDateTime(epoch: 1_700_000_000)
                try db.saveSchedule(s)
            }
        }
        let lease = "\(LeaseOptions.prefix)other"
        _ = try await rig.pulp.updateRepository("zoo", RepositoryUpdate(delta: ["notes": [.init(stringLiteral: lease): "1 2 other"]]))
        _ = try await rig.pulp.updateRepository("zoo", RepositoryUpdate(delta: ["notes": [.init(stringLiteral: lease): nil]]))
        #expect(try hash(rig) == before)
        #expect(try await read(rig, baseManifest).repositories.isEmpty)
    }

    /// Changes made outside pulpform, each through the Pulp API.
    static let outside: [(String, @Sendable (LocalPulp) async throws -> CallReport)] = [
        ("display name", { try await $0.updateRepository("zoo", RepositoryUpdate(delta: ["display_name": "Renamed"])) }),
        ("a note", { try await $0.updateRepository("zoo", RepositoryUpdate(delta: ["notes": ["team": "other"]])) }),
        ("importer config", { try await $0.updateImporter(repoId: "zoo", importerId: "yum_importer", config: ["max_downloads": 9]) }),
        ("distributor config", {
            try await $0.updateDistributor(repoId: "zoo", distributorId: "yum", DistributorUpdate(config: ["protected": true]))
        }),
        ("distributor removed", { try await $0.removeDistributor(repoId: "zoo", distributorId: "export") }),
        ("schedule added", {
            _ = try await $0.createSchedule(.importer(repoId: "zoo", importerId: "yum_importer"), ScheduleCreate(schedule: "PT1H"))
            return CallReport()
        }),
        ("schedule disabled", {
            let owner = ScheduleOwner.distributor(repoId: "zoo", distributorId: "yum")
            let s = try #require(try await $0.schedules(owner).first)
            _ = try await $0.updateSchedule(owner, id: s.id, ScheduleUpdate(enabled: false))
            return CallReport()
        }),
        ("schedule deleted", {
            let owner = ScheduleOwner.importer(repoId: "zoo", importerId: "yum_importer")
            let s = try #require(try await $0.schedules(owner).first)
            try await $0.deleteSchedule(owner, id: s.id)
            return CallReport()
        }),
        ("importer removed", { try await $0.removeImporter(repoId: "zoo", importerId: "yum_importer") }),
    ]

    @Test("a change outside pulpform clears the hash; the plan reads the repository, finds the change, and converges",
          arguments: Array(outside.indices))
    func outsideChangeIsFound(index: Int) async throws {
        let (what, change) = Self.outside[index]
        let rig = try Rig()
        try await rig.converge(baseManifest)
        try await wait(rig, try await change(rig.pulp))
        #expect(try hash(rig) == nil, "\(what) must clear the content hash")
        let actual = try await read(rig, baseManifest)
        #expect(actual.repositories.map(\.repository.id) == ["zoo"])
        let plan = try await rig.plan(baseManifest)
        #expect(plan.hasChanges, "\(what) must show as a change")
        try await rig.converge(baseManifest)
        #expect(try hash(rig) != nil)
    }

    @Test("a store without hashes (an older pulpform) is read in full, and one apply records them")
    func backfill() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        try await rig.store.write { db in try db.setContentHash("zoo", nil) }
        let plan = try await rig.plan(baseManifest)
        #expect(!plan.hasChanges)
        #expect(plan.steps.count == 1, "only the bookkeeping step that records the hash")
        #expect(await rig.apply(plan).succeeded)
        #expect(try hash(rig) != nil)
        #expect(try await read(rig, baseManifest).repositories.isEmpty)
    }
}
