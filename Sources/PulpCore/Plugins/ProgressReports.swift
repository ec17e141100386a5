import Foundation
import PulpModel

/// Progress reports are written at most every 0.3 s, unless forced (a state change): each is a transaction.
struct ProgressThrottle {
    private var last = Date.distantPast

    /// Whether enough time passed since the last report (or `force`); records the time if so.
    mutating func due(force: Bool) -> Bool {
        let now = Date()
        guard force || now.timeIntervalSince(last) >= 0.3 else { return false }
        last = now
        return true
    }
}

/// pulp_rpm's `state_times`: when each state of a report began, as naive UTC (`format_iso8601_datetime`).
struct StateTimes {
    private var entries: [(String, String)] = []

    mutating func enter(_ state: String, now: Double) {
        entries.append((state, String(PulpDateTime(epoch: now).iso8601.dropLast())))
    }

    var json: JSONValue {
        var o: JSONObject = [:]
        for (s, t) in entries { o[s] = .string(t) }
        return .object(o)
    }
}
