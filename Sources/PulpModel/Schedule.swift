import Foundation

/// What a schedule runs, and so where it lives in the API.
public enum ScheduleKind: String, Sendable, Codable, CaseIterable {
    case sync
    case publish
    case install
    case update
    case uninstall

    public var isConsumerContent: Bool { self == .install || self == .update || self == .uninstall }

    /// The celery task name Pulp stores in `task`.
    public var taskName: String {
        switch self {
        case .sync: return "pulp.server.tasks.repository.sync_with_auto_publish"
        case .publish: return "pulp.server.controllers.repository.queue_publish"
        case .install: return "pulp.server.tasks.consumer.install_content"
        case .update: return "pulp.server.tasks.consumer.update_content"
        case .uninstall: return "pulp.server.tasks.consumer.uninstall_content"
        }
    }
}

/// Who owns a schedule: the path segment that leads to it.
public enum ScheduleOwner: Sendable, Hashable {
    /// `/repositories/<repo>/importers/<importer_type>/schedules/sync/`
    case importer(repoId: String, importerId: String)
    /// `/repositories/<repo>/distributors/<dist>/schedules/publish/`
    case distributor(repoId: String, distributorId: String)
    /// `/consumers/<consumer>/schedules/content/<action>/`
    case consumer(consumerId: String, action: ScheduleKind)

    public var kind: ScheduleKind {
        switch self {
        case .importer: return .sync
        case .distributor: return .publish
        case .consumer(_, let action): return action
        }
    }

    /// `resource`: `pulp:importer:<r>:<t>`, `pulp:distributor:<r>:<d>`, `pulp:consumer:<c>`.
    public var resource: String {
        switch self {
        case .importer(let r, let t): return "pulp:importer:\(r):\(t)"
        case .distributor(let r, let d): return "pulp:distributor:\(r):\(d)"
        case .consumer(let c, _): return "pulp:consumer:\(c)"
        }
    }

    public var args: [JSONValue] {
        switch self {
        case .importer(let r, _): return [.string(r)]
        case .distributor(let r, let d): return [.string(r), .string(d)]
        case .consumer(let c, _): return [.string(c)]
        }
    }

    /// The collection path, ending in `/`.
    public var collectionHref: String {
        switch self {
        case .importer(let r, let t): return "\(PulpPaths.repository(r))importers/\(t)/schedules/sync/"
        case .distributor(let r, let d): return "\(PulpPaths.repository(r))distributors/\(d)/schedules/publish/"
        case .consumer(let c, let a): return "\(PulpPaths.apiRoot)consumers/\(c)/schedules/content/\(a.rawValue)/"
        }
    }

    /// The repository the schedule belongs to, if any.
    public var repoId: String? {
        switch self {
        case .importer(let r, _), .distributor(let r, _): return r
        case .consumer: return nil
        }
    }

    /// The importer type, distributor id or consumer id in the path.
    public var ownerId: String {
        switch self {
        case .importer(_, let t): return t
        case .distributor(_, let d): return d
        case .consumer(let c, _): return c
        }
    }
}

/// A Pulp `ScheduledCall`, with the arithmetic of pulp2-compat.md §1c.
public struct Schedule: Sendable, Hashable {
    /// 24 hex digits.
    public var id: String
    public var owner: ScheduleOwner
    /// The ISO 8601 interval as given (`iso_schedule`).
    public var schedule: String
    /// For repository schedules `{"overrides": {...}}`; for consumer schedules `{"units": [...], "options": {...}}`.
    public var kwargs: JSONObject
    public var enabled: Bool
    public var failureThreshold: Int?
    public var consecutiveFailures: Int
    public var remainingRuns: Int?
    public var totalRunCount: Int
    public var firstRun: PulpDateTime
    public var lastRunAt: PulpDateTime?
    /// Float epoch seconds.
    public var lastUpdated: Double

