import Foundation
import Synchronization
import PulpContract
import PulpModel

/// One repository's steps, in order, and the bookkeeping step.
extension Planner {
    /// `hash`: the repository's fingerprint when already known (`desiredHashes`).
    func planRepository(_ d: DesiredRepository, _ a: RepositoryDetails?, _ actual: ActualState, hash: String? = nil) -> [PlanStep] {
        let id = d.id
        let unit = "repository:\(id)"
        let address = "repository.\(id)"
        let importerOwner = { (t: String) in ScheduleOwner.importer(repoId: id, importerId: t) }

        guard let a else {
            // Create: the repository with its importer and distributors in one call, then the schedules. Nothing is
            // compared, so the canonical form is only made when the fingerprint is not known yet.
            let wantHash = hash ?? canonical(d).hash
            var changes: [FieldChange] = [FieldChange(path: "display_name", before: nil, after: .string(d.displayName ?? id))]
            if let desc = d.description { changes.append(FieldChange(path: "description", before: nil, after: .string(desc))) }
            for (k, v) in d.notes.sorted(by: { $0.key < $1.key }) {
                changes.append(FieldChange(path: Self.paths.join("notes", k), before: nil, after: v))
            }
            var secrets: [SecretKey: SecretSource?] = [:]
            if let imp = d.importer {
                changes.append(FieldChange(path: "importer.type", before: nil, after: .string(imp.type)))
                let (c, s) = createChanges(prefix: "importer.config", config: imp.config, type: imp.type, kind: .importer,
                                           repoId: id, scope: "importer")
                changes += c
                secrets.merge(s) { $1 }
            }
            for dist in d.distributors {
                let prefix = Self.paths.join("distributor", dist.id)
                changes.append(FieldChange(path: Self.paths.join(prefix, "type"), before: nil, after: .string(dist.type)))
                if dist.autoPublish { changes.append(FieldChange(path: Self.paths.join(prefix, "auto_publish"), before: nil, after: true)) }
                let (c, s) = createChanges(prefix: Self.paths.join(prefix, "config"), config: dist.config, type: dist.type,
                                           kind: .distributor, repoId: id, scope: "distributor:\(dist.id)")
                changes += c
                secrets.merge(s) { $1 }
            }
            var notes = d.notes
            notes[OwnershipNotes.managed] = "true"
            if d.protect {
                notes[OwnershipNotes.protect] = "true"
                changes.append(FieldChange(path: "protect", before: nil, after: true))
            }
            let spec = RepositorySpec(
                id: id, displayName: d.displayName, description: d.description, notes: notes, importerType: d.importer?.type,
                importerConfig: d.importer?.config ?? [:],
                distributors: d.distributors.map { DistributorSpec(id: $0.id, type: $0.type, autoPublish: $0.autoPublish, config: $0.config) })
            var steps = [PlanStep(address: address, unit: unit, action: .create, operation: .createRepository(spec), changes: changes,
                                  secrets: secrets)]
            if let imp = d.importer {
                steps += scheduleSteps(owner: importerOwner(imp.type), addressPrefix: "\(address).sync_schedule", unit: unit,
                                       desired: d.syncSchedules.map(Self.canonical), desiredSpecs: d.syncSchedules.map(Self.spec),
                                       actual: []).creates
            }
            for dist in d.distributors {  // distributor ids are unique (the loader refuses a second one)
                steps += scheduleSteps(owner: .distributor(repoId: id, distributorId: dist.id),
                                       addressPrefix: "\(address).distributor.\(dist.id).publish_schedule", unit: unit,
                                       desired: dist.schedules.map(Self.canonical), desiredSpecs: dist.schedules.map(Self.spec),
                                       actual: []).creates
            }
            steps.append(recordStep(id: id, hash: wantHash))
            if d.importer?.syncAfterCreate == true { steps.append(syncStep(id: id)) }
            return steps
        }

        let want = canonical(d)
        let wantHash = hash ?? want.hash

        let managed = a.repository.notes[OwnershipNotes.managed] == .string("true")
        let accepted = a.repository.notes[OwnershipNotes.accepted]?.stringValue
        let stale = a.repository.notes[OwnershipNotes.applied] != .string(wantHash) || !managed || actual.tracksContentHashes
            || accepted != nil
        // Same fingerprint: nothing differs, so there is nothing to diff.
        if actual.hashes[id] == wantHash { return stale ? [recordStep(id: id, hash: wantHash, clearAccepted: accepted != nil)] : [] }
        let have = canonical(a, actual, ignoring: d.ignoreChanges)
        // The target's state was accepted against these very manifests, and neither moved since: nothing to revert.
        if let accepted, accepted == wantHash, a.repository.notes[OwnershipNotes.applied] == .string(actual.hashes[id] ?? have.hash) {
            return []
        }
        var deletions: [PlanStep] = []
        var forward: [PlanStep] = []

        // The repository itself.
        var delta = JSONObject()
        var metaChanges: [FieldChange] = []
        if want.displayName != have.displayName {
            delta["display_name"] = .string(want.displayName)
            metaChanges.append(FieldChange(path: "display_name", before: .string(have.displayName), after: .string(want.displayName)))
        }
        if want.description != have.description {
            delta["description"] = .from(want.description)
            metaChanges.append(FieldChange(path: "description", before: .from(have.description), after: .from(want.description)))
        }
        var notesDelta = JSONObject()
        for k in Set(want.notes.keys).union(have.notes.keys).sorted() where want.notes[k] != have.notes[k] {
            notesDelta[k] = want.notes[k] ?? .null
            metaChanges.append(FieldChange(path: "notes.\(k)", before: have.notes[k], after: want.notes[k]))
        }
        if want.protect != have.protect {
            notesDelta[OwnershipNotes.protect] = want.protect ? "true" : .null
            metaChanges.append(FieldChange(path: "protect", before: .bool(have.protect), after: .bool(want.protect)))
        }
        // Adopting an unmanaged repository is bookkeeping (the record step marks it managed); it is only
        // called out when something else about the repository changes too.
        if !notesDelta.isEmpty { delta["notes"] = .object(notesDelta) }
        if !delta.isEmpty {
            forward.append(PlanStep(address: address, unit: unit, action: .update, operation: .updateRepository(id: id, delta: delta),
                                    changes: metaChanges, reason: managed ? nil : "adopt: pulpform starts managing this repository"))
        }

        // The importer, and its sync schedules.
        let syncPrefix = "\(address).sync_schedule"
        switch (d.importer, a.importers?.first) {
        case (nil, nil):
            break
        case (nil, let old?):
            deletions.append(PlanStep(address: "\(address).importer", unit: unit, action: .delete,
                                      operation: .removeImporter(repoId: id, type: old.typeId),
                                      changes: [FieldChange(path: "importer.type", before: .string(old.typeId), after: nil)],
                                      secrets: Dictionary(old.config.keys.filter { isSecret($0, type: old.typeId, kind: .importer) }
                                          .map { (SecretKey(repoId: id, plugin: "importer", key: $0), SecretSource?.none) },
                                          uniquingKeysWith: { a, _ in a })))
        case (let imp?, let old):
            let replacing = old != nil && old?.typeId != imp.type
            if old == nil || replacing {
                var (changes, secrets) = createChanges(prefix: "importer.config", config: imp.config, type: imp.type, kind: .importer,
                                                       repoId: id, scope: "importer")
                changes.insert(FieldChange(path: "importer.type", before: old.map { .string($0.typeId) }, after: .string(imp.type)), at: 0)
                if let old {
                    for k in old.config.keys where isSecret(k, type: old.typeId, kind: .importer) && imp.config[k] == nil {
                        secrets.updateValue(nil, forKey: SecretKey(repoId: id, plugin: "importer", key: k))
                    }
                }
                forward.append(PlanStep(
                    address: "\(address).importer", unit: unit, action: replacing ? .replace : .create,
                    operation: .setImporter(repoId: id, type: imp.type, config: imp.config), changes: changes,
                    reason: replacing ? "the importer type changes from \(old?.typeId ?? "") to \(imp.type): Pulp removes the old importer, and its sync schedules, before adding the new one" : nil,
                    secrets: secrets))
                forward += scheduleSteps(owner: importerOwner(imp.type), addressPrefix: syncPrefix, unit: unit,
                                         desired: want.syncSchedules, desiredSpecs: d.syncSchedules.map(Self.spec), actual: []).creates
            } else if let old {
                let diff = configDiff(prefix: "importer.config", desired: imp.config, desiredCanon: want.importerConfig,
                                      actualRaw: old.json(catalog: catalog)["config"]?.objectValue ?? [:],
                                      actualCanon: have.importerConfig, type: imp.type, kind: .importer, repoId: id, scope: "importer")
                if !diff.delta.isEmpty {
                    forward.append(PlanStep(address: "\(address).importer", unit: unit, action: .update,
                                            operation: .updateImporter(repoId: id, type: imp.type, config: diff.delta),
                                            changes: diff.changes, secrets: diff.secrets))
                }
                let s = scheduleSteps(owner: importerOwner(imp.type), addressPrefix: syncPrefix, unit: unit, desired: want.syncSchedules,
                                      desiredSpecs: d.syncSchedules.map(Self.spec), actual: have.syncSchedules)
                deletions = s.deletes + deletions
                forward += s.creates
            }
        }

        // Distributors, and their publish schedules.
        var distributorSteps: [PlanStep] = []
        var scheduleCreates: [PlanStep] = []
        var scheduleDeletes: [PlanStep] = []
        var distributorDeletes: [PlanStep] = []
        let actualDists = Dictionary((a.distributors ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for dist in d.distributors {
            let distAddress = "\(address).distributor.\(dist.id)"
            let owner = ScheduleOwner.distributor(repoId: id, distributorId: dist.id)
            let wantDist = want.distributors[dist.id]
            let specs = dist.schedules.map(Self.spec)
            let spec = DistributorSpec(id: dist.id, type: dist.type, autoPublish: dist.autoPublish, config: dist.config)
            let scope = "distributor:\(dist.id)"
            guard let old = actualDists[dist.id], old.typeId == dist.type else {
                let replacing = actualDists[dist.id] != nil
                var (changes, secrets) = createChanges(prefix: "config", config: dist.config, type: dist.type, kind: .distributor,
                                                       repoId: id, scope: scope)
                changes.insert(FieldChange(path: "type", before: actualDists[dist.id].map { .string($0.typeId) }, after: .string(dist.type)), at: 0)
                if dist.autoPublish { changes.insert(FieldChange(path: "auto_publish", before: nil, after: true), at: 1) }
                distributorSteps.append(PlanStep(
                    address: distAddress, unit: unit, action: replacing ? .replace : .create,
                    operation: .addDistributor(repoId: id, spec: spec), changes: changes,
                    reason: replacing ? "the distributor type changes from \(actualDists[dist.id]?.typeId ?? "") to \(dist.type): Pulp replaces the distributor and drops its publish schedules" : nil,
                    secrets: secrets))
                scheduleCreates += scheduleSteps(owner: owner, addressPrefix: "\(distAddress).publish_schedule", unit: unit,
                                                 desired: wantDist?.schedules ?? [], desiredSpecs: specs, actual: []).creates
                continue
            }
            let haveDist = have.distributors[dist.id]
            let diff = configDiff(prefix: "config", desired: dist.config, desiredCanon: wantDist?.config ?? [:], actualRaw: old.config,
                                  actualCanon: haveDist?.config ?? [:], type: dist.type, kind: .distributor, repoId: id, scope: scope)
            var changes = diff.changes
            let autoChange = old.autoPublish != dist.autoPublish
                && !IgnoredFields.matches(d.ignoreChanges, "distributor.\(dist.id).auto_publish") ? dist.autoPublish : nil
            if let autoChange { changes.insert(FieldChange(path: "auto_publish", before: .bool(old.autoPublish), after: .bool(autoChange)), at: 0) }
            if !diff.delta.isEmpty || autoChange != nil {
                distributorSteps.append(PlanStep(address: distAddress, unit: unit, action: .update,
                                                 operation: .updateDistributor(repoId: id, id: dist.id, config: diff.delta, autoPublish: autoChange),
                                                 changes: changes, secrets: diff.secrets))
            }
            let s = scheduleSteps(owner: owner, addressPrefix: "\(distAddress).publish_schedule", unit: unit,
                                  desired: wantDist?.schedules ?? [], desiredSpecs: specs, actual: haveDist?.schedules ?? [])
            scheduleDeletes += s.deletes
            scheduleCreates += s.creates
        }
        let desiredIds = Set(d.distributors.map(\.id))
        for old in a.distributors ?? [] where !desiredIds.contains(old.id) {
            distributorDeletes.append(PlanStep(address: "\(address).distributor.\(old.id)", unit: unit, action: .delete,
                                               operation: .removeDistributor(repoId: id, id: old.id),
                                               changes: [FieldChange(path: "type", before: .string(old.typeId), after: nil)]))
        }

        // Deletions in reverse order: schedules, distributors, importer; then the forward order.
        let steps = scheduleDeletes + deletions.filter { $0.address != "\(address).importer" } + distributorDeletes
            + deletions.filter { $0.address == "\(address).importer" }
            + forward.filter { $0.address == address }
            + forward.filter { $0.address == "\(address).importer" }
            + distributorSteps
            + forward.filter { $0.address.hasPrefix(syncPrefix) }
            + scheduleCreates
        // On a target that keeps content hashes, a repository was read because its hash was missing or
        // different: recording the fingerprint again lets the next plan skip it.
        if steps.isEmpty && !stale { return [] }
        // A new importer that asked for it: a first sync, once everything else (distributors included) is in place.
        let setsImporter = steps.contains { if case .setImporter = $0.operation { return true } else { return false } }
        return steps + [recordStep(id: id, hash: wantHash, clearAccepted: accepted != nil)] + (setsImporter && d.importer?.syncAfterCreate == true ? [syncStep(id: id)] : [])
    }

    /// A sync after a create (`sync_after_create`), last in its repository: the repository is recorded as
    /// applied before it, so a sync that fails leaves no config change to plan again.
    func syncStep(id: String) -> PlanStep {
        PlanStep(address: "repository.\(id).sync", unit: "repository:\(id)", action: .sync, operation: .syncRepository(repoId: id),
                 reason: "a first sync, as sync_after_create asks")
    }

    /// Bookkeeping: marks the repository managed and records the fingerprint of what was applied. `clearAccepted`:
    /// forgets an accepted drift (the manifests or the target moved since, and the plan brings them together).
    func recordStep(id: String, hash: String, clearAccepted: Bool = false) -> PlanStep {
        var notes: JSONObject = [OwnershipNotes.managed: "true", OwnershipNotes.applied: .string(hash)]
        if clearAccepted { notes[OwnershipNotes.accepted] = .null }
        return PlanStep(address: "repository.\(id)", unit: "repository:\(id)", action: nil,
                        operation: .updateRepository(id: id, delta: ["notes": .object(notes)]))
    }
}
