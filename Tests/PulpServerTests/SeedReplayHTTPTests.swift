import Foundation
import HTTPTypes
import Testing
import PulpformTestKit
@testable import PulpModel

/// Replays every sample request of the three seed documents over HTTP, checking the status code and that
/// each response carries every key of the seed's sample response.
@Suite("Seed replay over HTTP")
struct SeedReplayHTTPTests {
    @Test("seed 000: repositories, importers, distributors, actions, schedules, history, tasks, task groups")
    func seed000() async throws {
        try await TestPulp().serve { api in
            let dir = api.rig.publishDir
            // D.1.1.1
            let create = try await api.post("repositories/", [
                "display_name": "Harness Repository: harness_repo_1", "id": "harness_repo_1", "importer_type_id": "harness_importer",
                "importer_config": ["num_units": "5", "write_files": "true"],
                "distributors": [["distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                                  "distributor_config": ["publish_dir": .string(dir), "write_files": "true"], "auto_publish": false]],
            ])
            #expect(create.status == 201)
            expectKeys(SeedKeys.repository, in: create.json, "D.1.1.1")
            // D.1.1.2 (demo_distributor does not exist: the spawned task fails, as on Pulp)
            let update = try await api.put("repositories/harness_repo_1/", [
                "delta": ["display_name": "Updated"], "importer_config": ["demo_key": "demo_value"],
                "distributor_configs": ["demo_distributor": ["demo_key": "demo_value"]],
            ])
            #expect(update.status == 202)
            expectKeys(SeedKeys.callReport, in: update.json, "D.1.1.2")
            expectKeys(SeedKeys.repository, in: update.json["result"], "D.1.1.2 result")
            #expect(try await api.waitTasks(update).first?["state"] == "error")
            // D.1.1.3
            let imp = try await api.post("repositories/harness_repo_1/importers/", ["importer_type_id": "harness_importer",
                                                                                     "importer_config": ["num_units": "5", "write_files": "true"]])
            #expect(imp.status == 202)
            expectKeys(SeedKeys.importer, in: .object(try await api.waitTasks(imp).first?["result"]?.objectValue ?? [:]), "D.1.1.3 task result")
            // D.1.1.4
            let dist = try await api.post("repositories/harness_repo_1/distributors/", [
                "distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                "distributor_config": ["publish_dir": .string(dir), "write_files": "true"], "auto_publish": false,
            ])
            #expect(dist.status == 201)
            expectKeys(SeedKeys.distributor, in: dist.json, "D.1.1.4")
            // D.1.1.5
            let updImp = try await api.put("repositories/harness_repo_1/importers/harness_importer/", ["importer_config": ["demo_key": "demo_value"]])
            #expect(updImp.status == 202)
            expectKeys(SeedKeys.importerUpdated, in: try await api.waitTasks(updImp).first?["result"], "D.1.1.5 task result")
            // D.1.1.7
            let updDist = try await api.put("repositories/harness_repo_1/distributors/dist_1/", [
                "distributor_config": ["demo_key": "demo_value"], "delta": ["auto_publish": true],
            ])
            #expect(updDist.status == 202)
            let updDistTask = try #require(try await api.waitTasks(updDist).first)
            #expect(updDistTask["tags"] == ["pulp:repository:harness_repo_1", "pulp:repository_distributor:dist_1", "pulp:action:update_distributor"])
            // D.1.2.1 – D.1.2.8
            let one = try await api.get("repositories/harness_repo_1/?details=true")
            #expect(one.status == 200)
            expectKeys(SeedKeys.details, in: one.json, "D.1.2.1")
            expectKeys(SeedKeys.distributor, in: one.json["distributors"]?.arrayValue?.first, "D.1.2.1 distributor")
            expectKeys(SeedKeys.importerDetails, in: one.json["importers"]?.arrayValue?.first, "D.1.2.1 importer")
            expectKeys(SeedKeys.listed, in: try await api.get("repositories/?details=true").json.arrayValue?.first, "D.1.2.2")
            expectKeys(SeedKeys.listed, in: try await api.post("repositories/search/", ["criteria": [:], "details": true]).json.arrayValue?.first, "D.1.2.3 POST")
            expectKeys(SeedKeys.listed, in: try await api.get("repositories/search/?details=true").json.arrayValue?.first, "D.1.2.3 GET")
            expectKeys(SeedKeys.importerGet, in: try await api.get("repositories/harness_repo_1/importers/").json.arrayValue?.first, "D.1.2.4")
            expectKeys(SeedKeys.importerGet, in: try await api.get("repositories/harness_repo_1/importers/harness_importer/").json, "D.1.2.5")
            expectKeys(SeedKeys.distributor, in: try await api.get("repositories/harness_repo_1/distributors/").json.arrayValue?.first, "D.1.2.6")
            expectKeys(SeedKeys.distributor, in: try await api.get("repositories/harness_repo_1/distributors/dist_1/").json, "D.1.2.7")
            let dsearch = try await api.post("distributors/search/", ["criteria": [:]])
            #expect(dsearch.status == 200)
            expectKeys(["repo_id", "last_publish", "auto_publish", "distributor_type_id", "scratchpad", "config", "id"],
                       in: dsearch.json.arrayValue?.first, "D.1.2.8")
            // D.1.3.1, D.1.3.2
            let sync = try await api.post("repositories/harness_repo_1/actions/sync/", ["override_config": ["verify_checksum": false, "verify_size": false]])
            #expect(sync.status == 202)
            expectKeys(SeedKeys.callReport, in: sync.json, "D.1.3.1")
            let syncTasks = try await api.waitTasks(sync)
            #expect(syncTasks.first?["tags"] == ["pulp:repository:harness_repo_1", "pulp:action:sync"])
            expectKeys(SeedKeys.task, in: try await api.get(try #require(syncTasks.first?["_href"]?.stringValue)).json, "D.2.2 task report")
            let download = try await api.post("repositories/harness_repo_1/actions/download/", ["verify_all_units": false])
            #expect(download.status == 202)
            #expect(try await api.waitTasks(download).first?["tags"] == ["pulp:repository:harness_repo_1", "pulp:action:download_repo"])
            // D.1.3.3 – D.1.3.7: the docs' own sample schedule is invalid; the sample response's PT1H is used.
            let spath = "repositories/harness_repo_1/importers/harness_importer/schedules/sync/"
            let docSample = try await api.post(spath, ["override_config": [:], "schedule": "00:00:00Z/P1DT", "failure_threshold": 3])
            #expect(docSample.status == 400)
            let sched = try await api.post(spath, ["override_config": [:], "schedule": "PT1H", "failure_threshold": 3])
            #expect(sched.status == 201)
            expectKeys(SeedKeys.schedule, in: sched.json, "D.1.3.3")
            let shref = try #require(sched.location)
            expectKeys(SeedKeys.schedule, in: try await api.put(shref, ["schedule": "PT2H"]).json, "D.1.3.4")
            expectKeys(SeedKeys.schedule, in: try await api.get(spath).json.arrayValue?.first, "D.1.3.6")
            expectKeys(SeedKeys.schedule, in: try await api.get(shref).json, "D.1.3.7")
            #expect(try await api.delete(shref).text == "null")
            // D.1.3.8
            expectKeys(SeedKeys.syncHistory, in: try await api.get("repositories/harness_repo_1/history/sync/").json.arrayValue?.first, "D.1.3.8")
            // D.1.4.1 (the sample's distributor_1 does not exist: the task fails), then dist_1.
            let badPub = try await api.post("repositories/harness_repo_1/actions/publish/", ["id": "distributor_1", "override_config": [:]])
            #expect(badPub.status == 202)
            #expect(try await api.waitTasks(badPub).first?["state"] == "error")
            let pub = try await api.post("repositories/harness_repo_1/actions/publish/", ["id": "dist_1", "override_config": [:]])
            #expect(try await api.waitTasks(pub).first?["tags"] == ["pulp:repository:harness_repo_1", "pulp:action:publish"])
            // D.1.4.2 – D.1.4.6
            let ppath = "repositories/harness_repo_1/distributors/dist_1/schedules/publish/"
            let psched = try await api.post(ppath, ["override_config": [:], "schedule": "PT1H", "failure_threshold": 3])
            #expect(psched.status == 201)
            expectKeys(SeedKeys.schedule, in: psched.json, "D.1.4.2")
            let phref = try #require(psched.location)
            expectKeys(SeedKeys.schedule, in: try await api.put(phref, ["enabled": false]).json, "D.1.4.3")
            expectKeys(SeedKeys.schedule, in: try await api.get(ppath).json.arrayValue?.first, "D.1.4.5")
            expectKeys(SeedKeys.schedule, in: try await api.get(phref).json, "D.1.4.6")
            #expect(try await api.delete(phref).status == 200)
            // D.1.4.7
            expectKeys(SeedKeys.publishHistory, in: try await api.get("repositories/harness_repo_1/history/publish/dist_1/").json.arrayValue?.first, "D.1.4.7")
            // D.2.3 – D.2.6
            #expect(try await api.get("tasks/").status == 200)
            let search = try await api.post("tasks/search/", ["criteria": ["filters": ["tags": "pulp:action:sync"]]])
            expectKeys(SeedKeys.taskReport, in: search.json.arrayValue?.first, "D.2.6 POST")
            #expect(try await api.get("tasks/search/?field=id&field=task_type&limit=20").status == 200)
            #expect(try await api.delete("tasks/?state=finished&state=skipped").status == 204)
            // D.3
            expectKeys(SeedKeys.summary, in: try await api.get("task_groups/any/state_summary/").json, "D.3.2")
            // D.1.1.6, D.1.1.8, D.1.1.9
            #expect(try await api.delete("repositories/harness_repo_1/importers/harness_importer/").status == 202)
            #expect(try await api.delete("repositories/harness_repo_1/distributors/dist_1/").status == 202)
            let del = try await api.delete("repositories/harness_repo_1/")
            #expect(del.status == 202)
            #expect(try await api.waitTasks(del).first?["tags"] == ["pulp:repository:harness_repo_1", "pulp:action:delete"])
        }
    }

    @Test("seed 001: retrieval — one, all, search (POST and GET), importers and distributors")
    func seed001() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            _ = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/sync/"))
            expectKeys(SeedKeys.details, in: try await api.get("repositories/harness_repo_1/?details=true").json, "retrieve one")
            expectKeys(SeedKeys.listed, in: try await api.get("repositories/?details=true").json.arrayValue?.first, "retrieve all")
            expectKeys(SeedKeys.listed, in: try await api.post("repositories/search/", ["criteria": [:], "details": true]).json.arrayValue?.first, "search POST")
            let get = try await api.get("repositories/search/?field=id&field=display_name&limit=20")
            #expect(get.status == 200)
            #expect(get.json.arrayValue?.first?["display_name"] != nil)
            expectKeys(SeedKeys.importerGet, in: try await api.get("repositories/harness_repo_1/importers/").json.arrayValue?.first, "importers")
            expectKeys(SeedKeys.importerGet, in: try await api.get("repositories/harness_repo_1/importers/harness_importer/").json, "importer")
            expectKeys(SeedKeys.distributor, in: try await api.get("repositories/harness_repo_1/distributors/").json.arrayValue?.first, "distributors")
            expectKeys(SeedKeys.distributor, in: try await api.get("repositories/harness_repo_1/distributors/dist_1/").json, "distributor")
            #expect(try await api.post("distributors/search/", ["criteria": [:]]).json.arrayValue?.count == 1)
        }
    }

    @Test("seed 003: consumer content schedules — list, create, retrieve, update, delete")
    func seed003() async throws {
        try await TestPulp().serve { api in
            #expect(try await api.post("consumers/", ["id": "me"]).status == 201)
            for action in ["install", "update", "uninstall"] {
                let path = "consumers/me/schedules/content/\(action)/"
                #expect(try await api.get(path).json == [])
                let created = try await api.post(path, ["schedule": "R1/P1DT", "units": [["type_id": "rpm", "unit_keys": ["name": "gofer"]]]])
                #expect(created.status == 201)
                expectKeys(SeedKeys.consumerSchedule, in: created.json, "\(action) create")
                #expect(created.json["remaining_runs"] == 1)
                let href = try #require(created.location)
                expectKeys(SeedKeys.consumerSchedule, in: try await api.get(path).json.arrayValue?.first, "\(action) list")
                expectKeys(SeedKeys.consumerSchedule, in: try await api.get(href).json, "\(action) retrieve")
                let updated = try await api.put(href, ["units": [["type_id": "rpm", "unit_keys": ["name": "grinder"]],
                                                                ["type_id": "rpm", "unit_keys": ["name": "gofer"]]]])
                #expect(updated.status == 200)
                expectKeys(SeedKeys.consumerSchedule, in: updated.json, "\(action) update")
                #expect(updated.json["units"]?.arrayValue?.count == 2)
                #expect(updated.json["kwargs"]?["units"]?.arrayValue?.count == 2)
                let deleted = try await api.delete(href)
                #expect(deleted.status == 200 && deleted.text == "null")
            }
        }
    }
}
