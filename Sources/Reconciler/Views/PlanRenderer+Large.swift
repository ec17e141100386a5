import Foundation

/// Plans too large to review step by step: a summary grouped by kind of object, with counts, the first ids of each
/// group and the fields that change; and markdown that fits a pull-request comment.
extension PlanRenderer {
    /// The default of `--max-detail`: plans touching more objects are summarised.
    public static let defaultMaxDetail = 200
    /// GitHub's limit on a comment's body.
    public static let commentLimit = 65_536

    /// One group: the objects of one kind (`repository`) that one action touches.
    struct Group {
        var kind: String
        var action: PlanAction
        var objects: [String] = []
        var fields: [String: Int] = [:]
    }

    /// Objects touched by the plan's changes, grouped by kind and then by action, in plan order. An object's action
    /// is its most drastic one (delete, replace, create, update, sync).
    static func groups(_ plan: Plan) -> [Group] {
        var actionOf: [String: PlanAction] = [:]
        var order: [String] = []
        var fields: [String: [String]] = [:]
        func rank(_ a: PlanAction) -> Int {
            switch a {
            case .delete: return 0
            case .replace: return 1
            case .create: return 2
            case .update: return 3
            case .sync: return 4
            }
        }
        for step in plan.steps {
            guard let action = step.action else { continue }
            if let have = actionOf[step.unit] {
                if rank(action) < rank(have) { actionOf[step.unit] = action }
            } else {
                actionOf[step.unit] = action
                order.append(step.unit)
            }
            fields[step.unit, default: []] += step.changes.map(\.path)
        }
        var out: [Group] = []
        var index: [String: Int] = [:]
        for unit in order {
            guard let action = actionOf[unit], let colon = unit.firstIndex(of: ":") else { continue }
            let kind = String(unit[..<colon])
            let key = "\(kind) \(action.rawValue)"
            if index[key] == nil {
                index[key] = out.count
                out.append(Group(kind: kind, action: action))
            }
            let i = index[key] ?? 0
            out[i].objects.append(String(unit[unit.index(after: colon)...]))
            for f in Set(fields[unit] ?? []) { out[i].fields[f, default: 0] += 1 }
        }
        let kinds = ["user", "role", "repository", "consumer"]
        return out.sorted { a, b in
            let (ka, kb) = (kinds.firstIndex(of: a.kind) ?? 9, kinds.firstIndex(of: b.kind) ?? 9)
            return ka != kb ? ka < kb : rank(a.action) < rank(b.action)
        }
    }

    /// How many objects the plan's changes touch.
    public static func touchedObjects(_ plan: Plan) -> Int {
        Set(plan.steps.lazy.filter { $0.action != nil }.map(\.unit)).count
    }

    static func plural(_ kind: String, _ n: Int) -> String {
        n == 1 ? kind : kind == "repository" ? "repositories" : "\(kind)s"
    }

    static func names(_ ids: [String], shown: Int = 8) -> String {
        let head = ids.prefix(shown).joined(separator: ", ")
        return ids.count > shown ? "\(head), … and \(ids.count - shown) more" : head
    }

    static func fieldSummary(_ g: Group, shown: Int = 8) -> String {
        let top = g.fields.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let list = top.prefix(shown).map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        return top.count > shown ? "\(list), … and \(top.count - shown) more fields" : list
    }

    /// The human summary of a plan that touches more than `maxDetail` objects.
    static func summary(_ plan: Plan, maxDetail: Int, _ p: Palette) -> String {
        let touched = touchedObjects(plan)
        var out = "pulpform will perform the following actions on \(touched) objects, more than --max-detail \(maxDetail): "
            + "they are grouped by kind (--full shows every change).\n\n"
        for g in groups(plan) {
            out += "  " + p.action(g.action, g.action.symbol) + " " + p.bold("\(g.objects.count) \(plural(g.kind, g.objects.count)) "
                + describe(g.action)) + "\n"
            out += "      \(names(g.objects))\n"
            if !g.fields.isEmpty { out += "      fields: \(fieldSummary(g))\n" }
            out += "\n"
        }
        return out
    }

    /// Markdown for a pull-request comment: every change when it fits, else a summary by kind with details folded
    /// into `<details>` blocks for as many objects as fit in `limit` characters, and where the rest is.
    /// `fullPlan`: where the full plan is (a saved plan, a CI artifact), named when details are left out.
    public static func markdown(_ plan: Plan, maxDetail: Int, limit: Int = commentLimit, fullPlan: String? = nil) -> String {
        let touched = touchedObjects(plan)
        if touched <= maxDetail, !plan.acceptsDrift {
            let full = markdown(plan)
            if full.utf8.count <= limit { return full }
        }
        guard !plan.acceptsDrift else { return markdown(plan) }
        var out = "### pulpform plan\n\n"
        if let subset = plan.subset { out += "> **\(partialHeader(subset))**\n\n" }
        out += "**\(plan.summaryLine)** (\(touched) objects)\n\n| Kind | Action | Objects | Fields that change |\n|---|---|---|---|\n"
        let groups = groups(plan)
        for g in groups {
            out += "| \(g.kind) | `\(g.action.symbol)` \(g.action.rawValue) | \(g.objects.count) | \(fieldSummary(g, shown: 4)) |\n"
        }
        out += "\n"
        var tail = ""
        if !plan.unmanaged.isEmpty { tail += "\nNot managed by pulpform: \(names(plan.unmanaged.map { "`\($0)`" }, shown: 20))\n" }
        if !plan.notPruned.isEmpty { tail += "\nKept without `--prune`: \(names(plan.notPruned.map { "`\($0)`" }, shown: 20))\n" }
        // The details of each group, object by object, while they fit; what is left out is counted.
        let budget = limit - out.utf8.count - tail.utf8.count - 600
        var used = 0
        var leftOut = 0
        let stepsByUnit = Dictionary(grouping: plan.steps.filter { $0.action != nil }, by: \.unit)
        for g in groups {
            var block = "<details><summary>\(g.objects.count) \(plural(g.kind, g.objects.count)) \(describe(g.action))</summary>\n\n```diff\n"
            var shown = 0
            for id in g.objects {
                var text = ""
                for step in stepsByUnit["\(g.kind):\(id)"] ?? [] { diffText(step, into: &text) }
                if used + block.utf8.count + text.utf8.count + 40 > budget { break }
                block += text
                shown += 1
            }
            if shown < g.objects.count {
                leftOut += g.objects.count - shown
                block += "# … and \(g.objects.count - shown) more \(plural(g.kind, g.objects.count - shown)), left out to fit a comment\n"
            }
            block += "```\n\n</details>\n\n"
            if used + block.utf8.count > budget { leftOut += shown; continue }
            used += block.utf8.count
            out += block
        }
        if leftOut > 0 {
            out += "The details of \(leftOut) objects are left out to fit a comment. "
                + (fullPlan.map { "The full plan is in `\($0)`." } ?? "Run `pulpform plan --full` for every change.") + "\n"
        }
        return out + tail
    }

    /// One step as lines of a `diff` block.
    static func diffText(_ step: PlanStep, into out: inout String) {
        guard let action = step.action else { return }
        out += "\(action == .replace ? "!" : action.symbol == "~" ? "!" : action.symbol) \(step.address)\n"
        if let reason = step.reason { out += "# \(reason)\n" }
        for c in step.changes {
            let (symbol, text) = fieldLine(c)
            out += "\(symbol == "~" ? "!" : symbol)   \(text)\n"
        }
    }
}
