public import Foundation
public import PulpModel

/// The controller's report, a line per event, for `watch` (stdout) and `serve --manifests` (the log). A run that
/// finds what the previous run found prints nothing: `signature` tells them apart.
public enum ControllerRenderer {
    /// What a run found, to tell whether it is news.
    public static func signature(_ run: ControllerRun) -> String {
        switch run.outcome {
        case .inSync: "in_sync \(run.revision ?? "") \(run.counts?.inSync ?? 0)"
        case .drift(let drift, let plan):
            "drift \(run.revision ?? "") " + drift.items.map { "\($0.address)=\($0.kind.rawValue)" }.joined(separator: ",")
                + " \(plan.steps.count)"
        case .skipped: "skipped"
        // Applies and failures are always news.
        case .applied, .failed: "\(run.number)"
        }
    }

    /// The lines of one run, each prefixed `run N` (and the revision, once it is known).
    public static func human(_ run: ControllerRun, now: PulpDateTime = PulpDateTime(Date())) -> [String] {
        let head = "\(now.iso8601) run \(run.number)" + (run.revision.map { " at \($0.prefix(12))" } ?? "") + ": "
        var lines: [String] = []
        func items(_ drift: DriftReport) -> [String] {
            drift.items.map { head + "\($0.kind == .pending ? "pending" : "drift"): \($0.address): \($0.detail)" }
        }
        if let dead = run.recovered {
            lines.append(head + "a previous apply (task group \(dead)) was interrupted; its unfinished tasks are canceled")
        }
        switch run.outcome {
        case .inSync:
            lines.append(head + "in sync: \(run.counts?.inSync ?? 0) objects match the manifests")
        case .drift(let drift, let plan):
            lines += items(drift)
            let changes = plan.steps.filter { $0.action != nil }.count
            lines.append(head + (drift.items.isEmpty ? "the plan has \(changes) changes" : drift.summary)
                         + " Not applied: --self-heal applies the plan (\(changes) change\(changes == 1 ? "" : "s")).")
        case .applied(let report, let drift, let seconds):
            lines += items(drift)
            for r in report.results where r.state == .error {
                lines.append(head + "failed: \(r.step.address): \(r.message ?? r.tasks.compactMap { $0.error["description"]?.stringValue }.first ?? "the step failed")")
            }
            let counts = report.stateCounts
            lines.append(head + "self-heal \(report.succeeded ? "applied" : "failed"): \(counts[.finished] ?? 0) steps finished, "
                         + "\(counts[.error] ?? 0) failed, \(counts[.skipped] ?? 0) skipped in \(String(format: "%.1f", seconds)) s"
                         + (run.counts.map { "; \($0.inSync) objects in sync" } ?? ""))
        case .skipped(let why):
            lines.append(head + "skipped: \(why)")
        case .failed(let error):
            lines += errorLines(error).map { head + $0 }
        }
        if run.isFailure, let next = run.next {
            lines.append(head + "failed; next run in \(DurationText.describe(next))"
                         + (run.failures > 1 ? " (\(run.failures) failures in a row)" : ""))
        }
        return lines
    }

    static func errorLines(_ error: any Error) -> [String] {
        if let e = error as? ManifestErrors {
            return e.diagnostics.map { "\($0)" } + ["\(e.diagnostics.count) error\(e.diagnostics.count == 1 ? "" : "s") in the manifests"]
        }
        if let refused = error as? DestroyRefused { return "\(refused)".split(separator: "\n").map(String.init) }
        return ["error: \(error)"]
    }
}
