import Foundation
import Synchronization
import PulpContract
import PulpModel

/// Desired and actual repositories and consumers in one canonical form.
extension Planner {
    static func isProtected(_ notes: JSONObject) -> Bool { notes[OwnershipNotes.protect] == .string("true") }

    static func userNotes(_ notes: JSONObject) -> JSONObject {
        notes.filter { !$0.key.hasPrefix("pulpform_") }
    }

    func canonical(_ d: DesiredRepository) -> CanonRepository {
        var c = CanonRepository(
            id: d.id, displayName: d.displayName ?? d.id, description: d.description, notes: d.notes,
            importerType: d.importer?.type,
            importerConfig: d.importer.map { canon.desired($0.config, typeId: $0.type, kind: .importer) } ?? [:],
            distributors: Dictionary(d.distributors.map { dist in
                (dist.id, CanonDistributor(id: dist.id, type: dist.type, autoPublish: dist.autoPublish,
                                           config: canon.desired(dist.config, typeId: dist.type, kind: .distributor),
                                           schedules: dist.schedules.map(Self.canonical)))
            }, uniquingKeysWith: { a, _ in a }),
            syncSchedules: d.syncSchedules.map(Self.canonical), protect: d.protect)
        c.ignore(d.ignoreChanges)
        return c
    }

    static func canonical(_ s: DesiredSchedule) -> CanonSchedule {
        CanonSchedule(schedule: s.schedule, enabled: s.enabled, failureThreshold: s.failureThreshold, payload: s.overrideConfig)
    }

    static func canonical(_ s: Schedule) -> CanonSchedule {
        let payload: JSONObject
        if s.kind.isConsumerContent {
            payload = ["units": s.kwargs["units"] ?? [], "options": s.kwargs["options"] ?? [:]]
        } else {
            payload = s.kwargs["overrides"]?.objectValue ?? [:]
        }
        return CanonSchedule(schedule: s.schedule, enabled: s.enabled, failureThreshold: s.failureThreshold, payload: payload,
                             id: s.id)
    }

    /// `ignoring`: the repository's `ignore_changes` in the manifests.
    func canonical(_ a: RepositoryDetails, _ actual: ActualState, ignoring: [String] = []) -> CanonRepository {
        let r = a.repository
        let importer = a.importers?.first
        var dists: [String: CanonDistributor] = [:]
        for d in a.distributors ?? [] {
            dists[d.id] = CanonDistributor(
                id: d.id, type: d.typeId, autoPublish: d.autoPublish,
                config: canon.actual(d.config, typeId: d.typeId, kind: .distributor, repoId: r.id, scope: "distributor:\(d.id)"),
                schedules: (actual.publishSchedules[r.id]?[d.id] ?? []).map(Self.canonical))
        }
        var c = CanonRepository(
            id: r.id, displayName: r.displayName, description: r.description, notes: Self.userNotes(r.notes),
            importerType: importer?.typeId,
            importerConfig: importer.map { canon.actual($0.config, typeId: $0.typeId, kind: .importer, repoId: r.id, scope: "importer") } ?? [:],
            distributors: dists,
            syncSchedules: importer == nil ? [] : (actual.syncSchedules[r.id] ?? []).map(Self.canonical),
            protect: Self.isProtected(r.notes))
        c.ignore(ignoring)
        return c
    }

    func canonical(_ d: DesiredConsumer) -> CanonConsumer {
        var byKind: [ScheduleKind: [CanonSchedule]] = [:]
        for s in d.schedules {
            byKind[s.action, default: []].append(CanonSchedule(
                schedule: s.schedule, enabled: s.enabled, failureThreshold: s.failureThreshold,
                payload: ["units": .array(s.units), "options": .object(s.options)]))
        }
        return CanonConsumer(id: d.id, displayName: d.displayName ?? d.id, description: d.description, notes: d.notes,
                             schedules: byKind, protect: d.protect)
    }

    func canonical(_ c: Consumer, _ actual: ActualState) -> CanonConsumer {
        var byKind: [ScheduleKind: [CanonSchedule]] = [:]
        for s in actual.consumerSchedules[c.id] ?? [] { byKind[s.kind, default: []].append(Self.canonical(s)) }
        return CanonConsumer(id: c.id, displayName: c.displayName, description: c.description, notes: Self.userNotes(c.notes),
                             schedules: byKind, protect: Self.isProtected(c.notes))
    }
}
