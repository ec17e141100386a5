import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

@Suite("Batches of immediate calls")
struct BatchTests {
    /// The store's rows with ObjectIds (which differ between two stores) replaced.
    static func normalized(_ store: PulpStore) throws -> [String] {
        let oid = try NSRegularExpression(pattern: "[0-9a-f]{24}")
        return try store.dump().map { line in
            oid.stringByReplacingMatches(in: line, range: NSRange(line.startIndex..., in: line), withTemplate: "OID")
        }
    }

    /// Runs the sequences as one batch in one store, and one call at a time in another; both must end alike.
    static func compare(_ sequences: [[ImmediateCall]]) async throws -> [ImmediateOutcome] {
        let batched = try TestPulp.core()
        let single = try TestPulp.core()
        #expect(batched.pulp.batchesImmediateCalls)
        let outcomes = await batched.pulp.perform(sequences)
        for (calls, outcome) in zip(sequences, outcomes) {
            var done = 0
            var failure: (any Error)?
            for call in calls {
                do {
                    try await single.pulp.perform(call)
                    done += 1
                } catch {
                    failure = error
                    break
                }
            }
            #expect(outcome.completed == done)
            #expect((outcome.failure as? PulpError) == (failure as? PulpError))
        }
        #expect(try normalized(batched.store) == normalized(single.store))
        return outcomes
    }

    static let sync = ScheduleOwner.importer(repoId: "r1", importerId: "yum_importer")

    static func create(_ id: String) -> ImmediateCall {
        .createRepository(RepositoryCreate(
            id: id, notes: ["team": "a"], importerTypeId: "yum_importer", importerConfig: ["feed": .string("https://cdn.example/\(id)")],
            distributors: [DistributorCreate(distributorId: "d", typeId: "yum_distributor",
                                             config: ["relative_url": .string(id), "http": false, "https": true])]))
    }

    @Test("a batch that succeeds stores exactly what the same calls make one at a time")
    func allSucceed() async throws {
        let outcomes = try await Self.compare([
            [Self.create("r1"), .createSchedule(Self.sync, ScheduleCreate(schedule: "2026-01-01T00:00:00Z/PT6H")),
             .updateRepository(id: "r1", delta: ["notes": ["pulpform_managed": "true", "team": nil]])],
            [Self.create("r2"), .updateRepository(id: "r2", delta: ["display_name": "Two", "notes": ["x": "1"]])],
            [.registerConsumer(ConsumerRegister(id: "c1")), .updateConsumer(id: "c1", delta: ["description": "first"])],
        ])
        #expect(outcomes.map(\.completed) == [3, 2, 2])
        #expect(outcomes.allSatisfy { $0.failure == nil })
    }

    @Test("a failed call is undone alone and ends its sequence; the other sequences go on")
    func failures() async throws {
        let outcomes = try await Self.compare([
            [Self.create("r1"), .updateRepository(id: "r1", delta: ["notes": ["k": "v"]])],
            // An invalid schedule fails after the repository was created: the repository stays, the note is not set.
            [Self.create("r2"), .createSchedule(.importer(repoId: "r2", importerId: "yum_importer"), ScheduleCreate(schedule: "bogus")),
             .updateRepository(id: "r2", delta: ["notes": ["k": "v"]])],
            [Self.create("bad id!")],
            // r1 was created by the first sequence of this same batch.
            [Self.create("r1")],
            [.updateRepository(id: "nowhere", delta: ["notes": ["k": "v"]])],
            [.updateRepository(id: "r1", delta: ["notes": ["k2": "v2"]]), .updateRepository(id: "r1", delta: ["bogus": 1])],
        ])
        #expect(outcomes.map(\.completed) == [2, 1, 0, 0, 0, 1])
        #expect((outcomes[1].failure as? PulpError) == .invalidValue(["schedule"]))
        #expect((outcomes[2].failure as? PulpError) == .invalidValue(["repo_id"]))
        #expect((outcomes[3].failure as? PulpError)?.code == "PLP0018")
        #expect((outcomes[4].failure as? PulpError)?.code == "PLP0009")
        #expect((outcomes[5].failure as? PulpError) == .invalidValue(["bogus"]))
    }

    static let applied = ImmediateCall.updateRepository(
        id: "r1", delta: ["notes": [bookkeeping.recorded: "h1", "pulpform_managed": "true"]])