    public init(id: String, owner: ScheduleOwner, schedule: String, kwargs: JSONObject, enabled: Bool,
                failureThreshold: Int?, consecutiveFailures: Int, remainingRuns: Int?, totalRunCount: Int,
                firstRun: PulpDateTime, lastRunAt: PulpDateTime?, lastUpdated: Double)
    {
        self.id = id
        self.owner = owner
        self.schedule = schedule
        self.kwargs = kwargs
        self.enabled = enabled
        self.failureThreshold = failureThreshold
        self.consecutiveFailures = consecutiveFailures
        self.remainingRuns = remainingRuns
        self.totalRunCount = totalRunCount
        self.firstRun = firstRun
        self.lastRunAt = lastRunAt
        self.lastUpdated = lastUpdated
    }

    /// A new schedule: `first_run` is the interval's start or `now`, `remaining_runs` its `R` count.
    public static func new(id: String, owner: ScheduleOwner, interval: ISOInterval, kwargs: JSONObject,
                           enabled: Bool, failureThreshold: Int?, now: PulpDateTime) -> Schedule
    {
        Schedule(id: id, owner: owner, schedule: interval.text, kwargs: kwargs, enabled: enabled,
                 failureThreshold: failureThreshold, consecutiveFailures: 0, remainingRuns: interval.recurrences,
                 totalRunCount: 0, firstRun: interval.start ?? now.utc, lastRunAt: nil, lastUpdated: now.epoch)
    }

    public var kind: ScheduleKind { owner.kind }
    public var href: String { owner.collectionHref + id + "/" }

    /// The parsed interval. Stored schedules were validated on the way in.
    public var interval: ISOInterval? { try? ISOInterval.parse(schedule) }

    /// `calculate_next_run`: `first_run` while it is in the future; `now` if the schedule has never
    /// run; otherwise the first interval boundary after now.
    public func nextRun(now: PulpDateTime) -> PulpDateTime {
        if firstRun.epoch > now.epoch { return firstRun.utc }
        if totalRunCount == 0 { return now.utc }
        guard let duration = interval?.duration else { return now.utc }
        let k = duration.completedSteps(from: firstRun, to: now)
        return duration.step(firstRun, times: k + 1).utc
    }

    /// Whether the scheduler should fire it now (Pulp's `ScheduleEntry.is_due`).
    public func isDue(now: PulpDateTime) -> Bool {
        guard enabled, firstRun.epoch <= now.epoch else { return false }
        guard totalRunCount > 0, let lastRunAt else { return true }
        guard let duration = interval?.duration else { return false }
        let k = duration.completedSteps(from: firstRun, to: now)
        let lastScheduled = duration.step(firstRun, times: k)
        return lastRunAt.epoch < lastScheduled.epoch
    }

    /// One firing (`ScheduleEntry._next_instance`): `last_run_at` = now, `total_run_count += 1`, and a
    /// non-null `remaining_runs` counts down; at zero the schedule is disabled.
    public mutating func recordFiring(now: PulpDateTime) {
        lastRunAt = now.utc
        totalRunCount += 1
        if let r = remainingRuns, r > 0 {
            remainingRuns = r - 1
            if r - 1 == 0 { enabled = false }
        }
        lastUpdated = now.epoch
    }

    /// A failed scheduled run (`increment_failure_count`).
    public mutating func recordFailure() {
        consecutiveFailures += 1
        if let threshold = failureThreshold, enabled, consecutiveFailures >= threshold {
            enabled = false
        }
    }

    /// A successful scheduled run (`reset_failure_count`).
    public mutating func recordSuccess() {
        consecutiveFailures = 0
    }

