import Foundation
import Synchronization
import PulpContract
import PulpModel

/// One consumer's steps.
extension Planner {
    func planConsumer(_ d: DesiredConsumer, _ a: Consumer?, _ actual: ActualState) -> [PlanStep] {
        let unit = "consumer:\(d.id)"
        let address = "consumer.\(d.id)"
        let want = canonical(d)
        var steps: [PlanStep] = []
        var deletes: [PlanStep] = []
        let have = a.map { canonical($0, actual) }
        let accepted = a?.notes[OwnershipNotes.accepted]?.stringValue
        // The target's state was accepted against these very manifests, and neither moved since: nothing to revert.
        if let accepted, accepted == want.hash, let have, a?.notes[OwnershipNotes.applied] == .string(have.hash) { return [] }
        if a == nil {
            var notes = d.notes
            notes[OwnershipNotes.managed] = "true"
            var changes = [FieldChange(path: "display_name", before: nil, after: .string(want.displayName))]
            for (k, v) in d.notes.sorted(by: { $0.key < $1.key }) {
                changes.append(FieldChange(path: Self.paths.join("notes", k), before: nil, after: v))
            }
            if d.protect {
                notes[OwnershipNotes.protect] = "true"
                changes.append(FieldChange(path: "protect", before: nil, after: true))
            }
            steps.append(PlanStep(address: address, unit: unit, action: .create,
                                  operation: .registerConsumer(ConsumerRegister(id: d.id, displayName: d.displayName,
                                                                                description: d.description, notes: notes)),
                                  changes: changes))
        } else if let have {
            var delta = JSONObject()
            var changes: [FieldChange] = []
            if want.displayName != have.displayName {
                delta["display_name"] = .string(want.displayName)
                changes.append(FieldChange(path: "display_name", before: .string(have.displayName), after: .string(want.displayName)))
            }
            if want.description != have.description {
                delta["description"] = .from(want.description)
                changes.append(FieldChange(path: "description", before: .from(have.description), after: .from(want.description)))
            }
            var notesDelta = JSONObject()
            for k in Set(want.notes.keys).union(have.notes.keys).sorted() where want.notes[k] != have.notes[k] {
                notesDelta[k] = want.notes[k] ?? .null
                changes.append(FieldChange(path: "notes.\(k)", before: have.notes[k], after: want.notes[k]))
            }
            if want.protect != have.protect {
                notesDelta[OwnershipNotes.protect] = want.protect ? "true" : .null
                changes.append(FieldChange(path: "protect", before: .bool(have.protect), after: .bool(want.protect)))
            }
            if !notesDelta.isEmpty { delta["notes"] = .object(notesDelta) }
            if !delta.isEmpty {
                steps.append(PlanStep(address: address, unit: unit, action: .update, operation: .updateConsumer(id: d.id, delta: delta),
                                      changes: changes))
            }
        }
        for action in [ScheduleKind.install, .update, .uninstall] {
            let desiredSpecs = d.schedules.filter { $0.action == action }.map {
                ScheduleCreate(schedule: $0.schedule, failureThreshold: $0.failureThreshold, enabled: $0.enabled, units: $0.units,
                               options: $0.options)
            }
            let s = scheduleSteps(owner: .consumer(consumerId: d.id, action: action), addressPrefix: "\(address).\(action.rawValue)_schedule",
                                  unit: unit, desired: want.schedules[action] ?? [], desiredSpecs: desiredSpecs,
                                  actual: have?.schedules[action] ?? [])
            deletes += s.deletes
            steps += s.creates
        }
        let all = deletes + steps
        let stale = a?.notes[OwnershipNotes.applied] != .string(want.hash) || accepted != nil
        if all.isEmpty && !stale { return [] }
        var notes: JSONObject = [OwnershipNotes.managed: "true", OwnershipNotes.applied: .string(want.hash)]
        if accepted != nil { notes[OwnershipNotes.accepted] = .null }
        return all + [PlanStep(address: address, unit: unit, action: nil,
                               operation: .updateConsumer(id: d.id, delta: ["notes": .object(notes)]))]
    }
}
