import Foundation
import PulpContract
import PulpModel
import PulpStore

/// The scheduler: due schedules dispatch their tasks.
extension LocalPulp {
    /// Fires every enabled schedule that is due now (Pulp's `ScheduleEntry.is_due`): in one transaction it
    /// records the firing (`last_run_at`, `total_run_count`, `remaining_runs`) and stores the task, tagged
    /// with the schedule so its success or failure updates `consecutive_failures`. Returns the task ids.
    @discardableResult
    public func fireDueSchedules() async throws -> [String] {
        let now = clock.now()
        let tasks = try await store.write { db -> [StoredTask] in
            var out: [StoredTask] = []
            for var s in try db.allSchedules() where s.isDue(now: now) {
                let op: TaskOperation
                switch s.owner {
                case .importer(let r, _):
                    op = .sync(repoId: r, overrides: s.kwargs["overrides"]?.objectValue ?? [:])
                case .distributor(let r, let d):
                    op = .publish(repoId: r, distributorId: d, overrides: s.kwargs["overrides"]?.objectValue ?? [:])
                case .consumer(let c, let action):
                    op = .consumerContent(consumerId: c, action: action, units: s.kwargs["units"]?.arrayValue ?? [],
                                          options: s.kwargs["options"]?.objectValue ?? [:])
                }
                s.recordFiring(now: now)
                try db.saveSchedule(s)
                let task = TaskEngine.newTask(op, groupId: nil, now: now, scheduledCallId: s.id)
                try db.insertTask(task)
                out.append(task)
            }
            return out
        }
        await engine.enqueue(tasks)
        return tasks.map(\.report.taskId)
    }
}
