import Synchronization
import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import PulpStore

/// A fresh store file in a temporary directory, removed afterwards.

struct Boom: Error {}

@Suite("The SQLite store")
struct StoreTests {
    @Test("a new store is a WAL file with the named migrations, in order")
    func opens() throws {
        let t = try TempStore()
        #expect(FileManager.default.fileExists(atPath: t.store.path))
        #expect(try t.store.journalMode() == "wal")
        #expect(try t.store.appliedMigrations() == ["v1-resources", "v1-tasks", "v2-reconciler-state", "v3-content-hash", "v4-content-hash-triggers", "v5-content", "v6-content-incomplete-units", "v7-uploads", "v8-lazy-catalog", "v9-auth", "v10-auth-version", "v11-login-certificates", "v12-reconciler-access"])
        // Reopening migrates nothing new and keeps the data.
        try t.store.writeSync { db in try db.insertRepository(Repository(id: "zoo", oid: PulpIDs.objectId())) }
        let again = try PulpStore(path: t.store.path)
        #expect(try again.appliedMigrations() == ["v1-resources", "v1-tasks", "v2-reconciler-state", "v3-content-hash", "v4-content-hash-triggers", "v5-content", "v6-content-incomplete-units", "v7-uploads", "v8-lazy-catalog", "v9-auth", "v10-auth-version", "v11-login-certificates", "v12-reconciler-access"])
        #expect(try again.readSync { db in try db.repository("zoo")?.displayName } == "zoo")
    }

    @Test("the default path is PULPFORM_DB, else ./pulpform.db")
    func defaultPath() {
        #expect(PulpStore.defaultPath(environment: [:]) == "./pulpform.db")
        #expect(PulpStore.defaultPath(environment: ["PULPFORM_DB": "/srv/p.db"]) == "/srv/p.db")
        #expect(PulpStore.defaultPath(environment: ["PULPFORM_DB": ""]) == "./pulpform.db")
    }

