import Foundation
import PulpModel
import PulpStore
import Synchronization

/// What a run cost, for `pulpform-bench`: with `PULPFORM_STATS=<file>` set, the process writes a JSON object
/// there on its way out: `sqlite_rows_written` (every store it opened), `peak_rss_kb` (the process's own high-water
/// mark, `VmHWM`: Linux's `ru_maxrss` of a child also counts its parent's memory at the fork) and, for `serve`,
/// the requests it served.
enum RunStats {
    private static let stores = Mutex<[PulpStore]>([])
    private static let extra = Mutex<JSONObject>([:])

    static func opened(_ store: PulpStore) {
        stores.withLock { $0.append(store) }
    }

    static func set(_ key: String, _ value: JSONValue) {
        extra.withLock { $0[key] = value }
    }

    static func write() {
        guard let path = ProcessInfo.processInfo.environment["PULPFORM_STATS"], !path.isEmpty else { return }
        var object = extra.withLock { $0 }
        object["sqlite_rows_written"] = .int(stores.withLock { $0.map { $0.rowsWritten() }.reduce(0, +) })
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
            object["peak_rss_kb"] = .int(kb)
        }
        try? Data(JSONValue.object(object).serialized().utf8).write(to: URL(fileURLWithPath: path))
    }
}