    @Test("calls are made ready before the write: rows built, and owners made earlier in the sequence not looked up")
    func readyCalls() throws {
        let t = try TestPulp.core()
        let ready = t.pulp.ready([
            Self.create("r1"),
            .createSchedule(Self.sync, ScheduleCreate(schedule: "PT6H")),
            .createSchedule(.distributor(repoId: "r1", distributorId: "d"), ScheduleCreate(schedule: "PT1H")),
            .createSchedule(.importer(repoId: "r1", importerId: "iso_importer"), ScheduleCreate(schedule: "PT1H")),
            .createSchedule(.importer(repoId: "r9", importerId: "yum_importer"), ScheduleCreate(schedule: "PT1H")),
            Self.applied,
            .createSchedule(Self.sync, ScheduleCreate(schedule: "bogus")),
            .updateRepository(id: "r1", delta: ["display_name": "One"]),
            Self.applied,
        ], now: t.clock.now())
        let kinds = ready.map { call -> String in
            switch call {
            case .createRepository(let id, _): return "create \(id)"
            case .createSchedule(_, _, let known): return known ? "schedule, owner known" : "schedule"
            case .recordApplied(let id, _, let hash): return "record \(id) \(hash)"
            case .call: return "as it comes"
            }
        }
        #expect(kinds == ["create r1", "schedule, owner known", "schedule, owner known", "schedule", "schedule", "record r1 h1",
                          "as it comes", "as it comes", "as it comes"])
    }

    @Test("ready calls store what the calls store one at a time, and fail the same way")
    func readyCallsCompare() async throws {
        let outcomes = try await Self.compare([
            [Self.create("r1"), .createSchedule(Self.sync, ScheduleCreate(schedule: "PT6H", failureThreshold: 2)),
             .createSchedule(.distributor(repoId: "r1", distributorId: "d"), ScheduleCreate(schedule: "PT1H", enabled: false)),
             Self.applied],
            // An owner of another type than the one created is looked up, and is missing.
            [Self.create("r2"), .createSchedule(.importer(repoId: "r2", importerId: "iso_importer"), ScheduleCreate(schedule: "PT1H")),
             .updateRepository(id: "r2", delta: ["notes": [bookkeeping.recorded: "h2"]])],
            // Recorded on a repository this sequence did not create.
            [.updateRepository(id: "r1", delta: ["notes": [bookkeeping.recorded: "h3", "pulpform_managed": nil]])],
            [.createSchedule(.importer(repoId: "r1", importerId: "yum_importer"), ScheduleCreate(schedule: "PT2H"))],
            [Self.create("r3"), .updateRepository(id: "r3", delta: ["notes": [bookkeeping.recorded: "h4"]]),
             .createSchedule(.importer(repoId: "r3", importerId: "yum_importer"), ScheduleCreate(schedule: "P1X"))],
        ])
        #expect(outcomes.map(\.completed) == [4, 1, 1, 1, 2])
        #expect((outcomes[1].failure as? PulpError)?.code == "PLP0009")
        #expect((outcomes[4].failure as? PulpError) == .invalidValue(["schedule"]))
    }

    @Test("notes written in a batch keep the content hash rules of a single update")
    func contentHash() async throws {
        let t = try TestPulp.core()
        _ = await t.pulp.perform([[Self.create("r1"),
                                   .updateRepository(id: "r1", delta: ["notes": [bookkeeping.recorded: "h1", "pulpform_managed": "true"]])]])
        #expect(try t.store.readSync { db in try db.contentHash("r1") } == "h1", "recording the fingerprint sets the hash")
        _ = await t.pulp.perform([[.updateRepository(id: "r1", delta: ["notes": [bookkeeping.transientPrefix + "x": "lease"]])]])
        #expect(try t.store.readSync { db in try db.contentHash("r1") } == "h1", "a lease note keeps it")
        _ = await t.pulp.perform([[.updateRepository(id: "r1", delta: ["notes": ["team": "b"]])]])
        #expect(try t.store.readSync { db in try db.contentHash("r1") } == nil, "any other note clears it")
        let notes = try await t.pulp.repository("r1", include: .none).repository.notes
        #expect(notes == ["team": "b", bookkeeping.recorded: "h1", "pulpform_managed": "true", bookkeeping.transientPrefix + "x": "lease"])
    }
}
