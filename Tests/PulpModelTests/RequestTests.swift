import Testing
@testable import PulpModel

@Suite("Request bodies")
struct RequestTests {
    @Test("repository create: bad, missing or null ids are InvalidValue ['repo_id']; extra keys are ignored")
    func repositoryCreate() throws {
        for body: JSONObject in [[:], ["id": nil], ["id": 5], ["missing_required_keys": "id"]] {
            #expect(throws: PulpError.invalidValue(["repo_id"])) { try RepositoryCreate.parse(body) }
        }
        #expect(throws: PulpError.invalidValue(["distributor_list"])) {
            try RepositoryCreate.parse(["id": "r", "distributors": "nope"])
        }
        #expect(throws: PulpError.invalidValue(["distributor_list"])) {
            try RepositoryCreate.parse(["id": "r", "distributors": ["nope"]])
        }
        let r = try RepositoryCreate.parse([
            "id": "zoo", "relative_path": "x", "notes": ["a": nil],
            "distributors": [["distributor_id": "d", "distributor_type_id": "yum_distributor", "last_publish": nil,
                              "repo_id": "zoo", "distributor_config": ["relative_url": nil]]],
        ])
        #expect(r.id == "zoo")
        #expect(r.notes == ["a": nil], "notes keep nulls")
        #expect(r.distributors.first?.config == ["relative_url": nil], "cleaning happens when stored")
        #expect(try RepositoryCreate.parse(r.json()) == r)
    }

    @Test("repository update: a non-object delta is PLP1010")
    func repositoryUpdate() throws {
        #expect(throws: PulpError.invalidType(field: "delta", value: "x", fieldType: "dict")) {
            try RepositoryUpdate.parse(["delta": "x"])
        }
        let u = try RepositoryUpdate.parse([:])
        #expect(u == RepositoryUpdate())
        let full = RepositoryUpdate(delta: ["display_name": "Updated"], importerConfig: ["k": "v"],
                                    distributorConfigs: ["d": ["k": nil]])
        #expect(try RepositoryUpdate.parse(full.json()) == full)
    }

    @Test("schedule create: unknown keys are UnsupportedValue, bad values InvalidValue")
    func scheduleCreate() throws {
        #expect(throws: PulpError.unsupportedValue(["unknown"])) {
            try ScheduleCreate.parse(["schedule": "PT30S", "unknown": "parameter"], kind: .sync)
        }
        #expect(throws: PulpError.invalidValue(["schedule"])) { try ScheduleCreate.parse(["schedule": nil], kind: .sync) }
        #expect(throws: PulpError.invalidValue(["schedule"])) {
            try ScheduleCreate.parse(["missing_required_keys": "schedule"].filter { $0.key == "x" }, kind: .sync)
        }
        #expect(throws: PulpError.invalidValue(["schedule", "failure_threshold", "enabled"])) {
            try ScheduleCreate.parse(["schedule": "P1M", "failure_threshold": 0, "enabled": "yes"], kind: .publish)
        }
        #expect(throws: PulpError.invalidValue(["failure_threshold"])) {
            try ScheduleCreate.parse(["schedule": "PT1H", "failure_threshold": true], kind: .sync)
        }
        let s = try ScheduleCreate.parse(["schedule": "PT1H", "override_config": ["x": 1], "failure_threshold": 3], kind: .sync)
        #expect(s == ScheduleCreate(schedule: "PT1H", overrideConfig: ["x": 1], failureThreshold: 3, enabled: true))
        // Consumer schedules need units.
        #expect(throws: PulpError.missingValue(["units"])) { try ScheduleCreate.parse(["schedule": "PT1H"], kind: .install) }
        #expect(throws: PulpError.unsupportedValue(["override_config"])) {
            try ScheduleCreate.parse(["schedule": "PT1H", "units": [], "override_config": [:]], kind: .install)
        }
        let c = try ScheduleCreate.parse(["schedule": "R1/P1DT", "units": [["type_id": "rpm"]]], kind: .update)
        #expect(c.options == [:])
        #expect(try ScheduleCreate.parse(c.json(kind: .update), kind: .update) == c)
    }

    @Test("schedule update accepts only its keys")
    func scheduleUpdate() throws {
        #expect(throws: PulpError.unsupportedValue(["bogus"])) { try ScheduleUpdate.parse(["bogus": 1], kind: .sync) }
        #expect(throws: PulpError.invalidValue(["remaining_runs"])) { try ScheduleUpdate.parse(["remaining_runs": -1], kind: .sync) }
        let u = try ScheduleUpdate.parse(["schedule": "PT1M", "failure_threshold": nil, "enabled": false], kind: .publish)
        #expect(u.schedule == "PT1M" && u.failureThreshold == .null && u.enabled == false)
        #expect(try ScheduleUpdate.parse(u.json(), kind: .publish) == u)
    }

    @Test("history queries name every bad parameter")
    func history() throws {
        #expect(throws: PulpError.invalidValue(["limit", "sort", "start_date"])) {
            try HistoryQuery.parse(limit: "0", sort: "sideways", startDate: "yesterday", endDate: nil)
        }
        let q = try HistoryQuery.parse(limit: "2", sort: "ascending", startDate: "2014-01-01T00:00:00Z", endDate: nil)
        #expect(q.limit == 2 && q.ascending && q.startDate?.epoch == 1_388_534_400)
        #expect(try HistoryQuery.parse(limit: nil, sort: nil, startDate: nil, endDate: nil).ascending == false)
    }

    @Test("task reports and summaries have Pulp's keys")
    func taskShapes() {
        let t = TaskReport(taskId: "t1", oid: "0", state: .waiting, taskType: TaskType.publish,
                           tags: ["pulp:repository:zoo", "pulp:action:publish"])
        let o = t.json(includeQueue: true)
        for k in ["task_id", "state", "tags", "error", "exception", "traceback", "result", "start_time", "finish_time",
                  "progress_report", "spawned_tasks", "_href", "task_type", "worker_name", "queue"] {
            #expect(o[k] != nil, "\(k)")
        }
        #expect(o["_href"] == "/pulp/api/v2/tasks/t1/")
        #expect(o["worker_name"] == .null && o["queue"] == .null)
        let summary = TaskGroupSummary(states: [.finished, .finished, .running])
        #expect(summary.json() == ["accepted": 0, "finished": 2, "running": 1, "canceled": 0, "waiting": 0, "skipped": 0,
                                   "suspended": 0, "error": 0, "total": 3])
        #expect(!summary.isDone)
        #expect(TaskGroupSummary().isDone && TaskGroupSummary().total == 0)
        #expect(CallReport(spawnedTasks: ["t1"]).json() == ["result": nil, "error": nil,
                                                           "spawned_tasks": [["_href": "/pulp/api/v2/tasks/t1/", "task_id": "t1"]]])
    }

    @Test("a repository renders behaviour 3's keys")
    func repositoryShape() {
        let r = Repository(id: "zoo", oid: "5328b2983738202945a3bb47")
        #expect(r.json() == [
            "id": "zoo", "_id": ["$oid": "5328b2983738202945a3bb47"], "_href": "/pulp/api/v2/repositories/zoo/", "_ns": "repos",
            "display_name": "zoo", "description": nil, "notes": [:], "scratchpad": [:], "content_unit_counts": [:],
            "last_unit_added": nil, "last_unit_removed": nil,
        ])
    }
}
