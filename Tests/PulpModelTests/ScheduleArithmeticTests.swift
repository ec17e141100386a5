import Testing
@testable import PulpModel

/// A deterministic generator, so that a failing property case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func dt(_ s: String) -> PulpDateTime {
    guard let d = PulpDateTime.parse(s) else {
        Issue.record("bad datetime in test: \(s)")
        return PulpDateTime(epoch: 0)
    }
    return d
}

func makeSchedule(_ text: String, now: PulpDateTime) throws -> Schedule {
    let interval = try ISOInterval.parse(text)
    return Schedule.new(id: "52e6d29edd01fb70bd0d9c37", owner: .importer(repoId: "demo", importerId: "yum_importer"),
                        interval: interval, kwargs: ["overrides": [:]], enabled: true, failureThreshold: nil, now: now)
}

@Suite("Schedule arithmetic (§1c)")
struct ScheduleArithmeticTests {
    @Test("first_run is the start, or now; remaining_runs is the R count")
    func firstRunAndRemaining() throws {
        let now = dt("2014-01-27T21:41:50Z")
        let a = try makeSchedule("PT1H", now: now)
        #expect(a.firstRun.iso8601 == "2014-01-27T21:41:50Z")
        #expect(a.remainingRuns == nil)
        #expect(a.totalRunCount == 0)
        let b = try makeSchedule("R5/2014-01-01T00:00:00+02:00/P1D", now: now)
        #expect(b.firstRun.iso8601 == "2014-01-01T00:00:00+02:00")
        #expect(b.remainingRuns == 5)
    }

    @Test("next_run: first_run in the future, now if never run, else the next boundary")
    func nextRun() throws {
        let now = dt("2014-01-27T21:41:50Z")
        let future = try makeSchedule("2015-01-01T00:00:00Z/P1D", now: now)
        #expect(future.nextRun(now: now).iso8601 == "2015-01-01T00:00:00Z")

        var past = try makeSchedule("2014-01-01T00:00:00Z/PT1H", now: now)
        #expect(past.nextRun(now: now).iso8601 == "2014-01-27T21:41:50Z", "never run: now")
        past.recordFiring(now: now)
        #expect(past.nextRun(now: now).iso8601 == "2014-01-27T22:00:00Z")
        // Exactly on a boundary, the next one is a whole interval later.
        #expect(past.nextRun(now: dt("2014-01-27T22:00:00Z")).iso8601 == "2014-01-27T23:00:00Z")
    }

    @Test("months and years step by the calendar, from first_run")
    func calendarSteps() throws {
        let start = dt("2014-01-31T10:00:00Z")
        let month = ISODuration(months: 1)
        #expect(month.step(start, times: 1).iso8601 == "2014-02-28T10:00:00Z")
        #expect(month.step(start, times: 2).iso8601 == "2014-03-31T10:00:00Z")
        #expect(month.step(start, times: 13).iso8601 == "2015-02-28T10:00:00Z")
        #expect(ISODuration(months: 12).step(dt("2016-02-29T00:00:00Z"), times: 1).iso8601 == "2017-02-28T00:00:00Z")
        #expect(ISODuration(months: 12).step(dt("2016-02-29T00:00:00Z"), times: 4).iso8601 == "2020-02-29T00:00:00Z")
        // The offset's local calendar is used: 31 Jan 00:30 at +02:00 steps to 28 Feb 00:30 local.
        #expect(month.step(dt("2014-01-31T00:30:00+02:00"), times: 1).iso8601 == "2014-02-28T00:30:00+02:00")
        #expect(month.completedSteps(from: start, to: dt("2014-03-31T09:59:59Z")) == 1)
        #expect(month.completedSteps(from: start, to: dt("2014-03-31T10:00:00Z")) == 2)

        var s = try makeSchedule("2014-01-31T10:00:00Z/P1M", now: dt("2014-01-31T10:00:00Z"))
        s.recordFiring(now: dt("2014-01-31T10:00:00Z"))
        #expect(s.nextRun(now: dt("2014-02-10T00:00:00Z")).iso8601 == "2014-02-28T10:00:00Z")
        #expect(s.nextRun(now: dt("2014-03-01T00:00:00Z")).iso8601 == "2014-03-31T10:00:00Z")
    }

    @Test("a firing counts down remaining_runs and disables at zero")
    func firings() throws {
        let now = dt("2014-01-01T00:00:00Z")
        var s = try makeSchedule("R2/PT1H", now: now)
        s.recordFiring(now: now)
        #expect(s.totalRunCount == 1)
        #expect(s.remainingRuns == 1)
        #expect(s.enabled)
        #expect(s.lastRunAt == now)
        s.recordFiring(now: dt("2014-01-01T01:00:00Z"))
        #expect(s.remainingRuns == 0)
        #expect(!s.enabled)
    }

    @Test("failures disable at the threshold; a success resets the count")
    func failures() throws {
        var s = try makeSchedule("PT1H", now: dt("2014-01-01T00:00:00Z"))
        s.failureThreshold = 2
        s.recordFailure()
        #expect(s.consecutiveFailures == 1 && s.enabled)
        s.recordSuccess()
        #expect(s.consecutiveFailures == 0)
        s.recordFailure()
        s.recordFailure()
        #expect(s.consecutiveFailures == 2)
        #expect(!s.enabled)
        var unlimited = try makeSchedule("PT1H", now: dt("2014-01-01T00:00:00Z"))
        for _ in 0..<10 { unlimited.recordFailure() }
        #expect(unlimited.enabled)
    }