    /// `for_display()` plus `_href`, at time `now`.
    public func json(now: PulpDateTime) -> JSONObject {
        var kw = kwargs
        if !kind.isConsumerContent {
            kw["scheduled_call_id"] = .string(id)
        }
        var o: JSONObject = [
            "_id": .string(id),
            "_href": .string(href),
            "schedule": .string(schedule),
            "task": .string(kind.taskName),
            "args": .array(owner.args),
            "kwargs": .object(kw),
            "resource": .string(owner.resource),
            "enabled": .bool(enabled),
            "failure_threshold": .from(failureThreshold),
            "consecutive_failures": .int(consecutiveFailures),
            "remaining_runs": .from(remainingRuns),
            "total_run_count": .int(totalRunCount),
            "first_run": .string(firstRun.iso8601),
            "next_run": .string(nextRun(now: now).iso8601),
            "last_run_at": .from(lastRunAt),
            "last_updated": .double(lastUpdated),
        ]
        if kind.isConsumerContent {
            o["units"] = kwargs["units"] ?? .array([])
            o["options"] = kwargs["options"] ?? .object([:])
        }
        return o
    }
}

// MARK: - Request bodies

/// The body of a schedule POST, validated as Pulp does (§1c).
public struct ScheduleCreate: Sendable, Hashable {
    public var schedule: String
    public var overrideConfig: JSONObject
    public var failureThreshold: Int?
    public var enabled: Bool
    /// Consumer content schedules only.
    public var units: [JSONValue]?
    public var options: JSONObject?

    public init(schedule: String, overrideConfig: JSONObject = [:], failureThreshold: Int? = nil, enabled: Bool = true,
                units: [JSONValue]? = nil, options: JSONObject? = nil)
    {
        self.schedule = schedule
        self.overrideConfig = overrideConfig
        self.failureThreshold = failureThreshold
        self.enabled = enabled
        self.units = units
        self.options = options
    }

    /// The JSON body a client sends.
    public func json(kind: ScheduleKind) -> JSONObject {
        var o: JSONObject = ["schedule": .string(schedule), "enabled": .bool(enabled),
                             "failure_threshold": .from(failureThreshold)]
        if kind.isConsumerContent {
            o["units"] = .array(units ?? [])
            o["options"] = .object(options ?? [:])
        } else {
            o["override_config"] = .object(overrideConfig)
        }
        return o
    }

    /// Validates a POST body: unknown keys give UnsupportedValue; bad values InvalidValue naming every bad key.
    public static func parse(_ body: JSONObject, kind: ScheduleKind) throws(PulpError) -> ScheduleCreate {
        let allowed: Set<String> = kind.isConsumerContent
            ? ["schedule", "failure_threshold", "enabled", "units", "options"]
            : ["schedule", "override_config", "failure_threshold", "enabled"]
        let unknown = body.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty { throw .unsupportedValue(unknown) }
        var units: [JSONValue]?
        var options: JSONObject?
        if kind.isConsumerContent {
            guard let u = body["units"], !u.isNull else { throw .missingValue(["units"]) }
            guard case .array(let arr) = u else { throw .invalidValue(["units"]) }
            units = arr
            switch body["options"] {
            case nil, .null?: options = [:]
            case .object(let o)?: options = o
            default: throw .invalidValue(["options"])
            }
        }
        var invalid: [String] = []
        let schedule = body["schedule"]?.stringValue ?? ""
        if !ISOInterval.isValid(body["schedule"]) { invalid.append("schedule") }
        var overrides: JSONObject = [:]
        switch body["override_config"] {
        case nil, .null?: break
        case .object(let o)?: overrides = o
        default: invalid.append("override_config")
        }
        var threshold: Int?
        switch body["failure_threshold"] {
        case nil, .null?: break
        case .int(let n)? where n > 0: threshold = n
        default: invalid.append("failure_threshold")
        }
        var enabled = true
        switch body["enabled"] {
        case nil: break
        case .bool(let b)?: enabled = b
        default: invalid.append("enabled")
        }
        if !invalid.isEmpty { throw .invalidValue(invalid) }
        return ScheduleCreate(schedule: schedule, overrideConfig: overrides, failureThreshold: threshold,
                              enabled: enabled, units: units, options: options)
    }
}

