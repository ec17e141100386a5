import Metrics
import PulpModel
import Foundation
import Synchronization

/// How many managed objects match the manifests, as the last run saw them.
public struct ObjectCounts: Sendable, Equatable {
    public var inSync = 0
    /// Changed outside pulpform (alone or as well as in the manifests).
    public var drifted = 0
    /// Manifest changes not applied yet.
    public var pending = 0

    public init(inSync: Int = 0, drifted: Int = 0, pending: Int = 0) {
        self.inSync = inSync
        self.drifted = drifted
        self.pending = pending
    }

    /// The counts of a drift report, leaving out the addresses in `settled` (applied since).
    public init(_ report: DriftReport, settled: Set<String> = []) {
        for item in report.items where !settled.contains(item.address) {
            if item.kind == .pending { pending += 1 } else { drifted += 1 }
        }
        inSync = max(0, report.checked.count - pending - drifted)
    }
}

/// The controller's metrics, through swift-metrics: whatever backend the process bootstrapped (Prometheus for
/// `watch --metrics-address` and `serve`), nothing otherwise.
///
/// - `pulpform_objects{state="in_sync"|"drifted"|"pending"}`: the last run's counts;
/// - `pulpform_reconcile_runs_total{result="in_sync"|"drift"|"applied"|"failed"|"skipped"}`;
/// - `pulpform_last_run_timestamp_seconds`, `pulpform_consecutive_failures`;
/// - `pulpform_last_successful_apply_timestamp_seconds` and `pulpform_last_successful_apply_info{revision, source}` = 1;
/// - `pulpform_apply_duration_seconds` (a histogram), `pulpform_apply_steps_total`, `pulpform_apply_failed_steps_total`,
///   `pulpform_objects_healed_total` (objects changed outside pulpform that self-heal put back).
public final class ControllerMetrics: Sendable {
    let objects: [String: Gauge]
    let runs: [String: Counter]
    let lastRun = Gauge(label: "pulpform_last_run_timestamp_seconds")
    let failures = Gauge(label: "pulpform_consecutive_failures")
    let lastApply = Gauge(label: "pulpform_last_successful_apply_timestamp_seconds")
    let duration = Timer(label: "pulpform_apply_duration_seconds", preferredDisplayUnit: .seconds)
    let steps = Counter(label: "pulpform_apply_steps_total")
    let failedSteps = Counter(label: "pulpform_apply_failed_steps_total")
    let healed = Counter(label: "pulpform_objects_healed_total")
    private let info = Mutex<(key: [String], gauge: Gauge)?>(nil)

    public static let results = ["in_sync", "drift", "applied", "failed", "skipped"]

    public init() {
        objects = Dictionary(uniqueKeysWithValues: ["in_sync", "drifted", "pending"].map {
            ($0, Gauge(label: "pulpform_objects", dimensions: [("state", $0)]))
        })
        // Every result is exported from the start, at 0, so that rates work from the first scrape.
        runs = Dictionary(uniqueKeysWithValues: Self.results.map {
            ($0, Counter(label: "pulpform_reconcile_runs_total", dimensions: [("result", $0)]))
        })
        steps.increment(by: 0)
        failedSteps.increment(by: 0)
        healed.increment(by: 0)
    }

    func record(_ run: ControllerRun, failuresInARow: Int) {
        lastRun.record(Date().timeIntervalSince1970)
        failures.record(failuresInARow)
        runs[run.result]?.increment()
        if let counts = run.counts {
            objects["in_sync"]?.record(counts.inSync)
            objects["drifted"]?.record(counts.drifted)
            objects["pending"]?.record(counts.pending)
        }
        guard case .applied(let report, let drift, let seconds) = run.outcome else { return }
        duration.recordNanoseconds(Int64(seconds * 1e9))
        steps.increment(by: report.results.count)
        failedSteps.increment(by: report.failedSteps)
        let unhealed = report.unsettled
        healed.increment(by: drift.items.filter { $0.kind != .pending && !unhealed.contains($0.address) }.count)
        guard report.succeeded else { return }
        succeeded(at: Date().timeIntervalSince1970, revision: run.revision, source: run.source)
    }

    /// The last apply recorded on the target, at start-up: the metrics hold across restarts.
    func restore(_ last: ApplyRecord) {
        guard last.failedSteps == 0 else { return }
        succeeded(at: last.finished.epoch, revision: last.revision, source: last.source)
    }

    func succeeded(at time: Double, revision: String?, source: String) {
        lastApply.record(time)
        let key = [revision ?? "", source]
        info.withLock { current in
            guard current?.key != key else { return }
            current?.gauge.destroy()
            let gauge = Gauge(label: "pulpform_last_successful_apply_info", dimensions: [("revision", key[0]), ("source", key[1])])
            gauge.record(1)
            current = (key, gauge)
        }
    }
}
