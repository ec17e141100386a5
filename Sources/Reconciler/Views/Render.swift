public import Foundation
public import PulpModel

/// Renders plans and apply reports. Sensitive values never reach a renderer: `FieldChange` drops them.
public enum PlanRenderer {
    public static let formatVersion = "1.0"

    struct Palette: Sendable {
        let on: Bool
        func wrap(_ s: String, _ code: String) -> String { on ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        func action(_ a: PlanAction, _ s: String) -> String {
            switch a {
            case .create: return wrap(s, "32")
            case .update: return wrap(s, "33")
            case .replace: return wrap(s, "35")
            case .delete: return wrap(s, "31")
            case .sync: return wrap(s, "36")
            }
        }
        func bold(_ s: String) -> String { wrap(s, "1") }
    }

    static func describe(_ a: PlanAction) -> String {
        switch a {
        case .create: return "will be created"
        case .update: return "will be updated in place"
        case .replace: return "must be replaced"
        case .delete: return "will be deleted"
        case .sync: return "will be synced"
        }
    }

    static func show(_ v: JSONValue?, sensitive: Bool) -> String {
        if sensitive { return "(sensitive value)" }
        guard let v else { return "null" }
        return v.serialized()
    }

    static func fieldLine(_ c: FieldChange) -> (String, String) {
        switch c.kind {
        case .add: return ("+", "\(c.path) = \(show(c.after, sensitive: c.sensitive))")
        case .remove: return ("-", "\(c.path) = \(show(c.before, sensitive: c.sensitive)) -> null")
        case .change:
            if c.sensitive { return ("~", "\(c.path) = (sensitive value)") }
            return ("~", "\(c.path) = \(show(c.before, sensitive: false)) -> \(show(c.after, sensitive: false))")
        }
    }

    /// The human form, Terraform-like. `color` only when writing to a terminal without `NO_COLOR`.
    public static func human(_ plan: Plan, color: Bool = false) -> String {
        var text = ""
        human(plan, color: color) { text += $0 }
        return text
    }

    /// The same text, handed to `write` in pieces of about 64 KB as it is made: a plan of thousands of
    /// repositories is never held whole in memory.
    /// `cores`: how many cores render at once.
    /// `maxDetail`: a plan that touches more objects is summarised by kind (`summary`); nil shows every change.
    public static func human(_ plan: Plan, color: Bool = false, maxDetail: Int? = nil,
                             cores: Int = ProcessInfo.processInfo.activeProcessorCount, write: (String) -> Void)
    {
        let p = Palette(on: color)
        var out = ""
        out.reserveCapacity(1 << 16)
        func flushIfFull() {
            guard out.utf8.count >= 1 << 16 else { return }
            write(out)
            out.removeAll(keepingCapacity: true)
        }
        if let subset = plan.subset { out += p.bold(partialHeader(subset)) + "\n\n" }
        if plan.acceptsDrift {
            out += acceptance(plan, p)
        } else if !plan.hasChanges {
            out += plan.complete ? "No changes. The target matches the manifests.\n" : "No changes in this subset.\n"
        } else if let maxDetail, touchedObjects(plan) > maxDetail {
            out += summary(plan, maxDetail: maxDetail, p)
        } else {
            out += "pulpform will perform the following actions:\n\n"
            // Pieces of steps are rendered on every core, a few at a time, and written in order.
            let steps = plan.steps
            let piece = 1_024
            let window = 2 * max(1, cores)
            var start = 0
            while start < steps.count {
                let ranges = (0..<window).map { k in
                    min(steps.count, start + k * piece)..<min(steps.count, start + (k + 1) * piece)
                }.filter { !$0.isEmpty }
                var texts = [String](repeating: "", count: ranges.count)
                texts.withUnsafeMutableBufferPointer { buffer in
                    nonisolated(unsafe) let texts = buffer
                    @Sendable func render(_ k: Int) {
                        var text = ""
                        for step in steps[ranges[k]] { stepText(step, p, into: &text) }
                        texts[k] = text
                    }
                    if cores > 1, ranges.count > 1 {
                        DispatchQueue.concurrentPerform(iterations: ranges.count, execute: render)
                    } else {
                        for k in ranges.indices { render(k) }
                    }
                }
                for text in texts {
                    out += text
                    flushIfFull()
                }
                start = ranges.last?.upperBound ?? steps.count
            }
        }
        if !plan.unmanaged.isEmpty {
            out += "Not managed by pulpform (left alone): \(plan.unmanaged.joined(separator: ", "))\n"
        }
        if !plan.notPruned.isEmpty {
            out += "Gone from the manifests but kept (use --prune to delete): \(plan.notPruned.joined(separator: ", "))\n"
        }
        if plan.hasChanges { out += p.bold(plan.summaryLine) + "\n" }
        if !out.isEmpty { write(out) }
    }

