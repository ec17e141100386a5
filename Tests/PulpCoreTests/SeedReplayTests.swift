import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel

/// Replays, through PulpCore, every sample request of seed 000_25d051ff0810d18b.txt (RHUI 3.0's API
/// reference), in the order a user would send them, and checks that each result carries every key of
/// the seed's sample response body.
@Suite("Seed 000 replay")
struct SeedReplayTests {

    func body(_ text: String) throws -> JSONObject {
        // The seed's samples carry trailing commas; the JSON a client sends does not.
        let cleaned = text.replacingOccurrences(of: ",\n}", with: "\n}").replacingOccurrences(of: ",\n  }", with: "\n  }")
        return try #require(try JSONValue.parse(cleaned).objectValue)
    }

    @Test("every sample request of the seed, in order")
    func replay() async throws {
        let t = try TestPulp.core()
        let pulp = t.pulp
        let now = t.clock.now()

        // D.1.1.1 Create a Repository.
        var create = try body("""
            {
             "display_name": "Harness Repository: harness_repo_1",
             "id": "harness_repo_1",
             "importer_type_id": "harness_importer",
             "importer_config": {
               "num_units": "5",
               "write_files": "true"
             },
             "distributors": [{
                           "distributor_id": "dist_1",
                           "distributor_type_id": "harness_distributor",
                           "distributor_config": {
                           "publish_dir": "/tmp/harness-publish",
                           "write_files": "true"
                           },
                           "auto_publish": false
                   }]
            }
            """)
        // Publish under the test's own directory rather than the shared /tmp/harness-publish.
        create["distributors"] = [["distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                                   "distributor_config": ["publish_dir": .string(t.publishDir), "write_files": "true"],
                                   "auto_publish": false]]
        let repo = try await pulp.createRepository(try RepositoryCreate.parse(create))
        expectKeys(SeedKeys.repository, in: repo.json(), "D.1.1.1 create")
        #expect(repo.json()["display_name"] == "Harness Repository: harness_repo_1")
        #expect(repo.json()["description"] == .null)

        // D.1.1.2 Update a Repository: the sample names `demo_distributor`, which this repository does not
        // have, so its spawned task fails as it would on Pulp; the same update to dist_1 succeeds.
        let update = try RepositoryUpdate.parse(try body("""
            {
             "delta": {
              "display_name" : "Updated"
             },
             "importer_config": {
              "demo_key": "demo_value"
             },
             "distributor_configs": {
              "demo_distributor": {
                "demo_key": "demo_value"
              }
             }
            }
            """))
        let updated = try await pulp.updateRepository("harness_repo_1", update)
        expectKeys(SeedKeys.callReport, in: updated.json(), "D.1.1.2 call report")
        expectKeys(SeedKeys.repository, in: updated.result.objectValue, "D.1.1.2 result")
        #expect(updated.result["display_name"] == "Updated")
        #expect(updated.spawnedTasks.count == 1)
        let failedDist = try #require(try await t.wait(updated).first)
        #expect(failedDist.state == .error)
        #expect(failedDist.error["code"] == "PLP0009")
        var toDist1 = update
        toDist1.distributorConfigs = ["dist_1": ["demo_key": "demo_value"]]
        try await t.finished(try await pulp.updateRepository("harness_repo_1", toDist1))
        #expect(try await pulp.distributor(repoId: "harness_repo_1", distributorId: "dist_1").config["demo_key"] == "demo_value")
        #expect(try await pulp.importer(repoId: "harness_repo_1", importerId: "harness_importer").config["demo_key"] == "demo_value")

        // D.1.1.3 Associate an Importer to a Repository.
        let associate = try body("""
            {
             "importer_type_id": "harness_importer",
             "importer_config": {
               "num_units": "5",
               "write_files": "true"
             }
            }
            """)
        let setTask = try await t.finished(try await pulp.setImporter(
            repoId: "harness_repo_1", typeId: try #require(associate["importer_type_id"]?.stringValue),
            config: try #require(associate["importer_config"]?.objectValue)))
        expectKeys(SeedKeys.importer, in: setTask.result.objectValue, "D.1.1.3 task result")
        #expect(setTask.result["config"] == ["num_units": "5", "write_files": "true"], "replaced, so demo_key is gone")
        #expect(setTask.tags == ["pulp:repository:harness_repo_1", "pulp:action:add_importer"])

        // D.1.1.4 Associate a Distributor with a Repository (dist_1 exists: it is replaced, not rejected).
        let addDist = try DistributorCreate.parse(try body("""
            {
             "distributor_id": "dist_1",
             "distributor_type_id": "harness_distributor",
             "distributor_config": {
               "publish_dir": "/tmp/harness-publish",
               "write_files": "true"
             },
             "auto_publish": false
            }
            """))
        var ownDir = addDist
        ownDir.config["publish_dir"] = .string(t.publishDir)
        let dist = try await pulp.addDistributor(repoId: "harness_repo_1", ownDir)
        expectKeys(SeedKeys.distributor, in: dist.json(), "D.1.1.4 response")
        #expect(dist.config["demo_key"] == nil, "replaced")

        // D.1.1.5 Update an Importer.
        let updImp = try await t.finished(try await pulp.updateImporter(
            repoId: "harness_repo_1", importerId: "harness_importer",
            config: try #require(try body(#"{"importer_config": {"demo_key": "demo_value"}}"#)["importer_config"]?.objectValue)))
        expectKeys(SeedKeys.importerUpdated, in: updImp.result.objectValue, "D.1.1.5 task result")
        #expect(updImp.result["config"] == ["num_units": "5", "write_files": "true", "demo_key": "demo_value"])
        #expect(updImp.tags == ["pulp:repository:harness_repo_1", "pulp:repository_importer:harness_importer",
                                "pulp:action:update_importer"])

        // D.1.1.7 Update a Distributor.
        let updDistBody = try DistributorUpdate.parse(try body("""
            {
             "distributor_config": {
               "demo_key": "demo_value"
             },
             "delta": {
               "auto_publish": true
             }
            }
            """))
        let updDist = try await t.finished(try await pulp.updateDistributor(repoId: "harness_repo_1", distributorId: "dist_1", updDistBody))
        expectKeys(SeedKeys.distributor, in: updDist.result.objectValue, "D.1.1.7 task result")
        #expect(updDist.result["auto_publish"] == true)
        #expect(updDist.tags == ["pulp:repository:harness_repo_1", "pulp:repository_distributor:dist_1",
                                 "pulp:action:update_distributor"])

        // D.1.3.1 Sync a Repository (dist_1 now auto-publishes, so the sync spawns its publish).
        let syncBody = try body("""
            {
              "override_config": {"verify_checksum": false,
                                  "verify_size": false},
            }
            """)
        let syncReport = try await pulp.sync(repoId: "harness_repo_1", overrides: try #require(syncBody["override_config"]?.objectValue))
        expectKeys(SeedKeys.callReport, in: syncReport.json(), "D.1.3.1 call report")
        let syncTasks = try await t.wait(syncReport)
        let syncTask = try #require(syncTasks.first)
        #expect(syncTask.state == .finished)
        #expect(syncTask.tags == ["pulp:repository:harness_repo_1", "pulp:action:sync"])
        #expect(syncTask.taskType == "pulp.server.managers.repo.sync.sync")
        #expect(syncTask.result["added_count"] == 5)
        #expect(syncTask.spawnedTasks.count == 1)
        #expect(syncTasks.count == 2 && syncTasks[1].state == .finished, "the auto-publish ran")
        expectKeys(SeedKeys.taskReport, in: syncTask.json(includeQueue: true), "D.2.1 task report")

        // D.1.3.2 Download a Repository.
        try await t.finished(try await pulp.download(repoId: "harness_repo_1",
                                                     verifyAllUnits: try body(#"{"verify_all_units": false}"#)["verify_all_units"] == true))

        // D.1.2.1 Retrieve a Single Repository (details).
        let details = try await pulp.repository("harness_repo_1", include: .all).json(include: .all, single: true)
        expectKeys(SeedKeys.details, in: details, "D.1.2.1")
        expectKeys(SeedKeys.importerDetails, in: details["importers"]?.arrayValue?.first?.objectValue, "D.1.2.1 importer")
        expectKeys(SeedKeys.distributor, in: details["distributors"]?.arrayValue?.first?.objectValue, "D.1.2.1 distributor")
        #expect(details["total_repository_units"] == 5)
        #expect(details["importers"]?.arrayValue?.first?["last_sync"]?.stringValue != nil)

        // D.1.2.2 Retrieve All Repositories; D.1.2.4–D.1.2.7 importers and distributors.
        let all = try await pulp.repositories(include: .all)
        #expect(all.count == 1)
        expectKeys(SeedKeys.details.filter { $0 != "total_repository_units" && $0 != "locally_stored_units" },
                   in: all.first?.json(include: .all, single: false), "D.1.2.2")
        expectKeys(SeedKeys.importerGet, in: try await pulp.importers(repoId: "harness_repo_1").first?.json(), "D.1.2.4")
        expectKeys(SeedKeys.importerGet, in: try await pulp.importer(repoId: "harness_repo_1", importerId: "harness_importer").json(), "D.1.2.5")
        expectKeys(SeedKeys.distributor, in: try await pulp.distributors(repoId: "harness_repo_1").first?.json(), "D.1.2.6")
        expectKeys(SeedKeys.distributor, in: try await pulp.distributor(repoId: "harness_repo_1", distributorId: "dist_1").json(), "D.1.2.7")

        // D.1.3.3 Scheduling a Sync: the docs' own sample schedule has no `T` and is rejected.
        let schedBody = try body("""
            {
             "override_config": {},
             "schedule": "00:00:00Z/P1DT",
             "failure_threshold": 3,
            }
            """)
        #expect(throws: PulpError.invalidValue(["schedule"])) { try ScheduleCreate.parse(schedBody, kind: .sync) }
        let syncOwner = ScheduleOwner.importer(repoId: "harness_repo_1", importerId: "harness_importer")
        var validSched = schedBody
        validSched["schedule"] = "PT1H"  // the schedule of the sample response
        let sched = try await pulp.createSchedule(syncOwner, try ScheduleCreate.parse(validSched, kind: .sync))
        let schedJSON = sched.json(now: now)
        expectKeys(SeedKeys.schedule, in: schedJSON, "D.1.3.3 response")
        #expect(schedJSON["failure_threshold"] == 3)
        #expect(schedJSON["task"] == "pulp.server.tasks.repository.sync_with_auto_publish")

        // D.1.3.4 Updating, D.1.3.6 Listing all, D.1.3.7 Listing one, D.1.3.5 Deleting a Scheduled Sync.
        let updSched = try await pulp.updateSchedule(syncOwner, id: sched.id, try ScheduleUpdate.parse(["schedule": "PT1M"], kind: .sync))
        expectKeys(SeedKeys.schedule, in: updSched.json(now: now), "D.1.3.4")
        #expect(updSched.schedule == "PT1M")
        #expect(try await pulp.schedules(syncOwner).map(\.id) == [sched.id])
        expectKeys(SeedKeys.schedule, in: try await pulp.schedule(syncOwner, id: sched.id).json(now: now), "D.1.3.7")
        try await pulp.deleteSchedule(syncOwner, id: sched.id)
        #expect(try await pulp.schedules(syncOwner).isEmpty)

        // D.1.3.8 Retrieving Sync History.
        let syncHistory = try await pulp.syncHistory(repoId: "harness_repo_1", query: HistoryQuery())
        #expect(syncHistory.count == 1)
        expectKeys(SeedKeys.syncHistory, in: syncHistory.first?.json(), "D.1.3.8")

        // D.1.4.1 Publish a Repository: the sample's `distributor_1` does not exist, so the task fails.
        let pubBody = try body("""
            {
              "id": "distributor_1",
              "override_config": {},
            }
            """)
        let badPublish = try await t.wait(try await pulp.publish(repoId: "harness_repo_1", distributorId: pubBody["id"]?.stringValue,
                                                                 overrides: [:]))
        #expect(badPublish.first?.state == .error)
        #expect(badPublish.first?.error["code"] == "PLP0009")
        let publishTask = try await t.finished(try await pulp.publish(repoId: "harness_repo_1", distributorId: "dist_1", overrides: [:]))
        #expect(publishTask.tags == ["pulp:repository:harness_repo_1", "pulp:action:publish"])
        #expect(FileManager.default.fileExists(atPath: t.publishDir + "/harness_repo_1/harness_unit_4"))

        // D.1.4.2–D.1.4.6 publish schedules.
        let pubOwner = ScheduleOwner.distributor(repoId: "harness_repo_1", distributorId: "dist_1")
        let pubSched = try await pulp.createSchedule(pubOwner, try ScheduleCreate.parse(try body("""
            {
             "override_config": {},
             "schedule": "PT1H",
             "failure_threshold": 3,
            }
            """), kind: .publish))
        let pubJSON = pubSched.json(now: now)
        expectKeys(SeedKeys.schedule, in: pubJSON, "D.1.4.2")
        #expect(pubJSON["args"] == ["harness_repo_1", "dist_1"])
        #expect(pubJSON["resource"] == "pulp:distributor:harness_repo_1:dist_1")
        expectKeys(SeedKeys.schedule, in: try await pulp.updateSchedule(pubOwner, id: pubSched.id,
                                                                        ScheduleUpdate(enabled: false)).json(now: now), "D.1.4.3")
        expectKeys(SeedKeys.schedule, in: try await pulp.schedules(pubOwner).first?.json(now: now), "D.1.4.5")
        expectKeys(SeedKeys.schedule, in: try await pulp.schedule(pubOwner, id: pubSched.id).json(now: now), "D.1.4.6")
        try await pulp.deleteSchedule(pubOwner, id: pubSched.id)

        // D.1.4.7 Retrieving Publish History: the auto-publish, the failed-then-absent one is not here, the manual one.
        let pubHistory = try await pulp.publishHistory(repoId: "harness_repo_1", distributorId: "dist_1", query: HistoryQuery())
        #expect(pubHistory.count == 2)
        expectKeys(SeedKeys.publishHistory, in: pubHistory.first?.json(), "D.1.4.7")

        // D.2.2 Polling, D.2.4 Listing by tag, D.2.6 search by id.
        expectKeys(SeedKeys.taskReport, in: try await pulp.task(syncTask.taskId).json(includeQueue: true), "D.2.2")
        #expect(try await pulp.tasks(tags: ["pulp:repository:harness_repo_1", "pulp:action:sync"]).map(\.taskId) == [syncTask.taskId])

        // D.3.2 Task Group Summary.
        expectKeys(SeedKeys.summary, in: try await pulp.taskGroupSummary("unknown").json(), "D.3.2")

        // D.1.1.6 Disassociate an Importer, D.1.1.8 a Distributor.
        let rmImp = try await t.finished(try await pulp.removeImporter(repoId: "harness_repo_1", importerId: "harness_importer"))
        #expect(rmImp.tags.last == "pulp:action:delete_importer")
        let rmDist = try await t.finished(try await pulp.removeDistributor(repoId: "harness_repo_1", distributorId: "dist_1"))
        #expect(rmDist.tags.last == "pulp:action:remove_distributor")

        // D.1.1.9 Delete a Repository.
        let del = try await t.finished(try await pulp.deleteRepository("harness_repo_1"))
        #expect(del.tags == ["pulp:repository:harness_repo_1", "pulp:action:delete"])
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.repository("harness_repo_1", include: .none) }

        // D.2.5 Deleting Completed Tasks.
        try await pulp.purgeTasks(states: ["finished", "skipped"])
        #expect(try await pulp.tasks(tags: []).allSatisfy { $0.state == .error })
    }
}
