public import Foundation
public import PulpModel
import PulpContract

/// `--format jsonl`: one JSON object per line, as Terraform's `-json` streams them (`schemas/events.schema.json`).
/// Every line has `@level`, `@message`, `@module`, `@timestamp` and `type`, and a payload named by its type.
/// Values come from plans, drift reports and apply results, which never hold a secret: sensitive fields are only
/// marked as such.
public enum MachineEvents {
    public static let formatVersion = "1.0"

    /// One line, without its newline.
    public static func line(_ type: String, _ message: String, level: String = "info", payload: JSONObject = [:],
                            at date: Date = Date()) -> String
    {
        var o = payload
        o["@level"] = .string(level)
        o["@message"] = .string(message)
        o["@module"] = "pulpform"
        o["@timestamp"] = .string(PulpDateTime(date).iso8601)
        o["type"] = .string(type)
        return JSONValue.object(o).serialized()
    }

    public static func version(pulpformVersion: String) -> String {
        line("version", "pulpform \(pulpformVersion)", payload: ["pulpform": .string(pulpformVersion), "format_version": .string(formatVersion)])
    }

    // MARK: Diagnostics

    /// The events for an error: one per manifest problem or refused deletion (with its place), else one.
    public static func diagnostics(_ error: any Error) -> [String] {
        if let e = error as? ManifestErrors {
            return e.diagnostics.map { d in diagnostic(summary: d.message, detail: "", range: range(d.mark)) }
        }
        if let refused = error as? DestroyRefused {
            return refused.violations.map { v in
                diagnostic(summary: "\(v)", detail: "lift the guard for one run with --allow-destroy \(v.id)", address: v.address,
                           range: v.mark.map(range))
            }
        }
        return [diagnostic(summary: "\(error)", detail: "")]
    }

    /// A diagnostic's place, as Terraform gives it.
    static func range(_ mark: SourceMark) -> JSONObject {
        ["filename": .string(mark.file), "start": ["line": .int(mark.line), "column": .int(mark.column)]]
    }

    public static func diagnostic(summary: String, detail: String, severity: String = "error", address: String? = nil,
                                  range: JSONObject? = nil) -> String
    {
        var d: JSONObject = ["severity": .string(severity), "summary": .string(summary), "detail": .string(detail)]
        if let address { d["address"] = .string(address) }
        if let range { d["range"] = .object(range) }
        return line("diagnostic", summary, level: severity == "error" ? "error" : "warn", payload: ["diagnostic": .object(d)])
    }

    // MARK: Plans and drift

    static func resource(_ step: PlanStep) -> JSONValue {
        ["addr": .string(step.address), "unit": .string(step.unit)]
    }

    /// A `planned_change` per step that changes something; an `--accept-drift` plan has one per accepted object.
    public static func plannedChanges(_ plan: Plan) -> [String] {
        if plan.acceptsDrift {
            return plan.accepting.map { a in
                line("planned_change", "\(a.address): accept the target's state", payload: [
                    "change": ["resource": ["addr": .string(a.address)], "action": "accept",
                               "fields": .array(a.changes.map(PlanRenderer.json))],
                ])
            }
        }
        return plan.steps.compactMap { step in
            guard let action = step.action else { return nil }
            return line("planned_change", "\(step.address): Plan to \(action.rawValue)", payload: [
                "change": ["resource": resource(step), "action": .string(action.rawValue),
                           "operation": .string(step.operation.pulpOperation), "reason": .from(step.reason),
                           "fields": .array(step.changes.map(PlanRenderer.json))],
            ])
        }
    }

    /// A `resource_drift` per object that differs from the manifests, or was accepted so.
    public static func drift(_ report: DriftReport) -> [String] {
        report.items.map { item in
            line("resource_drift", "\(item.address): \(item.detail)", level: item.kind == .pending ? "info" : "warn", payload: [
                "change": ["resource": ["addr": .string(item.address)], "action": .string(item.kind.rawValue), "detail": .string(item.detail)],
            ])
        } + report.accepted.map { address in
            line("resource_drift", "\(address): accepted as it is on the target", payload: [
                "change": ["resource": ["addr": .string(address)], "action": "accepted", "detail": "accepted by apply --accept-drift"],
            ])
        }
    }