    /// What an `--accept-drift` plan says: the objects whose state on the target becomes the record, and how each
    /// differs from the manifests (manifests -> target).
    static func acceptance(_ plan: Plan, _ p: Palette) -> String {
        var out = ""
        if plan.accepting.isEmpty {
            out += "No drift to accept: no object was changed outside pulpform since the last apply.\n"
        } else {
            out += "pulpform will record the target's current state of these objects as applied, without changing them:\n\n"
            for a in plan.accepting {
                out += "  # \(a.address) was changed outside pulpform; its state on the target is accepted (manifests -> target)\n"
                out += "  " + p.action(.update, "~") + " " + p.bold(a.address) + "\n"
                for c in a.changes {
                    let (symbol, text) = fieldLine(c)
                    out += "      \(symbol) \(text)\n"
                }
                out += "\n"
            }
        }
        if !plan.notAccepted.isEmpty {
            out += "Not accepted (users and roles keep no record on the target; change the manifests instead): "
                + plan.notAccepted.joined(separator: ", ") + "\n"
        }
        if !plan.pendingLeft.isEmpty {
            out += "Manifest changes not applied yet, left for an apply without --accept-drift: "
                + plan.pendingLeft.joined(separator: ", ") + "\n"
        }
        if !plan.accepting.isEmpty {
            out += p.bold("Accept: \(plan.accepting.count) object\(plan.accepting.count == 1 ? "" : "s") as \(plan.accepting.count == 1 ? "it is" : "they are") on the target.")
                + " Change the manifests to match to keep it once either side moves.\n"
        }
        return out
    }

    /// What a partial plan says first.
    static func partialHeader(_ subset: Subset) -> String {
        "Partial plan (\(subset)): only these objects were read and compared; the plan says nothing about the others."
    }

    /// One step's lines (nothing for a bookkeeping step).
    static func stepText(_ step: PlanStep, _ p: Palette, into out: inout String) {
        guard let action = step.action else { return }
        out += "  # \(step.address) \(describe(action))  (\(step.operation.pulpOperation))\n"
        if let reason = step.reason { out += "  # \(reason)\n" }
        out += "  " + p.action(action, action.symbol) + " " + p.bold(step.address) + "\n"
        for c in step.changes {
            let (symbol, text) = fieldLine(c)
            let sym: String
            switch symbol {
            case "+": sym = p.action(.create, "+")
            case "-": sym = p.action(.delete, "-")
            default: sym = p.action(.update, "~")
            }
            out += "      \(sym) \(text)\n"
        }
        out += "\n"
    }

    static func json(_ c: FieldChange) -> JSONValue {
        ["path": .string(c.path), "kind": .string(c.kind.rawValue), "before": c.before ?? .null, "after": c.after ?? .null, "sensitive": .bool(c.sensitive)]
    }

    /// The versioned JSON form (`schemas/plan.schema.json`).
    public static func json(_ plan: Plan, pulpformVersion: String, target: String) -> JSONValue {
        var summary = JSONObject()
        for a in PlanAction.allCases { summary[a.rawValue] = .int(plan.count(a)) }
        let changes: [JSONValue] = plan.changes.compactMap { step in
            guard let action = step.action else { return nil }
            return [
                "address": .string(step.address),
                "unit": .string(step.unit),
                "change": [
                    "actions": .array(action.actions.map(JSONValue.string)),
                    "operation": .string(step.operation.pulpOperation),
                    "reason": .from(step.reason),
                    "fields": .array(step.changes.map(json)),
                ],
            ]
        }
        return [
            "format_version": .string(formatVersion),
            "pulpform_version": .string(pulpformVersion),
            "target": .string(target),
            "complete": .bool(plan.complete),
            "subset": plan.subset?.json ?? .null,
            "has_changes": .bool(plan.hasChanges),
            "summary": .object(summary),
            "resource_changes": .array(changes),
            "unmanaged": .array(plan.unmanaged.map(JSONValue.string)),
            "not_pruned": .array(plan.notPruned.map(JSONValue.string)),
            "accepted_drift": plan.acceptsDrift ? .array(plan.accepting.map(\.json)) : .null,
        ]
    }