    @Test("a store in a missing directory is a clear error, not a crash")
    func badPath() {
        #expect {
            _ = try PulpStore(path: "/nonexistent-\(UUID().uuidString)/pulpform.db")
        } throws: { error in
            guard case StoreError.open(_, let reason) = error else { return false }
            return reason.contains("does not exist")
        }
    }

    @Test("a write that throws half-way leaves the store exactly as it was")
    func rollback() async throws {
        let t = try TempStore()
        try t.store.writeSync { db in try db.insertRepository(Repository(id: "keep", oid: PulpIDs.objectId())) }
        let before = try t.store.dump()
        await #expect(throws: Boom.self) {
            try await t.store.write { db in
                try db.insertRepository(Repository(id: "half", oid: PulpIDs.objectId()))
                try db.saveImporter(Importer(repoId: "half", typeId: "yum_importer", oid: PulpIDs.objectId(), config: ["feed": "x"]))
                try db.deleteRepository("keep")
                throw Boom()
            }
        }
        #expect(try t.store.dump() == before)
    }

    @Test("a write alone in its transaction, which runs without a savepoint, still fails alone and leaves nothing")
    func loneWriteRollback() async throws {
        let t = try TempStore()
        try await t.store.write { db in try db.setMeta("a", "1") }
        let before = try t.store.dump()
        let transactions = t.store.batcher.transactions.load(ordering: .relaxed)
        await #expect(throws: Boom.self) {
            try await t.store.write { db in
                try db.setMeta("b", "2")
                try db.insertRepository(Repository(id: "half", oid: PulpIDs.objectId()))
                throw Boom()
            }
        }
        #expect(t.store.batcher.transactions.load(ordering: .relaxed) == transactions + 1, "it ran alone")
        #expect(try t.store.dump() == before)
        // The writer is usable afterwards.
        try await t.store.write { db in try db.setMeta("c", "3") }
        #expect(try t.store.readSync { db in try db.meta("c") } == "3")
    }

    @Test("deleting a repository cascades to its importer, distributors, schedules, units and history")
    func cascade() throws {
        let t = try TempStore()
        let now = PulpDateTime(epoch: 1_400_000_000)
        try t.store.writeSync { db in
            try db.insertRepository(Repository(id: "zoo", oid: PulpIDs.objectId()))
            try db.insertRepository(Repository(id: "other", oid: PulpIDs.objectId()))
            try db.saveImporter(Importer(repoId: "zoo", typeId: "yum_importer", oid: PulpIDs.objectId(), config: [:]))
            try db.saveDistributor(Distributor(repoId: "zoo", id: "d", typeId: "yum_distributor", oid: PulpIDs.objectId(),
                                               config: [:], autoPublish: false))
            let interval = try ISOInterval.parse("PT1H")
            try db.saveSchedule(Schedule.new(id: PulpIDs.objectId(), owner: .importer(repoId: "zoo", importerId: "yum_importer"),
                                             interval: interval, kwargs: [:], enabled: true, failureThreshold: nil, now: now))
            try db.saveSchedule(Schedule.new(id: PulpIDs.objectId(), owner: .distributor(repoId: "zoo", distributorId: "d"),
                                             interval: interval, kwargs: [:], enabled: true, failureThreshold: nil, now: now))
            _ = try db.addUnits(repoId: "zoo", typeId: "rpm", unitIds: ["a", "b"])
            try db.insertSyncHistory(SyncHistoryEntry(oid: PulpIDs.objectId(), repoId: "zoo", importerTypeId: "yum_importer",
                                                      started: now, completed: now, result: .success, addedCount: 2))
            try db.insertPublishHistory(PublishHistoryEntry(oid: PulpIDs.objectId(), repoId: "zoo", distributorId: "d",
                                                            distributorTypeId: "yum_distributor", started: now, completed: now,
                                                            result: .success))
        }
        try t.store.writeSync { db in try db.deleteRepository("zoo") }
        // The built-in super-users role and its grant are not the repository's.
        let rest = try t.store.dump().filter { !$0.hasPrefix("roles:") && !$0.hasPrefix("grants:") && !$0.hasPrefix("auth_version:") }
        #expect(rest.count == 1, "only the other repository is left: \(rest)")
        #expect(rest.first?.hasPrefix("repositories:") == true)
    }

    @Test("schedules round-trip, offsets included")
    func scheduleRoundTrip() throws {
        let t = try TempStore()
        try t.store.writeSync { db in try db.saveConsumer(Consumer(id: "me", oid: PulpIDs.objectId())) }
        let s = Schedule.new(id: PulpIDs.objectId(), owner: .consumer(consumerId: "me", action: .install),
                             interval: try ISOInterval.parse("R3/2014-01-01T00:00:00+02:00/P1D"),
                             kwargs: ["units": [["type_id": "rpm"]], "options": [:]], enabled: true, failureThreshold: 4,
                             now: PulpDateTime(epoch: 1_400_000_000.25))
        try t.store.writeSync { db in try db.saveSchedule(s) }
        let back = try t.store.readSync { db in try db.schedule(id: s.id) }
        #expect(back == s)
        #expect(back?.firstRun.iso8601 == "2014-01-01T00:00:00+02:00")
        // Unregistering the consumer removes its schedules.
        try t.store.writeSync { db in try db.deleteConsumer("me") }
        #expect(try t.store.readSync { db in try db.allSchedules() }.isEmpty)
    }

    @Test("history honours sort, limit and dates")
    func history() throws {
        let t = try TempStore()
        try t.store.writeSync { db in
            try db.insertRepository(Repository(id: "zoo", oid: PulpIDs.objectId()))
            for day in 0..<5 {
                let when = PulpDateTime(epoch: 1_388_534_400 + Double(day) * 86400)
                try db.insertSyncHistory(SyncHistoryEntry(oid: "\(day)", repoId: "zoo", importerTypeId: "yum_importer",
                                                          started: when, completed: when, result: .success, addedCount: day))
            }
        }
        func counts(_ q: HistoryQuery) throws -> [Int] {
            try t.store.readSync { db in try db.syncHistory(repoId: "zoo", query: q).map(\.addedCount) }
        }
        #expect(try counts(HistoryQuery()) == [4, 3, 2, 1, 0], "newest first by default")
        #expect(try counts(HistoryQuery(ascending: true)) == [0, 1, 2, 3, 4])
        #expect(try counts(HistoryQuery(limit: 2)) == [4, 3])
        #expect(try counts(HistoryQuery(startDate: PulpDateTime(epoch: 1_388_534_400 + 86400),
                                        endDate: PulpDateTime(epoch: 1_388_534_400 + 3 * 86400))) == [3, 2, 1])
    }

    @Test("tasks: tag filters need every tag, purges take only the given states")
    func tasks() throws {
        let t = try TempStore()
        func task(_ id: String, _ state: TaskState, _ tags: [String], group: String? = nil) -> StoredTask {
            StoredTask(report: TaskReport(taskId: id, oid: PulpIDs.objectId(), state: state, taskType: TaskType.sync, tags: tags,
                                          groupId: group), resource: tags.first, operation: ["op": "sync"])
        }
        try t.store.writeSync { db in
            try db.insertTask(task("a", .finished, ["pulp:repository:zoo", "pulp:action:sync"]))
            try db.insertTask(task("b", .error, ["pulp:repository:zoo", "pulp:action:publish"]))
            try db.insertTask(task("c", .waiting, ["pulp:repository:emu", "pulp:action:sync"]))
            try db.insertTask(task("g", .finished, ["pulp:repository:zoo", "pulp:action:sync"], group: "grp"))
        }
        let ids = { (tags: [String]) in try t.store.readSync { db in try db.tasks(withAllTags: tags).map(\.report.taskId) } }
        #expect(try ids(["pulp:action:sync"]) == ["a", "c"], "grouped tasks are not listed")
        #expect(try ids(["pulp:repository:zoo", "pulp:action:sync"]) == ["a"])
        #expect(try ids([]) == ["a", "b", "c"])
        #expect(try t.store.readSync { db in try db.taskStates(groupId: "grp") } == [.finished])
        #expect(try t.store.readSync { db in try db.tasks(ids: ["c", "nope", "a"]).map(\.report.taskId) } == ["c", "a"])
        #expect(try t.store.writeSync { db in try db.purgeTasks(states: [.finished]) } == 2)
        #expect(try t.store.readSync { db in try db.allTasks().map(\.report.taskId) } == ["b", "c"])
    }
}

