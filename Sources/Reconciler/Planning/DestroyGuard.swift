import PulpContract
import PulpModel

/// A step that would delete or replace a protected repository or consumer (`protect: true`).
public struct GuardViolation: Sendable, Hashable, CustomStringConvertible {
    /// The step: `repository.zoo`, `repository.zoo.importer`, …
    public var address: String
    /// The protected object: `repository.zoo`.
    public var object: String
    public var id: String
    public var action: PlanAction
    /// Where the manifests protect it; nil when only the target's record (the `pulpform_protect` note) does.
    public var mark: SourceMark?

    public var description: String {
        let what = action == .replace ? "\(address) would be replaced" : "\(object) would be deleted"
        let why = mark.map { "protect: true at \($0)" } ?? "its record on the target (note \(OwnershipNotes.protect))"
        return "\(what), but \(object) is protected by \(why)"
    }
}

/// A plan that would destroy protected objects: refused, and why.
public struct DestroyRefused: Error, Sendable, CustomStringConvertible {
    public var violations: [GuardViolation]

    public var description: String {
        let ids = Array(Set(violations.map(\.id))).sorted()
        return violations.map { "error: \($0)" }.joined(separator: "\n")
            + "\n\(violations.count) step\(violations.count == 1 ? "" : "s") would destroy protected objects. Remove protect: true and "
            + "apply that first, or lift the guard for one run with "
            + ids.map { "--allow-destroy \($0)" }.joined(separator: " ")
    }
}

/// `*` and `?` globs, for ids (`--allow-destroy`).
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension Planner {
    /// The steps of `plan` that would delete a protected repository or consumer, or replace a plugin of one, unless
    /// `allow` (globs on ids or addresses) lifts the guard. Protection comes from the manifests or from the
    /// object's note on the target, so it holds after the object leaves the manifests, and removing it is an
    /// update that must be applied first.
    public func destroyGuard(_ plan: Plan, _ manifest: Manifest, _ actual: ActualState, allow: [String]) -> [GuardViolation] {
        let destructive = plan.steps.filter { step in
            switch step.action {
            case .replace?: return true
            case .delete?:
                switch step.operation {
                case .deleteRepository, .unregisterConsumer: return true
                default: return false
                }
            default: return false
            }
        }
        guard !destructive.isEmpty else { return [] }
        var marks: [String: SourceMark] = [:]
        for r in manifest.repositories where r.protect { marks["repository:\(r.id)"] = r.protectMark ?? r.mark }
        for c in manifest.consumers where c.protect { marks["consumer:\(c.id)"] = c.protectMark ?? c.mark }
        var recorded = Set<String>()
        for a in actual.repositories where Self.isProtected(a.repository.notes) { recorded.insert("repository:\(a.repository.id)") }
        for c in actual.consumers where Self.isProtected(c.notes) { recorded.insert("consumer:\(c.id)") }
        var out: [GuardViolation] = []
        for step in destructive {
            guard marks[step.unit] != nil || recorded.contains(step.unit), let action = step.action else { continue }
            let parts = step.unit.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let object = "\(parts[0]).\(parts[1])"
            if allow.contains(where: { Glob.matches($0, parts[1]) || Glob.matches($0, object) }) { continue }
            out.append(GuardViolation(address: step.address, object: object, id: parts[1], action: action, mark: marks[step.unit]))
        }
        return out
    }
}