    /// For pull-request comments.
    public static func markdown(_ plan: Plan) -> String {
        var out = "### pulpform plan\n\n"
        if let subset = plan.subset { out += "> **\(partialHeader(subset))**\n\n" }
        if plan.acceptsDrift { return out + "```\n" + acceptance(plan, Palette(on: false)) + "```\n" }
        guard plan.hasChanges else {
            out += plan.complete ? "No changes. The target matches the manifests.\n" : "No changes in this subset.\n"
            return out
        }
        out += "**\(plan.summaryLine)**\n\n| | Address | Pulp operation |\n|---|---|---|\n"
        for step in plan.changes {
            guard let action = step.action else { continue }
            out += "| `\(action.symbol)` | `\(step.address)` | `\(step.operation.pulpOperation)` |\n"
        }
        out += "\n<details><summary>Changes</summary>\n\n```diff\n"
        for step in plan.changes { diffText(step, into: &out) }
        out += "```\n\n</details>\n"
        if !plan.unmanaged.isEmpty { out += "\nNot managed by pulpform: \(plan.unmanaged.map { "`\($0)`" }.joined(separator: ", "))\n" }
        if !plan.notPruned.isEmpty { out += "\nKept without `--prune`: \(plan.notPruned.map { "`\($0)`" }.joined(separator: ", "))\n" }
        return out
    }

    // MARK: - Apply reports

    /// One line per step.
    public static func line(_ r: StepResult) -> String {
        let what = r.step.action.map { "\($0.rawValue) " } ?? "record "
        var s = "\(r.state.rawValue): \(what)\(r.step.address)"
        if !r.tasks.isEmpty { s += " [" + r.tasks.map { "task \($0.taskId) \($0.state.rawValue)" }.joined(separator: ", ") + "]" }
        if let m = r.message { s += " — \(m)" }
        return s
    }

    public static func human(_ report: ApplyReport) -> String {
        var out = ""
        let counts = report.stateCounts
        out += "Apply \(report.succeeded ? "complete" : "failed"): \(counts[.finished] ?? 0) steps finished, "
            + "\(counts[.error] ?? 0) failed, \(counts[.skipped] ?? 0) skipped.\n"
        let tasks = report.results.flatMap { r in r.tasks.map { (r.step.address, $0) } }
        if !tasks.isEmpty {
            out += "Tasks:\n"
            for (address, t) in tasks {
                var line = "  \(t.taskId)  \(t.state.rawValue)  \(t.taskType)  \(address)"
                if let code = t.error["code"]?.stringValue { line += "  \(code): \(t.error["description"]?.stringValue ?? "")" }
                out += line + "\n"
            }
        }
        out += "Task group \(report.groupId) state summary: \(JSONValue.object(report.summary.json()).serialized())\n"
        return out
    }

    public static func json(_ report: ApplyReport) -> JSONValue {
        [
            "format_version": .string(formatVersion),
            "succeeded": .bool(report.succeeded),
            "group_id": .string(report.groupId),
            "state_summary": .object(report.summary.json()),
            "steps": .array(report.results.map { r in
                [
                    "address": .string(r.step.address),
                    "action": r.step.action.map { .string($0.rawValue) } ?? "record",
                    "operation": .string(r.step.operation.pulpOperation),
                    "state": .string(r.state.rawValue),
                    "message": .from(r.message),
                    "tasks": .array(r.tasks.map { t in
                        ["task_id": .string(t.taskId), "state": .string(t.state.rawValue), "task_type": .string(t.taskType),
                         "error": t.error]
                    }),
                ]
            }),
        ]
    }
}