@Suite("Group commit")
struct WriteBatcherTests {
    /// Holds the store's writer in a first write until `body` calls `release`, so that what `body` writes
    /// meanwhile queues behind it.
    static func holdingWriter<T>(_ store: PulpStore, _ body: (_ release: @escaping @Sendable () -> Void) async throws -> T)
        async throws -> T
    {
        let gate = DispatchSemaphore(value: 0)
        async let first: Void = store.write { db in
            gate.wait()
            try db.setMeta("first", "1")
        }
        while store.batcher.transactions.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let result: T
        do {
            result = try await body { gate.signal() }
        } catch {
            gate.signal()
            try? await first
            throw error
        }
        try await first
        #expect(try store.readSync { db in try db.meta("first") } == "1")
        return result
    }

    @Test("a write that must be alone never shares its transaction, and ends the group queued before it")
    func alone() async throws {
        let t = try TempStore()
        let store = t.store
        try await Self.holdingWriter(store) { release in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Queued in this order: five writes, one alone, five more.
                for i in 0..<11 {
                    group.addTask {
                        try await store.write(alone: i == 5) { db in try db.setMeta("k\(i)", "\(i)") }
                    }
                    while store.batcher.pendingCount < i + 1 { try await Task.sleep(for: .milliseconds(1)) }
                }
                release()
                try await group.waitForAll()
            }
        }
        #expect(store.batcher.transactions.load(ordering: .relaxed) == 4, "the first, five together, the one alone, five together")
        for i in 0..<11 { #expect(try store.readSync { db in try db.meta("k\(i)") } == "\(i)") }
    }

    @Test("writes that arrive together share one transaction; a failing one is rolled back alone")
    func groupCommit() async throws {
        let t = try TempStore()
        let store = t.store
        // The first write holds the writer until 50 more are queued behind it.
        let results = try await Self.holdingWriter(store) { release in
            try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for i in 0..<50 {
                    group.addTask {
                        do {
                            try await store.write { db in
                                try db.setMeta("k\(i)", "\(i)")
                                if i % 10 == 3 { throw Boom() }
                            }
                            return (i, true)
                        } catch is Boom {
                            return (i, false)
                        }
                    }
                }
                while store.batcher.pendingCount < 50 { try await Task.sleep(for: .milliseconds(1)) }
                release()
                var out: [Int: Bool] = [:]
                for try await (i, ok) in group { out[i] = ok }
                return out
            }
        }
        #expect(store.batcher.transactions.load(ordering: .relaxed) == 2, "50 queued writes commit in one transaction")
        for i in 0..<50 {
            let stored = try store.readSync { db in try db.meta("k\(i)") }
            if i % 10 == 3 {
                #expect(results[i] == false)
                #expect(stored == nil, "a failed write leaves nothing behind")
            } else {
                #expect(results[i] == true)
                #expect(stored == "\(i)")
            }
        }
    }
}
