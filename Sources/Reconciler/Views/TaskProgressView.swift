public import PulpModel

/// Where a sync or publish task stands, read from its Pulp progress report: the step in progress, and the
/// items and bytes done of the totals known so far.
public struct TaskProgress: Sendable, Equatable {
    public var repoId: String
    /// "sync", or "publish <distributor>".
    public var action: String
    public var state: TaskState
    /// The step in progress (`metadata`, `content`, `errata`, `comps`; a publish's step type), or nil.
    public var step: String?
    public var itemsDone = 0
    public var itemsTotal = 0
    public var bytesDone = 0
    public var bytesTotal = 0

    public init(_ report: TaskReport) {
        repoId = report.tags.lazy.compactMap { Self.suffix($0, "pulp:repository:") }.first ?? "?"
        // Pulp tags a publish with its repository only; its progress report is keyed by the distributor id.
        let distributor = report.progressReport.count == 1 ? report.progressReport.keys.first : nil
        action = report.taskType == TaskType.publish ? (distributor.map { "publish \($0)" } ?? "publish") : "sync"
        state = report.state
        if report.taskType == TaskType.publish {
            readPublish(report.progressReport, distributor: distributor)
        } else {
            readSync(report.progressReport)
        }
    }

    private static func suffix(_ tag: String, _ prefix: String) -> String? {
        tag.hasPrefix(prefix) ? String(tag.dropFirst(prefix.count)) : nil
    }

    /// `{"yum_importer": {"metadata": {"state"}, "content": {items_total, items_left, size_total, size_left}, …}}`,
    /// and the same shape for any importer that reports steps with a `state`.
    private mutating func readSync(_ progress: JSONObject) {
        for (_, value) in progress {
            guard let steps = value.objectValue else { continue }
            let known = ["metadata", "content", "distribution", "errata", "comps", "purge_duplicates"]
            let order = known + steps.keys.sorted().filter { !known.contains($0) }
            for name in order {
                guard let s = steps[name]?.objectValue else { continue }
                if let total = s["items_total"]?.intValue, total > 0 {
                    itemsTotal += total
                    itemsDone += max(0, total - (s["items_left"]?.intValue ?? 0))
                }
                if let total = s["size_total"]?.intValue, total > 0 {
                    bytesTotal += total
                    bytesDone += max(0, total - (s["size_left"]?.intValue ?? 0))
                }
                if step == nil, s["state"]?.stringValue == "IN_PROGRESS" { step = name }
            }
        }
    }

    /// `{"<distributor id>": [{"step_type", "state", "items_total", "num_processed"}, …]}`.
    private mutating func readPublish(_ progress: JSONObject, distributor: String?) {
        let steps = (distributor.flatMap { progress[$0] } ?? progress.values.first)?.arrayValue ?? []
        for case .object(let s) in steps {
            if step == nil, s["state"]?.stringValue == "IN_PROGRESS" {
                step = s["step_type"]?.stringValue ?? s["description"]?.stringValue
                itemsTotal = s["items_total"]?.intValue ?? 0
                itemsDone = s["num_processed"]?.intValue ?? 0
            }
        }
    }
}

/// The lines `pulpform sync` and `pulpform publish` write: a live status line with a bar on a terminal, one
/// line per step change otherwise, and one result line per task.
public enum TaskProgressView {
    /// The live status line over every task: how many are complete, the step of the first one running, and
    /// packages and bytes summed over all of them, with a bar on bytes (or items) when a total is known.
    public static func status(_ tasks: [TaskProgress], width: Int = 30) -> String {
        let complete = tasks.filter { $0.state.isComplete }.count
        let itemsDone = tasks.reduce(0) { $0 + $1.itemsDone }, itemsTotal = tasks.reduce(0) { $0 + $1.itemsTotal }
        let bytesDone = tasks.reduce(0) { $0 + $1.bytesDone }, bytesTotal = tasks.reduce(0) { $0 + $1.bytesTotal }
        var line = "[\(complete)/\(tasks.count)]"
        if let running = tasks.first(where: { !$0.state.isComplete }) {
            line += " \(running.repoId) \(running.action)"
            if let step = running.step { line += " \(step)" }
        }
        let fraction: Double? = bytesTotal > 0 ? Double(bytesDone) / Double(bytesTotal)
            : itemsTotal > 0 ? Double(itemsDone) / Double(itemsTotal) : nil
        if let fraction {
            let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
            line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
            line += " \(Int((fraction * 100).rounded(.down)))%"
        }
        if itemsTotal > 0 { line += " \(itemsDone)/\(itemsTotal) items" }
        if bytesTotal > 0 { line += " \(bytes(bytesDone))/\(bytes(bytesTotal))" }
        return line
    }

    /// A plain progress line, written when a task's step changes.
    public static func stepLine(_ task: TaskProgress) -> String {
        var line = "\(task.repoId): \(task.action): \(task.step ?? task.state.rawValue)"
        if task.itemsTotal > 0 { line += " (\(task.itemsDone)/\(task.itemsTotal) items" + (task.bytesTotal > 0 ? ", \(bytes(task.bytesDone))/\(bytes(task.bytesTotal)))" : ")") }
        return line
    }

    /// The result line of a complete task: counts for a sync, the summary's outcome for a publish, the error
    /// description and how many items failed otherwise.
    public static func resultLine(_ report: TaskReport) -> String {
        let task = TaskProgress(report)
        var line = "\(task.repoId): \(task.action) \(report.state.rawValue)"
        if let start = report.startTime, let end = report.finishTime, end.epoch - start.epoch >= 1 {
            line += " in \(Int((end.epoch - start.epoch).rounded()))s"
        }
        if report.state == .finished, let result = report.result.objectValue {
            if let added = result["added_count"]?.intValue {
                line += ": \(added) added, \(result["updated_count"]?.intValue ?? 0) updated, \(result["removed_count"]?.intValue ?? 0) removed"
            }
        }
        if let description = report.error["description"]?.stringValue { line += ": \(description)" }
        let failed = errorDetails(report)
        if !failed.isEmpty { line += " (\(failed.count) item\(failed.count == 1 ? "" : "s") failed)" }
        for detail in failed.prefix(10) { line += "\n  - " + detail }
        if failed.count > 10 { line += "\n  - … and \(failed.count - 10) more (pulpform tasks --json)" }
        return line
    }

    /// The items a report's `error_details` list, one phrase each: the item (name, unit key or URL) and what
    /// went wrong (Pulp's `error_code`, or the error message).
    public static func errorDetails(_ report: TaskReport) -> [String] {
        var out: [String] = []
        for (_, value) in report.progressReport.sorted(by: { $0.key < $1.key }) {
            for (_, step) in (value.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                for case .object(let d) in step["error_details"]?.arrayValue ?? [] {
                    let item = d["name"]?.stringValue ?? d["unit_key"]?["name"]?.stringValue ?? d["url"]?.stringValue ?? "item"
                    let what = d["error_code"]?.stringValue ?? d["error"]?.stringValue ?? d["error_message"]?.stringValue ?? "failed"
                    out.append("\(item): \(what)")
                }
            }
        }
        return out
    }

    /// 1,234,567 → "1.2 MB" (powers of 1000, as dnf prints them).
    public static func bytes(_ n: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(n)
        var i = 0
        while value >= 1000, i < units.count - 1 {
            value /= 1000
            i += 1
        }
        return i == 0 ? "\(n) B" : "\((value * 10).rounded() / 10) \(units[i])"
    }
}
