import Foundation
import HTTPTypes
import Testing
@testable import PulpModel

/// Replays every sample request of the three seed documents over HTTP, checking the status code and that
/// each response carries every key of the seed's sample response.
@Suite("Seed replay over HTTP")
struct SeedReplayHTTPTests {
    static let repoKeys = ["scratchpad", "display_name", "description", "_ns", "notes", "content_unit_counts", "_id", "id", "_href"]
    static let distributorKeys = ["scratchpad", "_ns", "last_publish", "auto_publish", "distributor_type_id", "repo_id",
                                  "publish_in_progress", "_id", "config", "id"]
    static let importerKeys = ["scratchpad", "_ns", "importer_type_id", "last_sync", "repo_id", "_id", "config", "id"]
    static let detailImporterKeys = importerKeys + ["sync_in_progress"]
    static let importerGetKeys = ["_href", "_id", "_ns", "config", "id", "importer_type_id", "last_sync", "repo_id", "scratchpad"]
    static let detailsKeys = ["display_name", "description", "distributors", "notes", "scratchpad", "content_unit_counts",
                              "last_unit_added", "last_unit_removed", "importers", "id", "total_repository_units", "locally_stored_units"]
    static let listKeys = detailsKeys.filter { $0 != "total_repository_units" && $0 != "locally_stored_units" }
    static let scheduleKeys = ["next_run", "task", "last_updated", "first_run", "schedule", "args", "enabled", "last_run_at", "_id",
                               "total_run_count", "failure_threshold", "kwargs", "resource", "remaining_runs", "consecutive_failures", "_href"]
    static let consumerScheduleKeys = scheduleKeys + ["units", "options"]
    static let taskKeys = ["_href", "state", "worker_name", "task_id", "task_type", "progress_report", "result", "start_time",
                           "finish_time", "exception", "traceback", "tags", "spawned_tasks", "error", "queue"]
    static let callReportKeys = ["result", "error", "spawned_tasks"]
    static let syncHistoryKeys = ["result", "importer_id", "exception", "repo_id", "traceback", "started", "completed",
                                  "importer_type_id", "error_message"]
    static let publishHistoryKeys = ["result", "distributor_id", "distributor_type_id", "exception", "repo_id", "traceback",
                                     "started", "completed", "error_message"]
    static let summaryKeys = ["accepted", "finished", "running", "canceled", "waiting", "skipped", "suspended", "error", "total"]

    func keys(_ keys: [String], _ o: JSONValue?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let object = o?.objectValue ?? [:]
        let missing = keys.filter { object[$0] == nil }
        #expect(missing.isEmpty, "\(what) lacks \(missing)", sourceLocation: sourceLocation)
    }

