import Foundation
import PulpModel

/// The yum_importer's progress report (`importers/yum/report.py`), written as the sync goes, at most every
/// 0.3 s unless forced.
struct YumSyncProgress {
    static let steps = ["metadata", "content", "distribution", "errata", "comps", "purge_duplicates"]
    var state: [String: String] = Dictionary(uniqueKeysWithValues: steps.map { ($0, "NOT_STARTED") })
    var errors: [String: String] = [:]
    var itemsTotal = 0, itemsLeft = 0, sizeTotal = 0, sizeLeft = 0
    var rpmTotal = 0, rpmDone = 0
    var errorDetails: [JSONValue] = []
    private var throttle = ProgressThrottle()

    var report: JSONObject {
        var out: JSONObject = [:]
        for step in Self.steps {
            var o: JSONObject = ["state": .string(state[step] ?? "NOT_STARTED")]
            if let e = errors[step] { o["error"] = .string(e) }
            switch step {
            case "content":
                o["items_total"] = .int(itemsTotal)
                o["items_left"] = .int(itemsLeft)
                o["size_total"] = .int(sizeTotal)
                o["size_left"] = .int(sizeLeft)
                o["error_details"] = .array(errorDetails)
                o["details"] = ["rpm_total": .int(rpmTotal), "rpm_done": .int(rpmDone), "drpm_total": 0, "drpm_done": 0]
            case "distribution":
                o["items_total"] = 0
                o["items_left"] = 0
                o["error_details"] = []
            default: break
            }
            out[step] = .object(o)
        }
        return out
    }

    var summary: JSONObject {
        var out: JSONObject = [:]
        for step in Self.steps { out[step] = ["state": .string(state[step] ?? "NOT_STARTED")] }
        return out
    }

    /// Marks every step still running as failed (Pulp: on an exception, each IN_PROGRESS step is FAILED).
    mutating func fail(_ message: String) {
        for step in Self.steps where state[step] == "IN_PROGRESS" {
            state[step] = "FAILED"
            errors[step] = message
        }
    }

    mutating func cancel() {
        for step in Self.steps where state[step] == "IN_PROGRESS" || state[step] == "NOT_STARTED" { state[step] = "CANCELLED" }
    }

    /// Whether enough time passed since the last report (or `force`); records the time if so.
    mutating func due(force: Bool) -> Bool { throttle.due(force: force) }
}
