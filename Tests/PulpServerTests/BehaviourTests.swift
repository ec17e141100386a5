import PulpStore
import Foundation
import HTTPTypes
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel

/// The numbered behaviours of pulp2-compat.md, each exercised over real HTTP.
@Suite("pulp2-compat.md behaviours 1–46")
struct BehaviourTests {
    @Test("1–2: paths under /pulp/api/v2/ with //, JSON everywhere, literal null bodies")
    func paths() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            let double = try await api.get("/pulp/api/v2/repositories//harness_repo_1//importers/")
            #expect(double.status == 200)
            #expect(double.json.arrayValue?.count == 1)
            #expect(try await api.get("/pulp/api/v2/repositories/harness_repo_1").status == 200, "trailing slash optional")
            let sched = try await api.post("repositories/harness_repo_1/importers/harness_importer/schedules/sync/", ["schedule": "PT1H"])
            let del = try await api.delete(try #require(sched.location))
            #expect(del.status == 200 && del.text == "null")
            #expect(del.contentType == "application/json; charset=utf-8")
            let unknown = try await api.get("/pulp/api/v2/no/such/path/")
            expectErrorBody(unknown, status: 404, code: "PLP0009")
        }
    }

    @Test("3, 9: create returns 201, Location and the repo; GET agrees on every key")
    func create() async throws {
        try await TestPulp().serve { api in
            let r = try await api.post("repositories/", ["id": "zoo", "description": "d", "display_name": "Zoo", "notes": ["k": "v", "n": nil]])
            #expect(r.status == 201)
            #expect(r.location == "/pulp/api/v2/repositories/zoo/")
            let o = r.object
            #expect(o["id"] == "zoo" && o["_ns"] == "repos" && o["scratchpad"] == [:] && o["content_unit_counts"] == [:])
            #expect(o["last_unit_added"] == .null && o["last_unit_removed"] == .null)
            #expect(o["_id"]?["$oid"]?.stringValue?.count == 24)
            #expect(o["notes"] == ["k": "v", "n": nil], "notes keep nulls")
            #expect(o["importers"] == nil && o["distributors"] == nil)
            let bare = try await api.post("repositories/", ["id": "bare"]).object
            #expect(bare["display_name"] == "bare", "display_name defaults to the id")
            let got = try await api.get("repositories/zoo/").object
            for (k, v) in o { #expect(got[k] == v, "\(k)") }
        }
    }

    @Test("4–7: bad ids, duplicates, non-JSON and non-object bodies, the error body")
    func createErrors() async throws {
        try await TestPulp().serve { api in
            for body: JSONValue in [["id": "bad id!"], [:], ["id": nil], ["missing_required_keys": "id"]] {
                let r = try await api.post("repositories/", body)
                expectErrorBody(r, status: 400, code: "PLP0015", method: "POST")
                #expect(r.object["property_names"] == ["repo_id"])
                #expect(r.location == nil)
            }
            _ = try await api.post("repositories/", ["id": "zoo"])
            let dup = try await api.post("repositories/", ["id": "zoo"])
            expectErrorBody(dup, status: 409, code: "PLP0018")
            #expect(dup.object["resource_id"] == "zoo")
            #expect(dup.location == nil)
            expectErrorBody(try await api.call(.post, "repositories/", raw: "{not json"), status: 400, code: "PLP1009")
            let list = try await api.call(.post, "repositories/", raw: #"["Incorrect data type"]"#)
            expectErrorBody(list, status: 400, code: "PLP1015")
            #expect(list.object["error"]?["data"] == ["data_type": "dict"])
            #expect(list.object["_href"] == "/pulp/api/v2/repositories/")
        }
    }

    @Test("8: GET, PUT, DELETE of an unknown repo are 404 naming it")
    func unknownRepo() async throws {
        try await TestPulp().serve { api in
            for (method, name) in [(HTTPMethodName.get, "GET"), (.put, "PUT"), (.delete, "DELETE")] {
                let r = try await api.call(method.method, "repositories/nope/", method == .put ? [:] : nil)
                expectErrorBody(r, status: 404, code: "PLP0009", method: name)
                #expect(r.object["resources"] == ["repository": "nope"])
                #expect(r.object["error_message"] == "Missing resource(s): repository=nope")
            }
            let q = try await api.get("repositories/nope/?details=true")
            #expect(q.object["_href"] == "/pulp/api/v2/repositories/nope/?details=true", "_href is the request URI")
        }
    }

    @Test("10: importers, distributors and details flags, case-insensitive")
    func flags() async throws {
        try await TestPulp().serve { api in
            _ = try await api.post("repositories/", ["id": "bare"])
            for (flag, keys) in [("importers=True", ["importers"]), ("distributors=true", ["distributors"]),
                                 ("details=TRUE", ["importers", "distributors", "total_repository_units", "locally_stored_units"])] {
                let o = try await api.get("repositories/bare/?\(flag)").object
                for k in keys { #expect(o[k] != nil, "\(flag): \(k)") }
                if flag.hasPrefix("importers") { #expect(o["importers"] == [] && o["distributors"] == nil) }
            }
            let list = try await api.get("repositories/?details=true").json.arrayValue?.first?.objectValue
            #expect(list?["importers"] == [] && list?["total_repository_units"] == nil, "details on lists add no counts")
            #expect(try await api.get("repositories/bare/?details=false").object["importers"] == nil)
        }
    }

    @Test("11–13: inline importer and distributors; extra keys ignored; all or nothing; nulls cleaned; passwords masked")
    func inlinePlugins() async throws {
        try await TestPulp().serve { api in
            let r = try await api.post("repositories/", [
                "id": "zoo", "relative_path": "ignored", "importer_type_id": "yum_importer",
                "importer_config": ["feed": "https://x/", "proxy_password": "hunter2", "basic_auth_password": "pw", "proxy_host": nil],
                "distributors": [["distributor_id": "yum", "distributor_type_id": "yum_distributor", "repo_id": "zoo",
                                  "last_publish": nil, "distributor_config": ["relative_url": nil, "http": true, "proxy_password": "x"]]],
            ])
            #expect(r.status == 201)
            let d = try await api.get("repositories/zoo/?details=true").object
            let importer = d["importers"]?.arrayValue?.first
            #expect(importer?["config"] == ["feed": "https://x/", "proxy_password": "*****", "basic_auth_password": "*****"])
            #expect(d["distributors"]?.arrayValue?.first?["config"] == ["http": true, "proxy_password": "x"], "distributors are not masked")
            #expect(try await api.get("repositories/zoo/importers/yum_importer/").object["config"]?["proxy_password"] == "*****")
            let search = try await api.post("repositories/search/", ["criteria": [:], "importers": true])
            #expect(search.json.arrayValue?.first?["importers"]?.arrayValue?.first?["config"]?["proxy_password"] == "*****")
            let stored = try api.rig.store.importerSecret("zoo", "proxy_password")
            #expect(StoreSecrets.isSealed(stored.stored ?? .null) && stored.clear == "hunter2")
            // All or nothing.
            let bad = try await api.post("repositories/", ["id": "half", "importer_type_id": "yum_importer",
                                                           "distributors": [["distributor_id": "bad.id", "distributor_type_id": "yum_distributor"]]])
            expectErrorBody(bad, status: 400, code: "PLP0015")
            #expect(try await api.get("repositories/half/").status == 404)
            let badList = try await api.post("repositories/", ["id": "x", "distributors": "nope"])
            #expect(badList.object["property_names"] == ["distributor_list"])
        }
    }

    @Test("14–15: PUT delta is 200 with the repo; notes merge; distributor_configs spawn tasks that merge")
    func update() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            _ = try await api.put("repositories/harness_repo_1/", ["delta": ["notes": ["a": "1", "b": "2"]]])
            let r = try await api.put("repositories/harness_repo_1/", [
                "delta": ["display_name": "Updated", "description": "foo", "notes": ["a": nil, "c": "3"], "content_unit_counts": ["rpm": 9],
                          "repo_id": "other", "last_unit_added": "x", "last_unit_removed": "y"],
            ])
            #expect(r.status == 200)
            #expect(r.object["spawned_tasks"] == [] && r.object["error"] == .null)
            #expect(r.object["result"]?["display_name"] == "Updated")
            #expect(r.object["result"]?["notes"] == ["b": "2", "c": "3"])
            #expect(r.object["result"]?["content_unit_counts"] == [:])
            expectErrorBody(try await api.put("repositories/harness_repo_1/", ["delta": "x"]), status: 400, code: "PLP1010")
            #expect(try await api.put("repositories/harness_repo_1/", [:]).status == 200, "an empty body is allowed")
            let dc = try await api.put("repositories/harness_repo_1/", ["distributor_configs": ["dist_1": ["write_files": nil, "absent": nil, "x": 1]]])
            #expect(dc.status == 202)
            #expect(dc.json["spawned_tasks"]?.arrayValue?.count == 1)
            let tasks = try await api.waitTasks(dc)
            #expect(tasks.first?["state"] == "finished")
            let config = try await api.get("repositories/harness_repo_1/distributors/dist_1/").object["config"]
            #expect(config?["write_files"] == nil && config?["x"] == 1)
        }
    }

    @Test("16–17: importer association replaces and drops sync schedules; importer ids are types")
    func importers() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            _ = try await api.post("repositories/harness_repo_1/importers/harness_importer/schedules/sync/", ["schedule": "PT1H"])
            expectErrorBody(try await api.post("repositories/harness_repo_1/importers/", ["importer_type_id": "nope"]), status: 400, code: "PLP1008")
            let set = try await api.post("repositories/harness_repo_1/importers/", ["importer_type_id": "iso_importer", "importer_config": ["feed": "f"]])
            #expect(set.status == 202)
            let done = try await api.waitTasks(set)
            #expect(done.first?["state"] == "finished")
            #expect(done.first?["result"]?["importer_type_id"] == "iso_importer")
            #expect(try await api.get("repositories/harness_repo_1/importers/iso_importer/schedules/sync/").json == [])
            for method in [HTTPMethodName.get, .put, .delete] {
                let r = try await api.call(method.method, "repositories/harness_repo_1/importers/harness_importer/", method == .put ? ["importer_config": [:]] : nil)
                expectErrorBody(r, status: 404, code: "PLP0009")
                #expect(r.object["resources"] == ["importer_id": "harness_importer"])
            }
            let missing = try await api.put("repositories/harness_repo_1/importers/iso_importer/", ["x": 1])
            expectErrorBody(missing, status: 400, code: "PLP0016")
            let upd = try await api.put("repositories/harness_repo_1/importers/iso_importer/", ["importer_config": ["feed": nil, "max_downloads": 2]])
            #expect(upd.status == 202)
            #expect(try await api.waitTasks(upd).first?["result"]?["config"] == ["max_downloads": 2])
            #expect(try await api.get("repositories/nope/importers/").json == [], "2.8 does not check the repository")
            let del = try await api.delete("repositories/harness_repo_1/importers/iso_importer/")
            #expect(del.status == 202)
            #expect(try await api.waitTasks(del).first?["tags"]?.arrayValue?.contains("pulp:action:delete_importer") == true)
        }
    }

    @Test("18–19: distributors: 201 with Location, id rules, replace, 202 updates, non-bool auto_publish fails the task")
    func distributors() async throws {
        try await TestPulp().serve { api in
            _ = try await api.post("repositories/", ["id": "zoo"])
            let r = try await api.post("repositories/zoo/distributors/", ["distributor_id": "d1", "distributor_type_id": "yum_distributor",
                                                                         "distributor_config": ["relative_url": "z"]])
            #expect(r.status == 201)
            #expect(r.location == "/pulp/api/v2/repositories/zoo/distributors/d1/")
            for k in ["id", "distributor_type_id", "repo_id", "config", "auto_publish", "last_publish", "_href"] { #expect(r.object[k] != nil, "\(k)") }
            expectErrorBody(try await api.post("repositories/zoo/distributors/", ["distributor_id": "d2"]), status: 400, code: "PLP0016")
            let dot = try await api.post("repositories/zoo/distributors/", ["distributor_id": "d.2", "distributor_type_id": "yum_distributor"])
            expectErrorBody(dot, status: 400, code: "PLP0015")
            #expect(dot.object["property_names"] == ["distributor_id"])
            let again = try await api.post("repositories/zoo/distributors/", ["distributor_id": "d1", "distributor_type_id": "iso_distributor"])
            #expect(again.status == 201 && again.object["distributor_type_id"] == "iso_distributor", "replaced, not rejected")
            let generated = try await api.post("repositories/zoo/distributors/", ["distributor_type_id": "iso_distributor"])
            #expect(generated.object["id"]?.stringValue?.count == 36)
            let upd = try await api.put("repositories/zoo/distributors/d1/", ["distributor_config": ["a": 1], "delta": ["auto_publish": true]])
            #expect(upd.status == 202)
            #expect(try await api.waitTasks(upd).first?["result"]?["auto_publish"] == true)
            let bad = try await api.waitTasks(try await api.put("repositories/zoo/distributors/d1/", ["delta": ["auto_publish": "yes"]]))
            #expect(bad.first?["state"] == "error")
            #expect(bad.first?["error"]?["code"] == "PLP0015")
            expectErrorBody(try await api.put("repositories/zoo/distributors/nope/", [:]), status: 404, code: "PLP0009")
            expectErrorBody(try await api.delete("repositories/zoo/distributors/nope/"), status: 404, code: "PLP0009")
            #expect(try await api.delete("repositories/zoo/distributors/d1/").status == 202)
        }
    }

    @Test("20–22: sync and publish are 202; publish needs id; last_publish and last_sync; auto-publish spawns")
    func actions() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo(autoPublish: true)
            let sync = try await api.post("repositories/harness_repo_1/actions/sync/", ["override_config": [:]])
            #expect(sync.status == 202)
            #expect(sync.object["result"] == .null && sync.object["error"] == .null)
            let link = try #require(sync.object["spawned_tasks"]?.arrayValue?.first)
            #expect(link["_href"]?.stringValue == "/pulp/api/v2/tasks/\(link["task_id"]?.stringValue ?? "")/")
            let tasks = try await api.waitTasks(sync)
            #expect(tasks.count == 2, "the sync and its auto-publish")
            #expect(tasks[0]["spawned_tasks"]?.arrayValue?.count == 1)
            expectErrorBody(try await api.post("repositories/harness_repo_1/actions/publish/", [:]), status: 400, code: "PLP0016")
            expectErrorBody(try await api.post("repositories/nope/actions/sync/", [:]), status: 404, code: "PLP0009")
            expectErrorBody(try await api.post("repositories/nope/actions/publish/", ["id": "d"]), status: 404, code: "PLP0009")
            let pub = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/publish/", ["id": "dist_1"]))
            #expect(pub.first?["state"] == "finished")
            let d = try await api.get("repositories/harness_repo_1/distributors/dist_1/").object
            let lastPublish = try #require(d["last_publish"]?.stringValue)
            #expect(lastPublish.count == 20 && lastPublish.hasSuffix("Z") && !lastPublish.contains("."))
            #expect(try await api.get("repositories/harness_repo_1/importers/harness_importer/").object["last_sync"]?.stringValue != nil)
        }
    }

    @Test("23: DELETE is 202; afterwards everything is gone and a second DELETE is 404")
    func delete() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            _ = try await api.post("repositories/harness_repo_1/importers/harness_importer/schedules/sync/", ["schedule": "PT1H"])
            _ = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/sync/"))
            let del = try await api.delete("repositories/harness_repo_1/")
            #expect(del.status == 202)
            _ = try await api.waitTasks(del)
            #expect(try await api.get("repositories/harness_repo_1/").status == 404)
            expectErrorBody(try await api.delete("repositories/harness_repo_1/"), status: 404, code: "PLP0009", method: "DELETE")
            #expect(try api.rig.store.dump().allSatisfy { $0.hasPrefix("tasks:") || $0.hasPrefix("reconciler_meta") || $0.hasPrefix("roles:") || $0.hasPrefix("grants:") || $0.hasPrefix("auth_version:") })
        }
    }

    @Test("24–26: task reports, states, failures and tags")
    func taskReports() async throws {
        try await TestPulp().serve { api in
            _ = try await api.post("repositories/", ["id": "bare"])
            let failed = try await api.waitTasks(try await api.post("repositories/bare/actions/sync/"))
            let t = try #require(failed.first)
            for k in ["task_id", "state", "tags", "error", "exception", "traceback", "result", "start_time", "finish_time",
                      "progress_report", "spawned_tasks", "_href", "task_type", "worker_name", "queue"] {
                #expect(t[k] != nil, "\(k)")
            }
            #expect(t["state"] == "error")
            #expect(t["error"]?["code"]?.stringValue?.isEmpty == false && t["error"]?["description"]?.stringValue?.isEmpty == false)
            #expect(t["traceback"]?.stringValue != nil)
            #expect(t["tags"] == ["pulp:repository:bare", "pulp:action:sync"])
            #expect(TaskState(rawValue: t["state"]?.stringValue ?? "") != nil)
        }
    }

    @Test("27–28: task search by id and tag membership; GET /tasks/?tag= needs every tag")
    func taskSearch() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            let a = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/sync/"))
            let b = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/publish/", ["id": "dist_1"]))
            let ids = [a[0]["task_id"], b[0]["task_id"]].compactMap { $0 }
            let byId = try await api.post("tasks/search/", ["criteria": ["filters": ["task_id": ["$in": .array(ids)]]]])
            #expect(byId.json.arrayValue?.count == 2)
            let byTag = try await api.post("tasks/search/", ["criteria": ["filters": ["tags": ["$eq": "pulp:action:publish"]]]])
            #expect(byTag.json.arrayValue?.compactMap { $0["task_id"] } == [b[0]["task_id"]].compactMap { $0 })
            let fields = try await api.post("tasks/search/", ["criteria": ["fields": ["tags", "task_id", "state", "start_time", "finish_time"]]])
            #expect(fields.json.arrayValue?.first?.objectValue?.keys.contains("progress_report") == false)
            #expect(try await api.get("tasks/?tag=pulp:repository:harness_repo_1&tag=pulp:action:sync").json.arrayValue?.count == 1)
            #expect(try await api.get("tasks/?tag=pulp:repository:harness_repo_1").json.arrayValue?.count == 2)
            #expect(try await api.get("tasks/").status == 200)
        }
    }

    @Test("29–31: cancel, purge and task groups")
    func cancelPurgeGroups() async throws {
        let served = try TestPulp()
        try await served.serve { api in
            try await api.harnessRepo()
            await api.rig.pulp.engine.pause()
            let waiting = try await api.post("repositories/harness_repo_1/actions/sync/")
            let href = try #require(waiting.json["spawned_tasks"]?.arrayValue?.first?["_href"]?.stringValue)
            let cancel = try await api.delete(href)
            #expect(cancel.status == 200 && cancel.text == "null")
            #expect(try await api.get(href).object["state"] == "canceled")
            await api.rig.pulp.engine.resume()
            #expect(try await api.delete(href).status == 200, "canceling a complete task is a no-op")
            #expect(try await api.get(href).object["state"] == "canceled", "and it never changes again")
            expectErrorBody(try await api.delete("tasks/nope/"), status: 404, code: "PLP0009")
            let purge = try await api.delete("tasks/?state=finished")
            #expect(purge.status == 204)
            expectErrorBody(try await api.delete("tasks/"), status: 403, code: "PLP1012")
            for bad in ["canceled", "running"] { expectErrorBody(try await api.delete("tasks/?state=\(bad)"), status: 400, code: "PLP1011") }
            #expect(try await api.delete("tasks/?state=finished&state=skipped&state=error").status == 204)
            let summary = try await api.get("task_groups/unknown/state_summary/")
            #expect(summary.status == 200)
            #expect(summary.json == ["accepted": 0, "finished": 0, "running": 0, "canceled": 0, "waiting": 0, "skipped": 0,
                                     "suspended": 0, "error": 0, "total": 0])
            expectErrorBody(try await api.get("task_groups/g/"), status: 404, code: "PLP0009")
            expectErrorBody(try await api.delete("task_groups/g/"), status: 404, code: "PLP0009")
            _ = try await api.rig.pulp.inGroup("g1").download(repoId: "harness_repo_1", verifyAllUnits: false)
            #expect(try await api.delete("task_groups/g1/").status == 200)
            #expect(try await api.get("task_groups/g1/state_summary/").json["total"] == 1)
        }
    }

    @Test("32–36: repository and distributor search")
    func search() async throws {
        try await TestPulp().serve { api in
            for id in ["r1", "r2", "r3", "r4", "r5"] {
                _ = try await api.post("repositories/", ["id": .string(id), "notes": ["n": .string(id == "r3" ? "x" : "y")],
                                                         "distributors": [["distributor_id": "d", "distributor_type_id": "yum_distributor",
                                                                           "distributor_config": ["relative_url": .string(id)]]]])
            }
            expectErrorBody(try await api.post("repositories/search/", [:]), status: 400, code: "PLP0016")
            expectErrorBody(try await api.post("repositories/search/", ["criteria": ["bogus": 1]]), status: 400, code: "PLP0015")
            for bad: JSONValue in [["limit": 0], ["skip": -1], ["limit": true], ["sort": "id"]] {
                expectErrorBody(try await api.post("repositories/search/", ["criteria": bad]), status: 400, code: "PLP0015")
            }
            #expect(try await api.post("repositories/search/", ["criteria": [:]]).json.arrayValue?.count == 5)
            #expect(try await api.get("repositories/search/").json.arrayValue?.count == 5)
            let f = try await api.post("repositories/search/", ["criteria": ["filters": ["$and": [["notes.n": "y"], ["id": ["$regex": "^r[12]"]]]]]])
            #expect(f.json.arrayValue?.compactMap { $0["id"] } == ["r1", "r2"])
            let sorted = try await api.post("repositories/search/", ["criteria": ["sort": [["id", "descending"]], "fields": ["notes"]]])
            #expect(sorted.json.arrayValue?.compactMap { $0["id"] } == ["r5", "r4", "r3", "r2", "r1"])
            #expect(Set(sorted.json.arrayValue?.first?.objectValue?.keys.map { $0 } ?? []) == ["id", "_id", "_href", "notes"])
            var paged: [JSONValue] = []
            for skip in [0, 2, 4] {
                paged += try await api.post("repositories/search/", ["criteria": ["limit": 2, "skip": .int(skip)]]).json.arrayValue?
                    .compactMap { $0["id"] } ?? []
            }
            #expect(paged == ["r1", "r2", "r3", "r4", "r5"])
            let filters = #"{"id":{"$in":["r1","r4"]}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let get = try await api.get("repositories/search/?filters=\(filters)&field=id&field=notes&limit=5")
            #expect(get.json.arrayValue?.compactMap { $0["id"] } == ["r1", "r4"])
            let plus = try await api.get("repositories/search/?filters=%7B%22id%22:+%22r2%22%7D")
            #expect(plus.json.arrayValue?.compactMap { $0["id"] } == ["r2"], "+ is a space in query strings")
            expectErrorBody(try await api.get("repositories/search/?filters=%7Bnot"), status: 400, code: "PLP0015")
            let dists = try await api.post("distributors/search/", ["criteria": ["filters": ["config.relative_url": "r3"]]])
            #expect(dists.json.arrayValue?.first?["repo_id"] == "r3")
            #expect(try await api.post("distributors/search/", ["criteria": ["filters": ["distributor_id": "d"]]]).json.arrayValue?.count == 5)
            let details = try await api.post("repositories/search/", ["criteria": ["filters": ["id": "r1"]], "details": true])
            #expect(details.json.arrayValue?.first?["distributors"]?.arrayValue?.count == 1)
        }
    }

    @Test("37–40: sync schedules: create, validation, 404s, arithmetic")
    func syncSchedules() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            let path = "repositories/harness_repo_1/importers/harness_importer/schedules/sync/"
            let r = try await api.post(path, ["schedule": "PT30S"])
            #expect(r.status == 201)
            #expect(r.location == "/pulp/api/v2/\(path)\(r.object["_id"]?.stringValue ?? "")/")
            let o = r.object
            for k in ["_id", "_href", "schedule", "task", "args", "kwargs", "resource", "enabled", "failure_threshold",
                      "consecutive_failures", "remaining_runs", "total_run_count", "first_run", "next_run", "last_run_at", "last_updated"] {
                #expect(o[k] != nil, "\(k)")
            }
            #expect(o["resource"] == "pulp:importer:harness_repo_1:harness_importer")
            #expect(o["enabled"] == true && o["total_run_count"] == 0 && o["consecutive_failures"] == 0 && o["last_run_at"] == .null)
            #expect(o["kwargs"]?["overrides"] == [:])
            #expect(o["first_run"] == o["next_run"], "never run: next_run is now")
            for bad: JSONValue in [nil, "", "garbage", "P1M", "R0/PT1H", "00:00:00Z/P1DT", "PT0S", "2014-01-01T00:00:00Z"] {
                let e = try await api.post(path, ["schedule": bad])
                expectErrorBody(e, status: 400, code: "PLP0015")
                #expect(e.object["property_names"]?.arrayValue?.contains("schedule") == true, "\(bad)")
            }
            for good in ["R5/2014-01-01T00:00:00Z/P1D", "PT30S", "P1DT", "R1/P1DT"] {
                #expect(try await api.post(path, ["schedule": .string(good)]).status == 201, "\(good)")
            }
            expectErrorBody(try await api.post(path, ["schedule": "PT30S", "unknown": "parameter"]), status: 400, code: "PLP0017")
            expectErrorBody(try await api.post(path, ["schedule": "PT30S", "failure_threshold": 0]), status: 400, code: "PLP0015")
            expectErrorBody(try await api.post(path, ["schedule": "PT30S", "enabled": "yes"]), status: 400, code: "PLP0015")
            expectErrorBody(try await api.call(.post, path, raw: #"["Incorrect data type"]"#), status: 400, code: "PLP1015")
            for bad in ["repositories/nope/importers/harness_importer/schedules/sync/",
                        "repositories/harness_repo_1/importers/yum_importer/schedules/sync/"] {
                expectErrorBody(try await api.post(bad, ["schedule": "PT30S"]), status: 404, code: "PLP0009")
            }
            let r5 = try await api.post(path, ["schedule": "R5/2030-01-01T00:00:00+02:00/P1D"]).object
            #expect(r5["remaining_runs"] == 5)
            #expect(r5["first_run"] == "2030-01-01T00:00:00+02:00")
            #expect(r5["next_run"] == "2029-12-31T22:00:00Z", "first_run is in the future")
        }
    }

    @Test("41–42: firings count runs and disable; failures disable at the threshold (injectable clock)")
    func firings() async throws {
        let served = try TestPulp()
        try await served.serve { api in
            try await api.harnessRepo()
            let path = "repositories/harness_repo_1/importers/harness_importer/schedules/sync/"
            let counted = try await api.post(path, ["schedule": "R2/PT1M"]).object
            let pt2m = try await api.post("repositories/harness_repo_1/distributors/dist_1/schedules/publish/", ["schedule": "PT2M"]).object
            for _ in 0...130 {
                try await api.rig.pulp.fireDueSchedules()
                api.rig.clock.advance(by: 1)
            }
            await api.rig.pulp.engine.waitForIdle()
            let pub = try await api.get(try #require(pt2m["_href"]?.stringValue)).object
            #expect(pub["total_run_count"] == 2, "one immediate run and one at +120 s")
            #expect(pub["consecutive_failures"] == 0)
            #expect(pub["last_run_at"]?.stringValue != nil)
            let r2 = try await api.get(try #require(counted["_href"]?.stringValue)).object
            #expect(r2["total_run_count"] == 2 && r2["remaining_runs"] == 0 && r2["enabled"] == false)
            // A failing scheduled sync: a bad num_units override makes each run fail.
            _ = try await api.post("repositories/", ["id": "bad", "importer_type_id": "harness_importer"])
            let failing = try await api.post("repositories/bad/importers/harness_importer/schedules/sync/",
                                             ["schedule": "PT1M", "failure_threshold": 2, "override_config": ["num_units": "lots"]]).object
            for _ in 0..<4 {
                try await api.rig.pulp.fireDueSchedules()
                await api.rig.pulp.engine.waitForIdle()
                api.rig.clock.advance(by: 60)
            }
            let f = try await api.get(try #require(failing["_href"]?.stringValue)).object
            #expect(f["consecutive_failures"] == 2 && f["enabled"] == false && f["total_run_count"] == 2)
        }
    }

    @Test("43–44: schedule PUT, DELETE, 404s; publish schedules and their removal with the distributor")
    func scheduleUpdates() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            let path = "repositories/harness_repo_1/distributors/dist_1/schedules/publish/"
            let created = try await api.post(path, ["schedule": "PT1H"]).object
            #expect(created["args"] == ["harness_repo_1", "dist_1"])
            #expect(created["resource"] == "pulp:distributor:harness_repo_1:dist_1")
            let href = try #require(created["_href"]?.stringValue)
            api.rig.clock.advance(by: 3600)
            let put = try await api.put(href, ["schedule": "PT1M", "failure_threshold": 4, "remaining_runs": 3])
            #expect(put.status == 200)
            #expect(Set(put.object.keys) == Set(created.keys))
            #expect(put.object["schedule"] == "PT1M" && put.object["remaining_runs"] == 3)
            #expect(put.object["first_run"] != created["first_run"], "a changed schedule recomputes first_run")
            expectErrorBody(try await api.put(href, ["bogus": 1]), status: 400, code: "PLP0017")
            expectErrorBody(try await api.get("\(path)000000000000000000000000/"), status: 404, code: "PLP0009")
            let missing = try await api.delete("\(path)nope/")
            expectErrorBody(missing, status: 404, code: "PLP0009")
            #expect(missing.object["resources"] == ["schedule_id": "nope"])
            #expect(try await api.get(path).json.arrayValue?.count == 1)
            let del = try await api.delete("repositories/harness_repo_1/distributors/dist_1/")
            _ = try await api.waitTasks(del)
            #expect(try api.rig.store.readSync { db in try db.allSchedules() }.isEmpty)
        }
    }

    @Test("45: consumer schedules need units, echo units and options, 404 for unknown consumers")
    func consumerSchedules() async throws {
        try await TestPulp().serve { api in
            let reg = try await api.post("consumers/", ["id": "me"])
            #expect(reg.status == 201)
            let path = "consumers/me/schedules/content/update/"
            expectErrorBody(try await api.post(path, ["schedule": "R1/P1DT"]), status: 400, code: "PLP0016")
            expectErrorBody(try await api.post(path, ["schedule": "R1/P1DT", "units": [], "bogus": 1]), status: 400, code: "PLP0017")
            let r = try await api.post(path, ["schedule": "R1/P1DT", "units": [["type_id": "rpm", "unit_key": ["name": "gofer"]]]])
            #expect(r.status == 201)
            #expect(r.object["units"] == [["type_id": "rpm", "unit_key": ["name": "gofer"]]] && r.object["options"] == [:])
            #expect(r.object["task"] == "pulp.server.tasks.consumer.update_content" && r.object["remaining_runs"] == 1)
            let unknown = try await api.post("consumers/ghost/schedules/content/install/", ["schedule": "PT1H", "units": []])
            expectErrorBody(unknown, status: 404, code: "PLP0009")
            #expect(unknown.object["resources"] == ["consumer": "ghost"])
            #expect(try await api.get("consumers/ghost/schedules/content/install/").object["resources"] == ["consumer_id": "ghost"])
            expectErrorBody(try await api.get("consumers/me/schedules/content/reboot/"), status: 404, code: "PLP0009")
            // Fired, it ends skipped: there is no consumer agent.
            let fired = try await api.rig.pulp.fireDueSchedules()
            await api.rig.pulp.engine.waitForIdle()
            let task = try await api.get("tasks/\(try #require(fired.first))/").object
            #expect(task["state"] == "skipped")
            #expect(task["tags"]?.arrayValue?.first == "pulp:consumer:me")
            #expect(task["progress_report"]?["message"]?.stringValue?.contains("no consumer agent") == true)
        }
    }

    @Test("46: history: newest first, sort, limit, dates, 400s and 404s")
    func history() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            for _ in 0..<3 {
                _ = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/sync/"))
                api.rig.clock.advance(by: 86400)
            }
            let all = try await api.get("repositories/harness_repo_1/history/sync/").json.arrayValue ?? []
            #expect(all.count == 3)
            #expect(all.compactMap { $0["added_count"] } == [0, 0, 5], "newest first")
            #expect(try await api.get("repositories/harness_repo_1/history/sync/?sort=ascending&limit=1").json.arrayValue?.first?["added_count"] == 5)
            let ranged = try await api.get("repositories/harness_repo_1/history/sync/?start_date=2016-03-02T00:00:00Z&end_date=2016-03-03T12:00:00Z")
            #expect(ranged.json.arrayValue?.count == 2)
            let bad = try await api.get("repositories/harness_repo_1/history/sync/?limit=0&sort=up")
            expectErrorBody(bad, status: 400, code: "PLP0015")
            #expect(bad.object["property_names"] == ["limit", "sort"])
            expectErrorBody(try await api.get("repositories/nope/history/sync/"), status: 404, code: "PLP0009")
            expectErrorBody(try await api.get("repositories/harness_repo_1/history/publish/nope/"), status: 404, code: "PLP0009")
            _ = try await api.waitTasks(try await api.post("repositories/harness_repo_1/actions/publish/", ["id": "dist_1"]))
            #expect(try await api.get("repositories/harness_repo_1/history/publish/dist_1/").json.arrayValue?.count == 1)
        }
    }
}

enum HTTPMethodName {
    case get, put, delete
    var method: HTTPRequest.Method {
        switch self {
        case .get: return .get
        case .put: return .put
        case .delete: return .delete
        }
    }
}
