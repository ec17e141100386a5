import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

@Suite("Pulp operations")
struct OperationTests {
    @Test("create is all or nothing: a bad second distributor leaves the store unchanged")
    func createAllOrNothing() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo("existing")
        let before = try t.store.dump()
        let request = RepositoryCreate(
            id: "half", importerTypeId: "yum_importer", importerConfig: ["feed": "https://cdn.example/x"],
            distributors: [
                DistributorCreate(distributorId: "ok", typeId: "yum_distributor", config: ["relative_url": "x", "http": false, "https": true]),
                DistributorCreate(distributorId: "bad.id", typeId: "yum_distributor"),
            ])
        await expectPulpError("PLP0015", status: 400) { _ = try await t.pulp.createRepository(request) }
        #expect(try t.store.dump() == before)
        // An unknown importer type or distributor type fails the same way.
        var badImporter = request
        badImporter.importerTypeId = "nope_importer"
        await expectPulpError("PLP1008", status: 400) { _ = try await t.pulp.createRepository(badImporter) }
        var badType = request
        badType.distributors = [DistributorCreate(distributorId: "d", typeId: "nope_distributor")]
        await expectPulpError("PLP0015") { _ = try await t.pulp.createRepository(badType) }
        var noType = request
        noType.distributors = [DistributorCreate(distributorId: "d", typeId: nil)]
        await expectPulpError("PLP0016") { _ = try await t.pulp.createRepository(noType) }
        #expect(try t.store.dump() == before)
    }

    @Test("ids: invalid repository ids are PLP0015 repo_id, duplicates PLP0018")
    func ids() async throws {
        let t = try TestPulp.core()
        for bad in [nil, "", "bad id!", "a/b"] as [String?] {
            do {
                _ = try await t.pulp.createRepository(RepositoryCreate(id: bad))
                Issue.record("accepted \(String(describing: bad))")
            } catch let e as PulpError {
                #expect(e == .invalidValue(["repo_id"]))
            }
        }
        _ = try await t.pulp.createRepository(RepositoryCreate(id: "zoo", notes: ["a": "1", "b": nil]))
        await expectPulpError("PLP0018", status: 409) { _ = try await t.pulp.createRepository(RepositoryCreate(id: "zoo")) }
        let zoo = try await t.pulp.repository("zoo", include: .none).repository
        #expect(zoo.notes == ["a": "1", "b": nil], "notes keep nulls")
        #expect(zoo.displayName == "zoo")
    }

    @Test("configs are cleaned of nulls on create and on replace")
    func cleaning() async throws {
        let t = try TestPulp.core()
        _ = try await t.pulp.createRepository(RepositoryCreate(
            id: "r", importerTypeId: "yum_importer", importerConfig: ["feed": "x", "proxy_host": nil],
            distributors: [DistributorCreate(distributorId: "d", typeId: "yum_distributor", config: ["relative_url": nil, "http": true])]))
        #expect(try await t.pulp.importer(repoId: "r", importerId: "yum_importer").config == ["feed": "x"])
        #expect(try await t.pulp.distributor(repoId: "r", distributorId: "d").config == ["http": true])
        try await t.finished(try await t.pulp.setImporter(repoId: "r", typeId: "iso_importer", config: ["feed": "y", "max_speed": nil]))
        #expect(try await t.pulp.importers(repoId: "r").map(\.config) == [["feed": "y"]])
    }

    @Test("repository update: notes merge with null removal, read-only keys ignored, bad keys rejected")
    func repositoryUpdate() async throws {
        let t = try TestPulp.core()
        _ = try await t.pulp.createRepository(RepositoryCreate(id: "r", notes: ["keep": "1", "drop": "2"]))
        let report = try await t.pulp.updateRepository("r", RepositoryUpdate(delta: [
            "notes": ["drop": nil, "new": "3", "absent": nil], "description": "d", "content_unit_counts": ["rpm": 9],
            "last_unit_added": "2014-01-01T00:00:00Z",
        ]))
        #expect(report.spawnedTasks.isEmpty)
        #expect(report.result["notes"] == ["keep": "1", "new": "3"])
        #expect(report.result["description"] == "d")
        #expect(report.result["content_unit_counts"] == [:])
        await expectPulpError("PLP0015") { _ = try await t.pulp.updateRepository("r", RepositoryUpdate(delta: ["bogus": 1])) }
        await expectPulpError("PLP0009", status: 404) { _ = try await t.pulp.updateRepository("nope", RepositoryUpdate()) }
        await expectPulpError("PLP0009", status: 404) { _ = try await t.pulp.deleteRepository("nope") }
        // importer_config without an importer is a 404, and nothing else of the update is kept.
        await expectPulpError("PLP0009") {
            _ = try await t.pulp.updateRepository("r", RepositoryUpdate(delta: ["description": "changed"], importerConfig: ["a": 1]))
        }
        #expect(try await t.pulp.repository("r", include: .none).repository.description == "d")
    }

    @Test("distributor_configs spawn one task per distributor that merges with null removal")
    func distributorConfigs() async throws {
        let t = try TestPulp.core()
        _ = try await t.pulp.createRepository(RepositoryCreate(id: "r", distributors: [
            DistributorCreate(distributorId: "a", typeId: "yum_distributor", config: ["relative_url": "a", "checksum_type": "sha1"]),
            DistributorCreate(distributorId: "b", typeId: "yum_distributor", config: ["relative_url": "b"]),
        ]))
        let report = try await t.pulp.updateRepository("r", RepositoryUpdate(distributorConfigs: [
            "a": ["checksum_type": nil, "http": true], "b": ["absent": nil],
        ]))
        #expect(report.spawnedTasks.count == 2)
        let done = try await t.wait(report)
        #expect(done.allSatisfy { $0.state == .finished })
        #expect(try await t.pulp.distributor(repoId: "r", distributorId: "a").config == ["relative_url": "a", "http": true])
        #expect(try await t.pulp.distributor(repoId: "r", distributorId: "b").config == ["relative_url": "b"])
    }

    @Test("a non-bool auto_publish fails the task with PLP0015 and changes nothing")
    func autoPublishType() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        let before = try await t.pulp.distributor(repoId: "harness_repo_1", distributorId: "dist_1")
        let task = try #require(try await t.wait(try await t.pulp.updateDistributor(
            repoId: "harness_repo_1", distributorId: "dist_1",
            DistributorUpdate(config: ["extra": "x"], delta: ["auto_publish": "yes"]))).first)
        #expect(task.state == .error)
        #expect(task.error["code"] == "PLP0015")
        #expect(task.error["data"]?["property_names"] == ["auto_publish"])
        #expect(task.traceback?.contains("Traceback") == true)
        #expect(try await t.pulp.distributor(repoId: "harness_repo_1", distributorId: "dist_1") == before)
    }

    @Test("importer replace deletes the old importer's sync schedules; 404s name the importer")
    func importerReplace() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        let owner = ScheduleOwner.importer(repoId: "harness_repo_1", importerId: "harness_importer")
        _ = try await t.pulp.createSchedule(owner, ScheduleCreate(schedule: "PT1H"))
        await expectPulpError("PLP1008", status: 400) {
            _ = try await t.pulp.setImporter(repoId: "harness_repo_1", typeId: "nope", config: [:])
        }
        await expectPulpError("PLP0009", status: 404) { _ = try await t.pulp.setImporter(repoId: "nope", typeId: "yum_importer", config: [:]) }
        try await t.finished(try await t.pulp.setImporter(repoId: "harness_repo_1", typeId: "yum_importer", config: ["feed": "x"]))
        #expect(try await t.store.read { db in try db.allSchedules() }.isEmpty)
        do {
            _ = try await t.pulp.importer(repoId: "harness_repo_1", importerId: "harness_importer")
            Issue.record("old importer still there")
        } catch let e as PulpError {
            #expect(e.extra["resources"] == ["importer_id": "harness_importer"])
        }
        await expectPulpError("PLP0009") { _ = try await t.pulp.schedules(owner) }
        #expect(try await t.pulp.importers(repoId: "nope") == [], "2.8 answers [] for an unknown repository")
    }

    @Test("adding a distributor with an existing id replaces it and its publish schedules")
    func distributorReplace() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        let owner = ScheduleOwner.distributor(repoId: "harness_repo_1", distributorId: "dist_1")
        _ = try await t.pulp.createSchedule(owner, ScheduleCreate(schedule: "PT1H"))
        let replaced = try await t.pulp.addDistributor(repoId: "harness_repo_1",
                                                       DistributorCreate(distributorId: "dist_1", typeId: "yum_distributor",
                                                                         config: ["relative_url": "x"], autoPublish: true))
        #expect(replaced.typeId == "yum_distributor")
        #expect(try await t.pulp.schedules(owner).isEmpty)
        let generated = try await t.pulp.addDistributor(repoId: "harness_repo_1", DistributorCreate(distributorId: nil, typeId: "iso_distributor"))
        #expect(generated.id.count == 36, "a uuid4")
        await expectPulpError("PLP0015") {
            _ = try await t.pulp.addDistributor(repoId: "harness_repo_1", DistributorCreate(distributorId: "has.dot", typeId: "iso_distributor"))
        }
        await expectPulpError("PLP0016") {
            _ = try await t.pulp.addDistributor(repoId: "harness_repo_1", DistributorCreate(distributorId: "x", typeId: nil))
        }
        // Removing a distributor removes its publish schedules.
        _ = try await t.pulp.createSchedule(owner, ScheduleCreate(schedule: "PT1H"))
        try await t.finished(try await t.pulp.removeDistributor(repoId: "harness_repo_1", distributorId: "dist_1"))
        #expect(try await t.store.read { db in try db.allSchedules() }.isEmpty)
        do {
            _ = try await t.pulp.distributor(repoId: "harness_repo_1", distributorId: "dist_1")
            Issue.record("distributor still there")
        } catch let e as PulpError {
            #expect(e.extra["resources"] == ["repo_id": "harness_repo_1", "distributor_id": "dist_1"])
        }
    }

    @Test("sync adds units, records history, sets last_sync and spawns auto-publishes")
    func syncAndPublish() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo(autoPublish: true)
        let tasks = try await t.wait(try await t.pulp.sync(repoId: "harness_repo_1", overrides: ["num_units": "3"]))
        #expect(tasks.map(\.state) == [.finished, .finished])
        #expect(tasks[0].spawnedTasks == [tasks[1].taskId])
        #expect(tasks[1].taskType == TaskType.publish)
        #expect(tasks[0].result["added_count"] == 3)
        let repo = try await t.pulp.repository("harness_repo_1", include: .all)
        #expect(repo.repository.contentUnitCounts == ["harness_type_one": 3])
        #expect(repo.repository.lastUnitAdded == t.clock.now())
        #expect(repo.importers?.first?.lastSync == t.clock.now())
        #expect(repo.distributors?.first?.lastPublish?.iso8601 == t.clock.now().iso8601)
        // A second sync with the same feed adds nothing new.
        let again = try await t.finished(try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:]))
        #expect(again.result["added_count"] == 2, "units 3 and 4 of the configured 5")
        let history = try await t.pulp.syncHistory(repoId: "harness_repo_1", query: HistoryQuery())
        #expect(history.map(\.addedCount) == [2, 3])
        let files = try FileManager.default.contentsOfDirectory(atPath: t.publishDir + "/harness_repo_1").sorted()
        #expect(files == ["MANIFEST", "harness_unit_0", "harness_unit_1", "harness_unit_2", "harness_unit_3", "harness_unit_4"])
        // No importer: the task fails, the call does not.
        _ = try await t.pulp.createRepository(RepositoryCreate(id: "bare"))
        let failed = try await t.wait(try await t.pulp.sync(repoId: "bare", overrides: [:]))
        #expect(failed.first?.state == .error)
        #expect(failed.first?.error["code"] == "PLP0009")
        await expectPulpError("PLP0016") { _ = try await t.pulp.publish(repoId: "bare", distributorId: nil, overrides: [:]) }
        await expectPulpError("PLP0009") { _ = try await t.pulp.sync(repoId: "nope", overrides: [:]) }
    }

    @Test("a sync that fails half-way leaves units and importer as they were, and records an error entry")
    func syncFailsHalfWay() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        try await t.finished(try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:]))
        let unitsBefore = try await t.store.read { db in try db.unitIds(repoId: "harness_repo_1") }
        let importerBefore = try await t.pulp.importer(repoId: "harness_repo_1", importerId: "harness_importer")
        t.clock.advance(by: 60)
        let failed = try #require(try await t.wait(try await t.pulp.sync(repoId: "harness_repo_1", overrides: ["num_units": "lots"])).first)
        #expect(failed.state == .error)
        #expect(try await t.store.read { db in try db.unitIds(repoId: "harness_repo_1") } == unitsBefore)
        #expect(try await t.pulp.importer(repoId: "harness_repo_1", importerId: "harness_importer") == importerBefore)
        let history = try await t.pulp.syncHistory(repoId: "harness_repo_1", query: HistoryQuery())
        #expect(history.map(\.result) == [.error, .success])
        #expect(history.first?.addedCount == -1, "counts are -1 when the result is error")
    }

    @Test("a publish that cannot write fails with PLP0034")
    func publishFails() async throws {
        let t = try TestPulp.core()
        let blocker = t.dir.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        _ = try await t.pulp.createRepository(RepositoryCreate(id: "r", distributors: [
            DistributorCreate(distributorId: "d", typeId: "harness_distributor",
                              config: ["publish_dir": .string(blocker.path + "/sub"), "write_files": "true"]),
        ]))
        let task = try #require(try await t.wait(try await t.pulp.publish(repoId: "r", distributorId: "d", overrides: [:])).first)
        #expect(task.state == .error)
        #expect(task.error["code"] == "PLP0034")
        #expect(try await t.pulp.distributor(repoId: "r", distributorId: "d").lastPublish == nil)
        #expect(try await t.pulp.publishHistory(repoId: "r", distributorId: "d", query: HistoryQuery()).map(\.result) == [.error])
    }

    @Test("delete cascades to importer, distributors, schedules and history; a second delete is 404")
    func deleteCascades() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        _ = try await t.createHarnessRepo("other")
        let before = try t.store.dump().filter { !$0.contains("harness_repo_1") && !$0.hasPrefix("tasks:") }
        _ = try await t.pulp.createSchedule(.importer(repoId: "harness_repo_1", importerId: "harness_importer"), ScheduleCreate(schedule: "PT1H"))
        _ = try await t.pulp.createSchedule(.distributor(repoId: "harness_repo_1", distributorId: "dist_1"), ScheduleCreate(schedule: "PT1H"))
        try await t.finished(try await t.pulp.sync(repoId: "harness_repo_1", overrides: [:]))
        try await t.finished(try await t.pulp.publish(repoId: "harness_repo_1", distributorId: "dist_1", overrides: [:]))
        try await t.finished(try await t.pulp.deleteRepository("harness_repo_1"))
        let after = try t.store.dump().filter { !$0.hasPrefix("tasks:") }
        #expect(after == before, "only the other repository's rows are left")
        await expectPulpError("PLP0009", status: 404) { _ = try await t.pulp.deleteRepository("harness_repo_1") }
    }

    @Test("schedules: 404s come before validation, in Pulp's order")
    func scheduleErrors() async throws {
        let t = try TestPulp.core()
        _ = try await t.createHarnessRepo()
        let good = ScheduleOwner.importer(repoId: "harness_repo_1", importerId: "harness_importer")
        await expectPulpError("PLP0009") { _ = try await t.pulp.createSchedule(.importer(repoId: "nope", importerId: "harness_importer"), ScheduleCreate(schedule: "bad")) }
        await expectPulpError("PLP0009") { _ = try await t.pulp.createSchedule(.importer(repoId: "harness_repo_1", importerId: "yum_importer"), ScheduleCreate(schedule: "PT1H")) }
        await expectPulpError("PLP0009") { _ = try await t.pulp.createSchedule(.distributor(repoId: "harness_repo_1", distributorId: "nope"), ScheduleCreate(schedule: "PT1H")) }
        for bad in ["", "garbage", "P1M", "R0/PT1H", "00:00:00Z/P1DT", "PT0S", "2014-01-01T00:00:00Z"] {
            do {
                _ = try await t.pulp.createSchedule(good, ScheduleCreate(schedule: bad))
                Issue.record("accepted \(bad)")
            } catch let e as PulpError {
                #expect(e == .invalidValue(["schedule"]), "\(bad)")
            }
        }
        await expectPulpError("PLP0015") { _ = try await t.pulp.createSchedule(good, ScheduleCreate(schedule: "PT1H", failureThreshold: 0)) }
        let s = try await t.pulp.createSchedule(good, ScheduleCreate(schedule: "R5/2014-01-01T00:00:00Z/P1D", failureThreshold: 2, enabled: false))
        #expect(s.remainingRuns == 5 && !s.enabled && s.failureThreshold == 2)
        await expectPulpError("PLP0009") { _ = try await t.pulp.schedule(good, id: "nope") }
        await expectPulpError("PLP0009") { _ = try await t.pulp.schedule(good, id: "000000000000000000000000") }
        await expectPulpError("PLP0009") {
            _ = try await t.pulp.schedule(.distributor(repoId: "harness_repo_1", distributorId: "dist_1"), id: s.id)
        }
        await expectPulpError("PLP0015") { _ = try await t.pulp.updateSchedule(good, id: s.id, ScheduleUpdate(schedule: "P1Y")) }
        // Changing the schedule recomputes first_run.
        t.clock.advance(by: 3600)
        let u = try await t.pulp.updateSchedule(good, id: s.id, ScheduleUpdate(schedule: "PT30M", failureThreshold: .null))
        #expect(u.firstRun == t.clock.now() && u.failureThreshold == nil && u.remainingRuns == 5)
        #expect(u.lastUpdated == t.clock.now().epoch)
    }

    @Test("consumers and their content schedules; fired content tasks end skipped")
    func consumers() async throws {
        let t = try TestPulp.core()
        let me = try await t.pulp.registerConsumer(ConsumerRegister(id: "me", notes: ["site": "a"]))
        #expect(me.json()["_ns"] == "consumers")
        await expectPulpError("PLP0018", status: 409) { _ = try await t.pulp.registerConsumer(ConsumerRegister(id: "me")) }
        await expectPulpError("PLP0015") { _ = try await t.pulp.registerConsumer(ConsumerRegister(id: "bad id")) }
        let upd = try await t.pulp.updateConsumer("me", delta: ["display_name": "Me", "notes": ["site": nil, "rack": "4"]])
        #expect(upd.displayName == "Me" && upd.notes == ["rack": "4"])
        let owner = ScheduleOwner.consumer(consumerId: "me", action: .install)
        await expectPulpError("PLP0016") { _ = try await t.pulp.createSchedule(owner, ScheduleCreate(schedule: "PT1H")) }
        let s = try await t.pulp.createSchedule(owner, ScheduleCreate(schedule: "R1/P1DT", units: [["type_id": "rpm", "unit_key": ["name": "gofer"]]]))
        #expect(s.json(now: t.clock.now())["units"] == [["type_id": "rpm", "unit_key": ["name": "gofer"]]])
        do {
            _ = try await t.pulp.createSchedule(.consumer(consumerId: "ghost", action: .update), ScheduleCreate(schedule: "PT1H", units: []))
            Issue.record("accepted an unknown consumer")
        } catch let e as PulpError {
            #expect(e.extra["resources"] == ["consumer": "ghost"])
        }
        do {
            _ = try await t.pulp.schedules(.consumer(consumerId: "ghost", action: .update))
            Issue.record("listed an unknown consumer")
        } catch let e as PulpError {
            #expect(e.extra["resources"] == ["consumer_id": "ghost"])
        }
        let fired = try #require(try await t.wait(try await t.pulp.dispatchConsumerContent(
            consumerId: "me", action: .install, units: [], options: [:])).first)
        #expect(fired.state == .skipped)
        #expect(fired.tags.first == "pulp:consumer:me")
        #expect(fired.progressReport["message"]?.stringValue?.contains("no consumer agent") == true)
        try await t.pulp.unregisterConsumer("me")
        #expect(try await t.store.read { db in try db.allSchedules() }.isEmpty)
        await expectPulpError("PLP0009") { try await t.pulp.unregisterConsumer("me") }
    }

    @Test("purge: 403 without a state, 400 for a state outside finished/error/skipped")
    func purge() async throws {
        let t = try TestPulp.core()
        await expectPulpError("PLP1012", status: 403) { try await t.pulp.purgeTasks(states: []) }
        for bad in ["canceled", "running", "nope"] {
            await expectPulpError("PLP1011", status: 400) { try await t.pulp.purgeTasks(states: ["finished", bad]) }
        }
        try await t.pulp.purgeTasks(states: ["finished", "error", "skipped"])
        await expectPulpError("PLP0009", status: 404) { _ = try await t.pulp.task("nope") }
        await expectPulpError("PLP0009", status: 404) { try await t.pulp.cancelTask("nope") }
    }
}