    /// `change_summary` of a plan (`operation` plan or apply) or a drift check.
    public static func changeSummary(_ plan: Plan, operation: String) -> String {
        var changes: JSONObject = ["operation": .string(operation), "complete": .bool(plan.complete)]
        for a in PlanAction.allCases { changes[a.rawValue] = .int(plan.count(a)) }
        changes["accept"] = .int(plan.accepting.count)
        return line("change_summary", plan.acceptsDrift ? "Accept: \(plan.accepting.count) objects." : plan.summaryLine,
                    payload: ["changes": .object(changes)])
    }

    public static func changeSummary(_ report: DriftReport, complete: Bool) -> String {
        var counts: JSONObject = [:]
        for k in [DriftKind.pending, .outside, .both] { counts[k.rawValue] = .int(report.items.filter { $0.kind == k }.count) }
        counts["accepted"] = .int(report.accepted.count)
        counts["checked"] = .int(report.checked.count)
        counts["exit_code"] = .int(Int(report.exitCode))
        counts["operation"] = "drift"
        counts["complete"] = .bool(complete)
        return line("change_summary", report.summary, payload: ["changes": .object(counts)])
    }

    // MARK: Apply

    /// The events of one apply event: `apply_start` when a step starts; when it ends, `apply_progress` for each of its
    /// tasks, then `apply_complete` or `apply_errored`. Bookkeeping steps that succeed say nothing.
    public static func apply(_ event: ApplyEvent, at date: Date = Date()) -> [String] {
        switch event {
        case .started(let step):
            guard let action = step.action else { return [] }
            return [line("apply_start", "\(step.address): \(action.rawValue) started", payload: [
                "hook": ["resource": resource(step), "action": .string(action.rawValue), "operation": .string(step.operation.pulpOperation)],
            ], at: date)]
        case .ended(let result):
            return ended(result, at: date)
        case .endedTogether(let results):
            return results.flatMap { ended($0, at: date) }
        }
    }

    static func ended(_ r: StepResult, at date: Date) -> [String] {
        var out: [String] = []
        let action = r.step.action?.rawValue ?? "record"
        for t in r.tasks {
            out.append(line("apply_progress", "\(r.step.address): task \(t.taskId) \(t.state.rawValue)", payload: [
                "hook": ["resource": resource(r.step), "action": .string(action), "task_id": .string(t.taskId),
                         "task_type": .string(t.taskType), "state": .string(t.state.rawValue),
                         "progress": .string(TaskProgressView.stepLine(TaskProgress(t)))],
            ], at: date))
        }
        switch r.state {
        case .finished:
            if r.step.action != nil {
                out.append(line("apply_complete", "\(r.step.address): \(action) complete", payload: [
                    "hook": ["resource": resource(r.step), "action": .string(action)],
                ], at: date))
            }
        default:
            out.append(line("apply_errored", "\(r.step.address): \(action) \(r.state.rawValue)\(r.message.map { ": \($0)" } ?? "")",
                            level: "error", payload: [
                                "hook": ["resource": resource(r.step), "action": .string(action), "state": .string(r.state.rawValue),
                                         "error": .from(r.message)],
                            ], at: date))
        }
        return out
    }

    /// The `change_summary` of an apply: what finished, failed and was skipped.
    public static func applySummary(_ report: ApplyReport) -> String {
        var counts: [StepState: Int] = [:]
        for r in report.results where r.step.action != nil { counts[r.state, default: 0] += 1 }
        var changes: JSONObject = ["operation": "apply", "succeeded": .bool(report.succeeded), "group_id": .string(report.groupId)]
        for a in PlanAction.allCases {
            changes[a.rawValue] = .int(report.results.filter { $0.step.action == a && $0.state == .finished }.count)
        }
        changes["failed"] = .int(counts[.error] ?? 0)
        changes["skipped"] = .int(counts[.skipped] ?? 0)
        return line("change_summary", "Apply \(report.succeeded ? "complete" : "failed"): \(counts[.finished] ?? 0) changes finished, "
                        + "\(counts[.error] ?? 0) failed, \(counts[.skipped] ?? 0) skipped.", level: report.succeeded ? "info" : "error",
                    payload: ["changes": .object(changes)])
    }
}
