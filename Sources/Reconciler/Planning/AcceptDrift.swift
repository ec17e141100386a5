public import PulpModel
import PulpContract

/// An object whose state on the target is accepted as the record (`apply --accept-drift`), and how it differs from
/// the manifests: each change goes from the manifests' value (`before`) to the target's (`after`).
public struct AcceptedDrift: Sendable, Hashable {
    public var address: String
    public var kind: DriftKind
    public var changes: [FieldChange]

    public init(address: String, kind: DriftKind, changes: [FieldChange]) {
        self.address = address
        self.kind = kind
        self.changes = changes
    }

    /// As the plan's JSON and a saved plan hold it.
    public var json: JSONValue {
        ["address": .string(address), "kind": .string(kind.rawValue), "fields": .array(changes.map(PlanRenderer.json))]
    }

    init?(json v: JSONValue) {
        guard let address = v["address"]?.stringValue, let kind = v["kind"]?.stringValue.flatMap(DriftKind.init(rawValue:)) else {
            return nil
        }
        self.init(address: address, kind: kind, changes: (v["fields"]?.arrayValue ?? []).compactMap(PlanFile.decodeChange))
    }
}

extension Reconciliation {
    /// `--accept-drift`, Terraform's `-refresh-only`: a plan that changes nothing on the target and records, for
    /// every repository and consumer changed outside pulpform, its current state as the applied record, with the
    /// manifests' fingerprint it was accepted against (`pulpform_accepted`). Drift and plans then leave it alone
    /// until the manifests or the target move again.
    /// Users and roles are not accepted (they have no notes to keep the record in): `notAccepted` names them.
    public func acceptingDrift() -> Plan {
        var plan = Plan()
        plan.subset = self.plan.subset
        plan.acceptsDrift = true
        let repos = Dictionary(actual.repositories.map { ($0.repository.id, $0) }, uniquingKeysWith: { a, _ in a })
        let consumers = Dictionary(actual.consumers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredRepos = Dictionary(manifest.repositories.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let desiredConsumers = Dictionary(manifest.consumers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for item in drift.items where item.kind == .outside || item.kind == .both {
            let parts = item.address.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let unit = "\(parts[0]):\(parts[1])"
            let changes = self.plan.steps.filter { $0.unit == unit && $0.action != nil }.flatMap { step in
                step.changes.map { c in
                    FieldChange(path: Self.objectPath(step.address, item.address, c.path), before: c.after, after: c.before,
                                sensitive: c.sensitive, hadValue: c.kind != .add, willHaveValue: c.kind != .remove)
                }
            }
            switch parts[0] {
            case "repository":
                guard let a = repos[parts[1]], let d = desiredRepos[parts[1]] else { continue }
                let have = actual.hashes[a.repository.id] ?? planner.canonical(a, actual, ignoring: d.ignoreChanges).hash
                let notes: JSONObject = [OwnershipNotes.managed: "true", OwnershipNotes.applied: .string(have),
                                         OwnershipNotes.accepted: .string(planner.canonical(d).hash)]
                plan.steps.append(PlanStep(address: item.address, unit: unit, action: nil,
                                           operation: .updateRepository(id: parts[1], delta: ["notes": .object(notes)])))
            case "consumer":
                guard let c = consumers[parts[1]], let d = desiredConsumers[parts[1]] else { continue }
                let notes: JSONObject = [OwnershipNotes.managed: "true", OwnershipNotes.applied: .string(planner.canonical(c, actual).hash),
                                         OwnershipNotes.accepted: .string(planner.canonical(d).hash)]
                plan.steps.append(PlanStep(address: item.address, unit: unit, action: nil,
                                           operation: .updateConsumer(id: parts[1], delta: ["notes": .object(notes)])))
            default:
                plan.notAccepted.append(item.address)
                continue
            }
            plan.accepting.append(AcceptedDrift(address: item.address, kind: item.kind, changes: changes))
        }
        plan.pendingLeft = drift.items.filter { $0.kind == .pending }.map(\.address)
        return plan
    }

    /// `import --update`: for every repository and consumer changed outside pulpform, accepted or not, the field
    /// changes that would make the manifests say what the target has (`before` the manifests', `after` the target's).
    public func manifestUpdates() -> [AcceptedDrift] {
        guard !drift.accepted.isEmpty else { return acceptingDrift().accepting }
        // Accepted objects are in sync for the planner: plan them as if they were not, to see how they differ.
        var target = actual
        let accepted = Set(drift.accepted)
        for i in target.repositories.indices where accepted.contains("repository.\(target.repositories[i].repository.id)") {
            target.repositories[i].repository.notes[OwnershipNotes.accepted] = nil
        }
        for i in target.consumers.indices where accepted.contains("consumer.\(target.consumers[i].id)") {
            target.consumers[i].notes[OwnershipNotes.accepted] = nil
        }
        var report = drift
        report.items += drift.accepted.map { DriftItem(address: $0, kind: .outside, detail: "accepted") }
        return Reconciliation(manifest: manifest, plan: planner.plan(manifest, target), planner: planner, actual: target, drift: report)
            .acceptingDrift().accepting
    }

    /// A step's field path as a path of the whole object (`distributor.yum.config.relative_url`), as
    /// `ignore_changes` names fields.
    static func objectPath(_ stepAddress: String, _ objectAddress: String, _ path: String) -> String {
        guard stepAddress.hasPrefix(objectAddress + "."), stepAddress != objectAddress else { return path }
        // An importer's changes already name `importer.…`; a distributor's are relative to it.
        let rest = String(stepAddress.dropFirst(objectAddress.count + 1))
        return rest.hasPrefix("importer") ? path : "\(rest).\(path)"
    }
}