/// The body of a schedule PUT. Each field is nil when not given; `failureThreshold` distinguishes
/// "not given" from an explicit null.
public struct ScheduleUpdate: Sendable, Hashable {
    public var schedule: String?
    public var overrideConfig: JSONObject?
    public var failureThreshold: JSONValue?
    public var enabled: Bool?
    public var remainingRuns: Int?
    public var units: [JSONValue]?
    public var options: JSONObject?

    public init(schedule: String? = nil, overrideConfig: JSONObject? = nil, failureThreshold: JSONValue? = nil,
                enabled: Bool? = nil, remainingRuns: Int? = nil, units: [JSONValue]? = nil, options: JSONObject? = nil)
    {
        self.schedule = schedule
        self.overrideConfig = overrideConfig
        self.failureThreshold = failureThreshold
        self.enabled = enabled
        self.remainingRuns = remainingRuns
        self.units = units
        self.options = options
    }

    public func json() -> JSONObject {
        var o = JSONObject()
        if let schedule { o["schedule"] = .string(schedule) }
        if let overrideConfig { o["override_config"] = .object(overrideConfig) }
        if let failureThreshold { o["failure_threshold"] = failureThreshold }
        if let enabled { o["enabled"] = .bool(enabled) }
        if let remainingRuns { o["remaining_runs"] = .int(remainingRuns) }
        if let units { o["units"] = .array(units) }
        if let options { o["options"] = .object(options) }
        return o
    }

    public static func parse(_ body: JSONObject, kind: ScheduleKind) throws(PulpError) -> ScheduleUpdate {
        var allowed: Set<String> = ["schedule", "failure_threshold", "enabled", "remaining_runs"]
        if kind.isConsumerContent { allowed.formUnion(["units", "options"]) } else { allowed.insert("override_config") }
        let unknown = body.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty { throw .unsupportedValue(unknown) }
        var u = ScheduleUpdate()
        var invalid: [String] = []
        if let s = body["schedule"] {
            if ISOInterval.isValid(s), let text = s.stringValue { u.schedule = text } else { invalid.append("schedule") }
        }
        if let o = body["override_config"] {
            if case .object(let obj) = o { u.overrideConfig = obj } else if o.isNull { u.overrideConfig = [:] } else {
                invalid.append("override_config")
            }
        }
        if let t = body["failure_threshold"] {
            switch t {
            case .null: u.failureThreshold = .null
            case .int(let n) where n > 0: u.failureThreshold = .int(n)
            default: invalid.append("failure_threshold")
            }
        }
        if let e = body["enabled"] {
            if case .bool(let b) = e { u.enabled = b } else { invalid.append("enabled") }
        }
        if let r = body["remaining_runs"] {
            if case .int(let n) = r, n >= 0 { u.remainingRuns = n } else { invalid.append("remaining_runs") }
        }
        if let units = body["units"] {
            if case .array(let a) = units { u.units = a } else { invalid.append("units") }
        }
        if let options = body["options"] {
            if case .object(let o) = options { u.options = o } else { invalid.append("options") }
        }
        if !invalid.isEmpty { throw .invalidValue(invalid) }
        return u
    }
}

extension Schedule {
    /// Applies a PUT. A changed `schedule` recomputes `first_run` (and so `next_run`) as if new.
    public mutating func apply(_ u: ScheduleUpdate, now: PulpDateTime) {
        if let text = u.schedule, let interval = try? ISOInterval.parse(text) {
            schedule = text
            firstRun = interval.start ?? now.utc
            // Specifying a recurrence affects remaining_runs; counts and history are kept.
            if let r = interval.recurrences { remainingRuns = r }
        }
        if let o = u.overrideConfig { kwargs = ["overrides": .object(o)] }
        if let t = u.failureThreshold { failureThreshold = t.intValue }
        if let e = u.enabled { enabled = e }
        if let r = u.remainingRuns { remainingRuns = r }
        if let units = u.units { kwargs["units"] = .array(units) }
        if let options = u.options { kwargs["options"] = .object(options) }
        lastUpdated = now.epoch
    }
}