    @Test("a PT2M schedule without a start has run twice after 130 s")
    func pt2mRunsTwice() throws {
        let created = dt("2016-03-01T10:00:00Z")
        var s = try makeSchedule("PT2M", now: created)
        var now = created
        for _ in 0...130 {
            if s.isDue(now: now) { s.recordFiring(now: now) }
            now.epoch += 1
        }
        #expect(s.totalRunCount == 2)
    }

    @Test("property: after a firing, next_run is after now and on first_run + k·interval")
    func nextRunProperty() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let units: [(String, Double)] = [("S", 1), ("M", 60), ("H", 3600)]
        for _ in 0..<2000 {
            let calendar = Int.random(in: 0..<4, using: &rng) == 0
            let text: String
            let base = dt("2014-01-31T10:00:00Z").epoch + Double(Int.random(in: 0..<(3 * 365 * 86400), using: &rng))
            let start = PulpDateTime(epoch: base.rounded(.down))
            if calendar {
                text = "\(start.iso8601)/P\(Int.random(in: 1...14, using: &rng))M"
            } else {
                let (u, _) = units[Int.random(in: 0..<units.count, using: &rng)]
                text = Bool.random(using: &rng)
                    ? "\(start.iso8601)/PT\(Int.random(in: 1...500, using: &rng))\(u)"
                    : "\(start.iso8601)/P\(Int.random(in: 1...40, using: &rng))D"
            }
            let interval = try ISOInterval.parse(text)
            var s = Schedule.new(id: "0", owner: .importer(repoId: "r", importerId: "t"), interval: interval, kwargs: [:],
                                 enabled: true, failureThreshold: nil, now: start)
            let now = PulpDateTime(epoch: start.epoch + Double(Int.random(in: 0..<(5 * 365 * 86400), using: &rng)))
            s.recordFiring(now: now)
            let next = s.nextRun(now: now)
            #expect(next.epoch > now.epoch, "\(text) at \(now)")
            let k = interval.duration.completedSteps(from: s.firstRun, to: next)
            #expect(interval.duration.step(s.firstRun, times: k).epoch == next.epoch, "\(text): \(next) is on the grid")
            // And it is the first boundary after now.
            #expect(interval.duration.step(s.firstRun, times: k - 1).epoch <= now.epoch, "\(text): no boundary skipped")
            #expect(!s.isDue(now: now), "a schedule that just fired is not due again at once")
            #expect(s.isDue(now: next), "\(text): due at next_run")
        }
    }

    @Test("the display has every key of the seed's sample, with the right types")
    func display() throws {
        let now = dt("2014-01-27T21:41:50Z")
        let s = try makeSchedule("PT1H", now: now)
        let o = s.json(now: now)
        let keys: Set<String> = ["next_run", "task", "last_updated", "first_run", "schedule", "args", "enabled", "last_run_at",
                                 "_id", "total_run_count", "failure_threshold", "kwargs", "resource", "remaining_runs",
                                 "consecutive_failures", "_href"]
        #expect(keys.isSubset(of: Set(o.keys)))
        #expect(o["_href"] == "/pulp/api/v2/repositories/demo/importers/yum_importer/schedules/sync/52e6d29edd01fb70bd0d9c37/")
        #expect(o["resource"] == "pulp:importer:demo:yum_importer")
        #expect(o["args"] == ["demo"])
        #expect(o["kwargs"]?["overrides"] == [:])
        #expect(o["last_updated"] == .double(1_390_858_910))
        #expect(o["next_run"] == "2014-01-27T21:41:50Z")
        #expect(o["total_run_count"] == 0)
        let consumer = Schedule.new(id: "x", owner: .consumer(consumerId: "me", action: .update),
                                    interval: try ISOInterval.parse("R1/P1DT"),
                                    kwargs: ["units": [["type_id": "rpm"]], "options": [:]], enabled: true,
                                    failureThreshold: nil, now: now)
        let c = consumer.json(now: now)
        #expect(c["units"] == [["type_id": "rpm"]])
        #expect(c["options"] == [:])
        #expect(c["task"] == "pulp.server.tasks.consumer.update_content")
        #expect(c["resource"] == "pulp:consumer:me")
        #expect(c["remaining_runs"] == 1)
        #expect(c["_href"] == "/pulp/api/v2/consumers/me/schedules/content/update/x/")
    }
}

@Suite("Schedule arithmetic at the edges")
struct ScheduleEdgeTests {
    @Test("a one-second interval far from its start computes without overflow")
    func farFuture() throws {
        var s = try makeSchedule("1970-01-01T00:00:00Z/PT1S", now: dt("1970-01-01T00:00:00Z"))
        let now = dt("9999-12-31T23:59:58Z")
        s.recordFiring(now: now)
        #expect(s.nextRun(now: now).iso8601 == "9999-12-31T23:59:59Z")
        var m = try makeSchedule("0001-01-31T00:00:00Z/P1M", now: dt("0001-01-31T00:00:00Z"))
        m.recordFiring(now: now)
        #expect(m.nextRun(now: now).iso8601 == "10000-01-31T00:00:00Z")
    }
}
