import Foundation
import Synchronization
import PulpContract
import PulpModel

/// Field changes: config diffs with secrets shown as sensitive, creations, schedule steps.
extension Planner {
    func removalChanges(_ a: RepositoryDetails) -> [FieldChange] {
        var out = [FieldChange(path: "id", before: .string(a.repository.id), after: nil)]
        if let i = a.importers?.first { out.append(FieldChange(path: "importer.type", before: .string(i.typeId), after: nil)) }
        for d in a.distributors ?? [] {
            out.append(FieldChange(path: "distributor.\(d.id).type", before: .string(d.typeId), after: nil))
        }
        return out
    }

    func isSecret(_ key: String, type: String, kind: PluginKind) -> Bool {
        canon.isSecret(key, plugin: catalog.types[type], kind: kind)
    }

    /// A desired value for display (secrets are not shown).
    static func shown(_ v: ConfigValue) -> JSONValue? {
        if case .plain(let p) = v { return p }
        return nil
    }

    /// Changes and the delta to send for one config, plus the secrets the delta sets or forgets.
    func configDiff(prefix: String, desired: [String: ConfigValue], desiredCanon: JSONObject, actualRaw: JSONObject,
                    actualCanon: JSONObject, type: String, kind: PluginKind, repoId: String, scope: String)
        -> (changes: [FieldChange], delta: ConfigDelta, secrets: [SecretKey: SecretSource?])
    {
        var changes: [FieldChange] = []
        var delta: ConfigDelta = [:]
        var secrets: [SecretKey: SecretSource?] = [:]
        for k in Set(desiredCanon.keys).union(actualCanon.keys).sorted() where desiredCanon[k] != actualCanon[k] {
            let sensitive = isSecret(k, type: type, kind: kind)
            let key = SecretKey(repoId: repoId, plugin: scope, key: k)
            if let dv = desired[k] {
                delta.updateValue(dv, forKey: k)
                changes.append(FieldChange(path: "\(prefix).\(k)", before: actualRaw[k], after: Self.shown(dv), sensitive: sensitive,
                                           hadValue: actualRaw[k] != nil, willHaveValue: true))
                if case .secret(let src) = dv { secrets.updateValue(src, forKey: key) }
            } else {
                delta.updateValue(nil, forKey: k)
                changes.append(FieldChange(path: "\(prefix).\(k)", before: actualRaw[k], after: nil, sensitive: sensitive,
                                           hadValue: true, willHaveValue: false))
                if sensitive { secrets.updateValue(nil, forKey: key) }
            }
        }
        return (changes, delta, secrets)
    }

    /// Field paths are shared: a plan that creates 20,000 repositories has half a million field changes but only
    /// a few dozen paths, and a path held apart costs a heap block each time.
    static let paths = FieldPaths()

    final class FieldPaths: Sendable {
        struct Key: Hashable {
            let prefix: String
            let key: String
        }

        private let known = Mutex<[Key: String]>([:])

        /// `prefix.key`, the same string for the same parts.
        func join(_ prefix: String, _ key: String) -> String {
            let k = Key(prefix: prefix, key: key)
            return known.withLock { known in
                if let path = known[k] { return path }
                let path = "\(prefix).\(key)"
                // A few dozen in practice; the bound keeps odd estates from growing it without end.
                if known.count < 100_000 { known[k] = path }
                return path
            }
        }
    }

    func createChanges(prefix: String, config: [String: ConfigValue], type: String, kind: PluginKind, repoId: String,
                       scope: String) -> ([FieldChange], [SecretKey: SecretSource?])
    {
        var changes: [FieldChange] = []
        var secrets: [SecretKey: SecretSource?] = [:]
        for (k, v) in config.sorted(by: { $0.key < $1.key }) {
            changes.append(FieldChange(path: Self.paths.join(prefix, k), before: nil, after: Self.shown(v),
                                       sensitive: isSecret(k, type: type, kind: kind) || Self.shown(v) == nil,
                                       hadValue: false, willHaveValue: true))
            if case .secret(let src) = v { secrets.updateValue(src, forKey: SecretKey(repoId: repoId, plugin: scope, key: k)) }
        }
        return (changes, secrets)
    }

    /// Matches schedules by content; returns the steps to delete, and to create or update.
    func scheduleSteps(owner: ScheduleOwner, addressPrefix: String, unit: String, desired: [CanonSchedule],
                       desiredSpecs: [ScheduleCreate], actual: [CanonSchedule]) -> (deletes: [PlanStep], creates: [PlanStep])
    {
        var remaining = actual
        var deletes: [PlanStep] = []
        var creates: [PlanStep] = []
        for (want, spec) in zip(desired, desiredSpecs) {
            let address = "\(addressPrefix)[\(want.schedule)]"
            if let i = remaining.firstIndex(where: { $0.key == want.key }) {
                let have = remaining.remove(at: i)
                if have.enabled != want.enabled, let id = have.id {
                    creates.append(PlanStep(address: address, unit: unit, action: .update,
                                            operation: .updateSchedule(owner: owner, id: id, ScheduleUpdate(enabled: want.enabled)),
                                            changes: [FieldChange(path: "enabled", before: .bool(have.enabled), after: .bool(want.enabled))]))
                }
            } else {
                var changes = [FieldChange(path: "schedule", before: nil, after: .string(want.schedule))]
                if !want.enabled { changes.append(FieldChange(path: "enabled", before: nil, after: false)) }
                if let t = want.failureThreshold { changes.append(FieldChange(path: "failure_threshold", before: nil, after: .int(t))) }
                creates.append(PlanStep(address: address, unit: unit, action: .create, operation: .createSchedule(owner: owner, spec),
                                        changes: changes))
            }
        }
        for gone in remaining {
            guard let id = gone.id else { continue }
            deletes.append(PlanStep(address: "\(addressPrefix)[\(gone.schedule)]", unit: unit, action: .delete,
                                    operation: .deleteSchedule(owner: owner, id: id),
                                    changes: [FieldChange(path: "schedule", before: .string(gone.schedule), after: nil)]))
        }
        return (deletes, creates)
    }

    static func spec(_ s: DesiredSchedule) -> ScheduleCreate {
        ScheduleCreate(schedule: s.schedule, overrideConfig: s.overrideConfig, failureThreshold: s.failureThreshold, enabled: s.enabled)
    }
}
