import Metrics

/// The tasks this process runs, through swift-metrics (Prometheus on `serve`'s `/metrics`; nothing unless a backend
/// was bootstrapped): `pulpform_tasks_running`, `pulpform_tasks_total{type, state}` and
/// `pulpform_task_duration_seconds{type}`, by the task type's last word (`sync`, `publish`, `delete`, ...).
enum TaskMetrics {
    static func started() {
        Meter(label: "pulpform_tasks_running").increment()
    }

    static func ended(type: String, state: String, nanoseconds: UInt64) {
        Meter(label: "pulpform_tasks_running").decrement()
        let short = type.split(separator: ".").last.map(String.init) ?? type
        Counter(label: "pulpform_tasks_total", dimensions: [("type", short), ("state", state)]).increment()
        Timer(label: "pulpform_task_duration_seconds", dimensions: [("type", short)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }
}