    @Test("seed 000: repositories, importers, distributors, actions, schedules, history, tasks, task groups")
    func seed000() async throws {
        try await Served().run { api in
            let dir = api.served.publishDir
            // D.1.1.1
            let create = try await api.post("repositories/", [
                "display_name": "Harness Repository: harness_repo_1", "id": "harness_repo_1", "importer_type_id": "harness_importer",
                "importer_config": ["num_units": "5", "write_files": "true"],
                "distributors": [["distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                                  "distributor_config": ["publish_dir": .string(dir), "write_files": "true"], "auto_publish": false]],
            ])
            #expect(create.status == 201)
            keys(Self.repoKeys, create.json, "D.1.1.1")
            // D.1.1.2 (demo_distributor does not exist: the spawned task fails, as on Pulp)
            let update = try await api.put("repositories/harness_repo_1/", [
                "delta": ["display_name": "Updated"], "importer_config": ["demo_key": "demo_value"],
                "distributor_configs": ["demo_distributor": ["demo_key": "demo_value"]],
            ])
            #expect(update.status == 202)
            keys(Self.callReportKeys, update.json, "D.1.1.2")
            keys(Self.repoKeys, update.json["result"], "D.1.1.2 result")
            #expect(try await api.waitTasks(update).first?["state"] == "error")
            // D.1.1.3
            let imp = try await api.post("repositories/harness_repo_1/importers/", ["importer_type_id": "harness_importer",
                                                                                     "importer_config": ["num_units": "5", "write_files": "true"]])
            #expect(imp.status == 202)
            keys(Self.importerKeys, .object(try await api.waitTasks(imp).first?["result"]?.objectValue ?? [:]), "D.1.1.3 task result")
            // D.1.1.4
            let dist = try await api.post("repositories/harness_repo_1/distributors/", [
                "distributor_id": "dist_1", "distributor_type_id": "harness_distributor",
                "distributor_config": ["publish_dir": .string(dir), "write_files": "true"], "auto_publish": false,
            ])
            #expect(dist.status == 201)
            keys(Self.distributorKeys, dist.json, "D.1.1.4")
            // D.1.1.5
            let updImp = try await api.put("repositories/harness_repo_1/importers/harness_importer/", ["importer_config": ["demo_key": "demo_value"]])
            #expect(updImp.status == 202)
            keys(Self.importerKeys + ["scheduled_syncs"], try await api.waitTasks(updImp).first?["result"], "D.1.1.5 task result")
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
            keys(Self.detailsKeys, one.json, "D.1.2.1")
            keys(Self.distributorKeys, one.json["distributors"]?.arrayValue?.first, "D.1.2.1 distributor")
            keys(Self.detailImporterKeys, one.json["importers"]?.arrayValue?.first, "D.1.2.1 importer")
            keys(Self.listKeys, try await api.get("repositories/?details=true").json.arrayValue?.first, "D.1.2.2")
            keys(Self.listKeys, try await api.post("repositories/search/", ["criteria": [:], "details": true]).json.arrayValue?.first, "D.1.2.3 POST")
            keys(Self.listKeys, try await api.get("repositories/search/?details=true").json.arrayValue?.first, "D.1.2.3 GET")
            keys(Self.importerGetKeys, try await api.get("repositories/harness_repo_1/importers/").json.arrayValue?.first, "D.1.2.4")
            keys(Self.importerGetKeys, try await api.get("repositories/harness_repo_1/importers/harness_importer/").json, "D.1.2.5")
            keys(Self.distributorKeys, try await api.get("repositories/harness_repo_1/distributors/").json.arrayValue?.first, "D.1.2.6")
            keys(Self.distributorKeys, try await api.get("repositories/harness_repo_1/distributors/dist_1/").json, "D.1.2.7")
            let dsearch = try await api.post("distributors/search/", ["criteria": [:]])
            #expect(dsearch.status == 200)
            keys(["repo_id", "last_publish", "auto_publish", "distributor_type_id", "scratchpad", "config", "id"],
                 dsearch.json.arrayValue?.first, "D.1.2.8")
            // D.1.3.1, D.1.3.2
            let sync = try await api.post("repositories/harness_repo_1/actions/sync/", ["override_config": ["verify_checksum": false, "verify_size": false]])
            #expect(sync.status == 202)
            keys(Self.callReportKeys, sync.json, "D.1.3.1")
            let syncTasks = try await api.waitTasks(sync)
            #expect(syncTasks.first?["tags"] == ["pulp:repository:harness_repo_1", "pulp:action:sync"])
            keys(Self.taskKeys, try await api.get(try #require(syncTasks.first?["_href"]?.stringValue)).json, "D.2.2 task report")
            let download = try await api.post("repositories/harness_repo_1/actions/download/", ["verify_all_units": false])
            #expect(download.status == 202)
            #expect(try await api.waitTasks(download).first?["tags"] == ["pulp:repository:harness_repo_1", "pulp:action:download_repo"])
            // D.1.3.3 – D.1.3.7: the docs' own sample schedule is invalid; the sample response's PT1H is used.
            let spath = "repositories/harness_repo_1/importers/harness_importer/schedules/sync/"
            let docSample = try await api.post(spath, ["override_config": [:], "schedule": "00:00:00Z/P1DT", "failure_threshold": 3])
            #expect(docSample.status == 400)
            let sched = try await api.post(spath, ["override_config": [:], "schedule": "PT1H", "failure_threshold": 3])
            #expect(sched.status == 201)
            keys(Self.scheduleKeys, sched.json, "D.1.3.3")
            let shref = try #require(sched.location)
            keys(Self.scheduleKeys, try await api.put(shref, ["schedule": "PT2H"]).json, "D.1.3.4")
            keys(Self.scheduleKeys, try await api.get(spath).json.arrayValue?.first, "D.1.3.6")
            keys(Self.scheduleKeys, try await api.get(shref).json, "D.1.3.7")
            #expect(try await api.delete(shref).text == "null")
            // D.1.3.8
            keys(Self.syncHistoryKeys, try await api.get("repositories/harness_repo_1/history/sync/").json.arrayValue?.first, "D.1.3.8")
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
            keys(Self.scheduleKeys, psched.json, "D.1.4.2")
            let phref = try #require(psched.location)
            keys(Self.scheduleKeys, try await api.put(phref, ["enabled": false]).json, "D.1.4.3")
            keys(Self.scheduleKeys, try await api.get(ppath).json.arrayValue?.first, "D.1.4.5")
            keys(Self.scheduleKeys, try await api.get(phref).json, "D.1.4.6")
            #expect(try await api.delete(phref).status == 200)
            // D.1.4.7
            keys(Self.publishHistoryKeys, try await api.get("repositories/harness_repo_1/history/publish/dist_1/").json.arrayValue?.first, "D.1.4.7")
            // D.2.3 – D.2.6
            #expect(try await api.get("tasks/").status == 200)
            let search = try await api.post("tasks/search/", ["criteria": ["filters": ["tags": "pulp:action:sync"]]])
            keys(Self.taskKeys.filter { $0 != "queue" }, search.json.arrayValue?.first, "D.2.6 POST")
            #expect(try await api.get("tasks/search/?field=id&field=task_type&limit=20").status == 200)
            #expect(try await api.delete("tasks/?state=finished&state=skipped").status == 204)
            // D.3
            keys(Self.summaryKeys, try await api.get("task_groups/any/state_summary/").json, "D.3.2")
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
        try await Served().run { api in
            try await api.harnessRepo()
            _ = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/sync/"))
            keys(Self.detailsKeys, try await api.get("repositories/harness_repo_1/?details=true").json, "retrieve one")
            keys(Self.listKeys, try await api.get("repositories/?details=true").json.arrayValue?.first, "retrieve all")
            keys(Self.listKeys, try await api.post("repositories/search/", ["criteria": [:], "details": true]).json.arrayValue?.first, "search POST")
            let get = try await api.get("repositories/search/?field=id&field=display_name&limit=20")
            #expect(get.status == 200)
            #expect(get.json.arrayValue?.first?["display_name"] != nil)
            keys(Self.importerGetKeys, try await api.get("repositories/harness_repo_1/importers/").json.arrayValue?.first, "importers")
            keys(Self.importerGetKeys, try await api.get("repositories/harness_repo_1/importers/harness_importer/").json, "importer")
            keys(Self.distributorKeys, try await api.get("repositories/harness_repo_1/distributors/").json.arrayValue?.first, "distributors")
            keys(Self.distributorKeys, try await api.get("repositories/harness_repo_1/distributors/dist_1/").json, "distributor")
            #expect(try await api.post("distributors/search/", ["criteria": [:]]).json.arrayValue?.count == 1)
        }
    }

    @Test("seed 003: consumer content schedules — list, create, retrieve, update, delete")
    func seed003() async throws {
        try await Served().run { api in
            #expect(try await api.post("consumers/", ["id": "me"]).status == 201)
            for action in ["install", "update", "uninstall"] {
                let path = "consumers/me/schedules/content/\(action)/"
                #expect(try await api.get(path).json == [])
                let created = try await api.post(path, ["schedule": "R1/P1DT", "units": [["type_id": "rpm", "unit_keys": ["name": "gofer"]]]])
                #expect(created.status == 201)
                keys(Self.consumerScheduleKeys, created.json, "\(action) create")
                #expect(created.json["remaining_runs"] == 1)
                let href = try #require(created.location)
                keys(Self.consumerScheduleKeys, try await api.get(path).json.arrayValue?.first, "\(action) list")
                keys(Self.consumerScheduleKeys, try await api.get(href).json, "\(action) retrieve")
                let updated = try await api.put(href, ["units": [["type_id": "rpm", "unit_keys": ["name": "grinder"]],
                                                                ["type_id": "rpm", "unit_keys": ["name": "gofer"]]]])
                #expect(updated.status == 200)
                keys(Self.consumerScheduleKeys, updated.json, "\(action) update")
                #expect(updated.json["units"]?.arrayValue?.count == 2)
                #expect(updated.json["kwargs"]?["units"]?.arrayValue?.count == 2)
                let deleted = try await api.delete(href)
                #expect(deleted.status == 200 && deleted.text == "null")
            }
        }
    }
}
