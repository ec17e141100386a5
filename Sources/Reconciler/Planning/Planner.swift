import Foundation
import Synchronization
import PulpContract
public import PulpModel

/// Diffs the manifests against the target and orders the steps: per repository, deletions of schedules,
/// distributors and importer first (the reverse of creation), then the repository, its importer, its
/// distributors and its schedules.
public struct Planner: Sendable {
    public var catalog: PluginCatalog
    public var canon: Canonicalizer
    /// Delete managed repositories and consumers that are gone from the manifests.
    public var prune: Bool

    public init(catalog: PluginCatalog, canon: Canonicalizer, prune: Bool) {
        self.catalog = catalog
        self.canon = canon
        self.prune = prune
    }

    // MARK: - Plan

    /// The canonical fingerprint of every declared repository, by id: what `pulpform_applied` records and what a
    /// content hash is compared with. Computed on every core.
    public func desiredHashes(_ manifest: Manifest) -> [String: String] {
        // Fingerprints made while loading (secret-free repositories, same catalog) are reused.
        let known = manifest.fingerprintCatalog == catalog ? manifest.fingerprints : [:]
        let repos = known.isEmpty ? manifest.repositories : manifest.repositories.filter { known[$0.id] == nil }
        var hashes: [String: String] = known
        hashes.reserveCapacity(manifest.repositories.count)
        for (d, h) in zip(repos, Self.parallelMap(repos) { canonical($0).hash }) where hashes[d.id] == nil { hashes[d.id] = h }
        return hashes
    }

    /// The canonical fingerprint of every repository read from the target, by id, computed on every core. Plan
    /// and drift use them to pass over repositories that match without diffing them field by field.
    ///
    /// `declared`: when given, only the repositories it holds are fingerprinted. Plan and drift compare no
    /// other (one gone from the manifests is deleted or reported by its notes alone).
    public func actualHashes(_ actual: ActualState, declared: [String: String]? = nil) -> [String: String] {
        let repos = declared.map { d in actual.repositories.filter { d[$0.repository.id] != nil } } ?? actual.repositories
        var hashes: [String: String] = Dictionary(minimumCapacity: repos.count)
        for (a, h) in zip(repos, Self.parallelMap(repos) { canonical($0, actual).hash }) { hashes[a.repository.id] = h }
        return hashes
    }

    /// `items.map(transform)`, in order, on every core (in chunks of at least 256 items).
    static func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / 256))
        if chunks == 1 { return items.map(transform) }
        var results = [[R]](repeating: [], count: chunks)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                out[c] = items[(items.count * c / chunks)..<(items.count * (c + 1) / chunks)].map(transform)
            }
        }
        return Array(results.joined())
    }

    /// `hashes`: the manifests' repository fingerprints, when already computed (`desiredHashes`).
    public func plan(_ manifest: Manifest, _ actual: ActualState, hashes: [String: String]? = nil) -> Plan {
        var plan = Plan()
        let actualRepos = Dictionary(actual.repositories.map { ($0.repository.id, $0) }, uniquingKeysWith: { a, _ in a })
        let hashes = hashes ?? (actual.inSync.isEmpty ? [:] : desiredHashes(manifest))
        // Each repository is planned on its own, on every core; the steps keep the manifests' order.
        let perRepository = Self.parallelMap(manifest.repositories) { d -> [PlanStep] in
            // In sync by content hash: nothing to do, and nothing was read.
            if let h = actual.inSync[d.id], hashes[d.id] == h, actualRepos[d.id] == nil { return [] }
            // Read, and the same fingerprint: at most the bookkeeping step (without computing the form again).
            if let a = actualRepos[d.id], let h = hashes[d.id], actual.hashes[d.id] == h {
                let notes = a.repository.notes
                if notes[OwnershipNotes.applied] != .string(h) || notes[OwnershipNotes.managed] != .string("true")
                    || actual.tracksContentHashes
                {
                    return [recordStep(id: d.id, hash: h)]
                }
                return []
            }
            return planRepository(d, actualRepos[d.id], actual, hash: hashes[d.id])
        }
        plan.steps.reserveCapacity(perRepository.reduce(0) { $0 + $1.count })
        for steps in perRepository { plan.steps += steps }
        let declared = Set(manifest.repositories.map(\.id))
        for a in actual.repositories where !declared.contains(a.repository.id) {
            let id = a.repository.id
            if a.repository.notes[OwnershipNotes.managed] == .string("true") {
                if prune {
                    plan.steps.append(PlanStep(address: "repository.\(id)", unit: "repository:\(id)", action: .delete,
                                               operation: .deleteRepository(id: id), changes: removalChanges(a)))
                } else {
                    plan.notPruned.append("repository.\(id)")
                }
            } else {
                plan.unmanaged.append("repository.\(id)")
            }
        }
        let actualConsumers = Dictionary(actual.consumers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var declaredConsumers = Set<String>()
        for d in manifest.consumers {
            declaredConsumers.insert(d.id)
            plan.steps += planConsumer(d, actualConsumers[d.id], actual)
        }
        for c in actual.consumers where !declaredConsumers.contains(c.id) {
            if c.notes[OwnershipNotes.managed] == .string("true") {
                if prune {
                    plan.steps.append(PlanStep(address: "consumer.\(c.id)", unit: "consumer:\(c.id)", action: .delete,
                                               operation: .unregisterConsumer(id: c.id)))
                } else {
                    plan.notPruned.append("consumer.\(c.id)")
                }
            } else {
                plan.unmanaged.append("consumer.\(c.id)")
            }
        }
        return plan
    }

    func planConsumer(_ d: DesiredConsumer, _ a: Consumer?, _ actual: ActualState) -> [PlanStep] {
        let unit = "consumer:\(d.id)"
        let address = "consumer.\(d.id)"
        let want = canonical(d)
        var steps: [PlanStep] = []
        var deletes: [PlanStep] = []
        let have = a.map { canonical($0, actual) }
        if a == nil {
            var notes = d.notes
            notes[OwnershipNotes.managed] = "true"
            var changes = [FieldChange(path: "display_name", before: nil, after: .string(want.displayName))]
            for (k, v) in d.notes.sorted(by: { $0.key < $1.key }) {
                changes.append(FieldChange(path: Self.paths.join("notes", k), before: nil, after: v))
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
        let stale = a?.notes[OwnershipNotes.applied] != .string(want.hash)
        if all.isEmpty && !stale { return [] }
        return all + [PlanStep(address: address, unit: unit, action: nil,
                               operation: .updateConsumer(id: d.id, delta: ["notes": [OwnershipNotes.managed: "true",
                                                                                      OwnershipNotes.applied: .string(want.hash)]]))]
    }
}
