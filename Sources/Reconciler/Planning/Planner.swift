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
    /// other (one gone from the manifests is deleted or reported by its notes alone). `ignores`: the manifests'
    /// `ignore_changes` by repository id (`Manifest.ignoredFields`).
    public func actualHashes(_ actual: ActualState, declared: [String: String]? = nil, ignores: [String: [String]] = [:]) -> [String: String] {
        let repos = declared.map { d in actual.repositories.filter { d[$0.repository.id] != nil } } ?? actual.repositories
        var hashes: [String: String] = Dictionary(minimumCapacity: repos.count)
        for (a, h) in zip(repos, Self.parallelMap(repos) { canonical($0, actual, ignoring: ignores[$0.repository.id] ?? []).hash }) {
            hashes[a.repository.id] = h
        }
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
        // Users and roles first: the applier runs them before anything else, in their own order.
        planAccess(manifest, actual, into: &plan)
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
                    || actual.tracksContentHashes || notes[OwnershipNotes.accepted] != nil
                {
                    return [recordStep(id: d.id, hash: h, clearAccepted: notes[OwnershipNotes.accepted] != nil)]
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

}
