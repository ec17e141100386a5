import Foundation
public import PulpContract
public import PulpModel

/// A plan saved by `plan --out`, to be applied later by `apply FILE`.
///
/// It records, for every object the plan touches, a fingerprint of the object as planned (or that it was
/// absent). `apply FILE` re-reads only those objects: an unrelated write never invalidates the plan.
/// Secrets stay `{env:}`/`{file:}` references: a plan file never holds a secret.
public struct SavedPlan: Sendable {
    public var plan: Plan
    /// Unit (`repository:<id>`, `consumer:<id>`) → fingerprint, or `absent`.
    public var guards: [String: String]
    public var target: String
    public var createdAt: String

    public init(plan: Plan, guards: [String: String], target: String, createdAt: String) {
        self.plan = plan
        self.guards = guards
        self.target = target
        self.createdAt = createdAt
    }

    public static let kind = "pulpform-plan"
    public static let absent = "absent"
}

public struct PlanFileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

extension Planner {
    /// The fingerprint of one unit as the target holds it now: its canonical form plus all its notes.
    public func fingerprint(unit: String, in actual: ActualState) -> String {
        guards(units: [unit], in: actual)[unit] ?? SavedPlan.absent
    }

    /// Guards for every unit a plan touches.
    public func guards(for plan: Plan, in actual: ActualState) -> [String: String] {
        guards(units: plan.units, in: actual)
    }

    func guards(units: [String], in actual: ActualState) -> [String: String] {
        let repos = Dictionary(actual.repositories.map { ($0.repository.id, $0) }, uniquingKeysWith: { a, _ in a })
        let consumers = Dictionary(actual.consumers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String: String] = [:]
        for unit in units {
            let parts = unit.split(separator: ":", maxSplits: 1).map(String.init)
            var value: JSONValue?
            if parts.count == 2, parts[0] == "repository", let a = repos[parts[1]] {
                // Leases come and go with other applies; they are not part of the object.
                let notes = a.repository.notes.filter { !$0.key.hasPrefix(LeaseOptions.prefix) }
                value = ["canonical": canonical(a, actual).json, "notes": .object(notes)]
            } else if parts.count == 2, parts[0] == "consumer", let c = consumers[parts[1]] {
                value = ["canonical": canonical(c, actual).json, "notes": .object(c.notes)]
            } else if parts.count == 2, parts[0] == "user" || parts[0] == "role" {
                value = accessGuard(unit, in: actual)
            }
            out[unit] = value.map { Fingerprinter.digest($0.serialized()) } ?? SavedPlan.absent
        }
        return out
    }
}

extension ActualState {
    /// Reads only the given units (`repository:<id>`, `consumer:<id>`, `user:<login>`, `role:<id>`); users and
    /// roles with the records that `reconciler` keeps of them.
    public static func read(units: [String], from pulp: any PulpService, reconciler: (any ReconcilerState)? = nil) async throws -> ActualState {
        var state = ActualState()
        if units.contains(where: { $0.hasPrefix("user:") || $0.hasPrefix("role:") }) {
            try await state.readAccess(from: pulp, records: try await reconciler?.accessRecords() ?? [])
        }
        for unit in units {
            let parts = unit.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "repository" {
                let details: RepositoryDetails
                do {
                    details = try await pulp.repository(parts[1], include: .all)
                } catch let e as PulpError where e.httpStatus == 404 {
                    continue
                }
                state.repositories.append(details)
                if let imp = details.importers?.first {
                    state.syncSchedules[parts[1]] = try await pulp.schedules(.importer(repoId: parts[1], importerId: imp.typeId))
                }
                for d in details.distributors ?? [] {
                    state.publishSchedules[parts[1], default: [:]][d.id] =
                        try await pulp.schedules(.distributor(repoId: parts[1], distributorId: d.id))
                }
            } else if parts[0] == "consumer" {
                let c: Consumer
                do {
                    c = try await pulp.consumer(parts[1])
                } catch let e as PulpError where e.httpStatus == 404 {
                    continue
                }
                state.consumers.append(c)
                for action in [ScheduleKind.install, .update, .uninstall] {
                    state.consumerSchedules[c.id, default: []] += try await pulp.schedules(.consumer(consumerId: c.id, action: action))
                }
            }
        }
        return state
    }
}

/// The plan file format (JSON).
public enum PlanFile {
    public static func encode(_ saved: SavedPlan) -> JSONValue {
        [
            "kind": .string(SavedPlan.kind),
            "format_version": .string(PlanRenderer.formatVersion),
            "target": .string(saved.target),
            "created_at": .string(saved.createdAt),
            "guards": .object(saved.guards.mapValues(JSONValue.string)),
            "unmanaged": .array(saved.plan.unmanaged.map(JSONValue.string)),
            "not_pruned": .array(saved.plan.notPruned.map(JSONValue.string)),
            "complete": .bool(saved.plan.complete),
            "accepts_drift": .bool(saved.plan.acceptsDrift),
            "accepted_drift": .array(saved.plan.accepting.map(\.json)),
            "subset": saved.plan.subset?.json ?? .null,
            "steps": .array(saved.plan.steps.map(encode)),
        ]
    }

    public static func decode(_ v: JSONValue) throws(PlanFileError) -> SavedPlan {
        guard v["kind"] == .string(SavedPlan.kind) else { throw PlanFileError(message: "this is not a pulpform plan file") }
        guard v["format_version"] == .string(PlanRenderer.formatVersion) else {
            throw PlanFileError(message: "plan file format \(v["format_version"]?.stringValue ?? "?") is not supported; plan again")
        }
        var guards: [String: String] = [:]
        for (k, g) in v["guards"]?.objectValue ?? [:] {
            guard let s = g.stringValue else { throw PlanFileError(message: "bad guard for \(k)") }
            guards[k] = s
        }
        var steps: [PlanStep] = []
        for (i, s) in (v["steps"]?.arrayValue ?? []).enumerated() {
            do {
                steps.append(try decodeStep(s))
            } catch {
                throw PlanFileError(message: "step \(i + 1): \(error.message)")
            }
        }
        var plan = Plan(steps: steps, unmanaged: (v["unmanaged"]?.arrayValue ?? []).compactMap(\.stringValue),
                        notPruned: (v["not_pruned"]?.arrayValue ?? []).compactMap(\.stringValue))
        plan.acceptsDrift = v["accepts_drift"]?.boolValue ?? false
        for a in v["accepted_drift"]?.arrayValue ?? [] {
            guard let accepted = AcceptedDrift(json: a) else { throw PlanFileError(message: "bad accepted drift \(a.serialized().prefix(80))") }
            plan.accepting.append(accepted)
        }
        plan.subset = v["subset"].flatMap(Subset.init(json:))
        return SavedPlan(plan: plan, guards: guards, target: v["target"]?.stringValue ?? "",
                         createdAt: v["created_at"]?.stringValue ?? "")
    }

    // MARK: Values

    static func encode(_ c: ConfigValue) -> JSONValue {
        switch c {
        case .plain(let v): return ["plain": v]
        case .secret(.env(let n)): return ["secret": ["env": .string(n)]]
        case .secret(.file(let p)): return ["secret": ["file": .string(p)]]
        }
    }

    static func decodeConfigValue(_ v: JSONValue) throws(PlanFileError) -> ConfigValue {
        if let plain = v["plain"] { return .plain(plain) }
        if let env = v["secret"]?["env"]?.stringValue { return .secret(.env(env)) }
        if let file = v["secret"]?["file"]?.stringValue { return .secret(.file(file)) }
        throw PlanFileError(message: "bad config value \(v.serialized().prefix(80))")
    }

    static func encode(_ config: [String: ConfigValue]) -> JSONValue { .object(config.mapValues(encode)) }

    static func decodeConfig(_ v: JSONValue?) throws(PlanFileError) -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for (k, x) in v?.objectValue ?? [:] { out[k] = try decodeConfigValue(x) }
        return out
    }

    static func encode(_ delta: ConfigDelta) -> JSONValue {
        .object(delta.mapValues { $0.map(encode) ?? .null })
    }

    static func decodeDelta(_ v: JSONValue?) throws(PlanFileError) -> ConfigDelta {
        var out: ConfigDelta = [:]
        for (k, x) in v?.objectValue ?? [:] { out.updateValue(x.isNull ? nil : try decodeConfigValue(x), forKey: k) }
        return out
    }

    static func encode(_ owner: ScheduleOwner) -> JSONValue {
        switch owner {
        case .importer(let r, let t): return ["importer": [.string(r), .string(t)]]
        case .distributor(let r, let d): return ["distributor": [.string(r), .string(d)]]
        case .consumer(let c, let a): return ["consumer": [.string(c), .string(a.rawValue)]]
        }
    }

    static func decodeOwner(_ v: JSONValue?) throws(PlanFileError) -> ScheduleOwner {
        func pair(_ k: String) -> (String, String)? {
            guard let a = v?[k]?.arrayValue, a.count == 2, let x = a[0].stringValue, let y = a[1].stringValue else { return nil }
            return (x, y)
        }
        if let (r, t) = pair("importer") { return .importer(repoId: r, importerId: t) }
        if let (r, d) = pair("distributor") { return .distributor(repoId: r, distributorId: d) }
        if let (c, a) = pair("consumer"), let kind = ScheduleKind(rawValue: a), kind.isConsumerContent {
            return .consumer(consumerId: c, action: kind)
        }
        throw PlanFileError(message: "bad schedule owner")
    }

    static func encode(_ d: DistributorSpec) -> JSONValue {
        ["id": .string(d.id), "type": .string(d.type), "auto_publish": .bool(d.autoPublish), "config": encode(d.config)]
    }

    static func decodeDistributor(_ v: JSONValue?) throws(PlanFileError) -> DistributorSpec {
        guard let v, let id = v["id"]?.stringValue, let type = v["type"]?.stringValue else {
            throw PlanFileError(message: "bad distributor")
        }
        return DistributorSpec(id: id, type: type, autoPublish: v["auto_publish"]?.boolValue ?? false, config: try decodeConfig(v["config"]))
    }

    // MARK: Steps

    static func encode(_ op: StepOperation) -> JSONValue {
        switch op {
        case .createRepository(let s):
            return ["op": "create_repository", "id": .string(s.id), "display_name": .from(s.displayName),
                    "description": .from(s.description), "notes": .object(s.notes), "importer_type": .from(s.importerType),
                    "importer_config": encode(s.importerConfig), "distributors": .array(s.distributors.map(encode))]
        case .updateRepository(let id, let delta): return ["op": "update_repository", "id": .string(id), "delta": .object(delta)]
        case .deleteRepository(let id): return ["op": "delete_repository", "id": .string(id)]
        case .setImporter(let r, let t, let c): return ["op": "set_importer", "repo_id": .string(r), "type": .string(t), "config": encode(c)]
        case .updateImporter(let r, let t, let d): return ["op": "update_importer", "repo_id": .string(r), "type": .string(t), "config": encode(d)]
        case .removeImporter(let r, let t): return ["op": "remove_importer", "repo_id": .string(r), "type": .string(t)]
        case .addDistributor(let r, let s): return ["op": "add_distributor", "repo_id": .string(r), "distributor": encode(s)]
        case .updateDistributor(let r, let d, let c, let a):
            return ["op": "update_distributor", "repo_id": .string(r), "id": .string(d), "config": encode(c), "auto_publish": .from(a)]
        case .removeDistributor(let r, let d): return ["op": "remove_distributor", "repo_id": .string(r), "id": .string(d)]
        case .createSchedule(let o, let s): return ["op": "create_schedule", "owner": encode(o), "body": .object(s.json(kind: o.kind))]
        case .updateSchedule(let o, let id, let u): return ["op": "update_schedule", "owner": encode(o), "id": .string(id), "body": .object(u.json())]
        case .deleteSchedule(let o, let id): return ["op": "delete_schedule", "owner": encode(o), "id": .string(id)]
        case .registerConsumer(let c): return ["op": "register_consumer", "body": .object(c.json())]
        case .updateConsumer(let id, let delta): return ["op": "update_consumer", "id": .string(id), "delta": .object(delta)]
        case .unregisterConsumer(let id): return ["op": "unregister_consumer", "id": .string(id)]
        case .syncRepository(let id): return ["op": "sync_repository", "repo_id": .string(id)]
        case .createUser(let u):
            return ["op": "create_user", "login": .string(u.login), "name": .from(u.name), "password": encode(u.password)]
        case .updateUser(let login, let name, let password):
            return ["op": "update_user", "login": .string(login), "name": .from(name), "password": encode(password)]
        case .deleteUser(let login): return ["op": "delete_user", "login": .string(login)]
        case .createRole(let r):
            return ["op": "create_role", "id": .string(r.id), "display_name": .from(r.displayName), "description": .from(r.description),
                    "permissions": encode(r.permissions), "members": .array(r.members.map(JSONValue.string))]
        case .updateRole(let id, let c):
            var o: JSONObject = ["op": "update_role", "id": .string(id), "grant": encode(c.grant), "revoke": encode(c.revoke),
                                 "add_members": .array(c.addMembers.map(JSONValue.string)),
                                 "remove_members": .array(c.removeMembers.map(JSONValue.string))]
            if let d = c.displayName { o["display_name"] = .string(d) }
            if let d = c.description { o["description"] = ["value": .from(d)] }
            return .object(o)
        case .deleteRole(let id): return ["op": "delete_role", "id": .string(id)]
        case .recordAccess(let r):
            return ["op": "record_access", "kind": .string(r.kind.rawValue), "name": .string(r.name), "applied": .from(r.applied),
                    "password": encode(r.password)]
        }
    }

    /// A secret's reference (never its value), or null.
    static func encode(_ source: SecretSource?) -> JSONValue {
        source.map { encode(.secret($0))["secret"] ?? .null } ?? .null
    }

    static func decodeSecretSource(_ v: JSONValue?) throws(PlanFileError) -> SecretSource? {
        guard let v, !v.isNull else { return nil }
        guard case .secret(let s) = try decodeConfigValue(["secret": v]) else { throw PlanFileError(message: "bad secret reference") }
        return s
    }

    static func encode(_ permissions: [String: [String]]) -> JSONValue {
        .object(permissions.mapValues { .array($0.map(JSONValue.string)) })
    }

    static func decodePermissions(_ v: JSONValue?) -> [String: [String]] {
        (v?.objectValue ?? [:]).mapValues { ($0.arrayValue ?? []).compactMap(\.stringValue) }
    }

    static func decodeOperation(_ v: JSONValue?) throws(PlanFileError) -> StepOperation {
        guard let v, let op = v["op"]?.stringValue else { throw PlanFileError(message: "missing operation") }
        func str(_ k: String) throws(PlanFileError) -> String {
            guard let s = v[k]?.stringValue else { throw PlanFileError(message: "\(op): missing \(k)") }
            return s
        }
        do {
            switch op {
            case "create_repository":
                var dists: [DistributorSpec] = []
                for d in v["distributors"]?.arrayValue ?? [] { dists.append(try decodeDistributor(d)) }
                return .createRepository(RepositorySpec(
                    id: try str("id"), displayName: v["display_name"]?.stringValue, description: v["description"]?.stringValue,
                    notes: v["notes"]?.objectValue ?? [:], importerType: v["importer_type"]?.stringValue,
                    importerConfig: try decodeConfig(v["importer_config"]), distributors: dists))
            case "update_repository": return .updateRepository(id: try str("id"), delta: v["delta"]?.objectValue ?? [:])
            case "delete_repository": return .deleteRepository(id: try str("id"))
            case "set_importer": return .setImporter(repoId: try str("repo_id"), type: try str("type"), config: try decodeConfig(v["config"]))
            case "update_importer": return .updateImporter(repoId: try str("repo_id"), type: try str("type"), config: try decodeDelta(v["config"]))
            case "remove_importer": return .removeImporter(repoId: try str("repo_id"), type: try str("type"))
            case "add_distributor": return .addDistributor(repoId: try str("repo_id"), spec: try decodeDistributor(v["distributor"]))
            case "update_distributor":
                return .updateDistributor(repoId: try str("repo_id"), id: try str("id"), config: try decodeDelta(v["config"]),
                                          autoPublish: v["auto_publish"]?.boolValue)
            case "remove_distributor": return .removeDistributor(repoId: try str("repo_id"), id: try str("id"))
            case "create_schedule":
                let owner = try decodeOwner(v["owner"])
                return .createSchedule(owner: owner, try ScheduleCreate.parse(v["body"]?.objectValue ?? [:], kind: owner.kind))
            case "update_schedule":
                let owner = try decodeOwner(v["owner"])
                return .updateSchedule(owner: owner, id: try str("id"), try ScheduleUpdate.parse(v["body"]?.objectValue ?? [:], kind: owner.kind))
            case "delete_schedule": return .deleteSchedule(owner: try decodeOwner(v["owner"]), id: try str("id"))
            case "register_consumer": return .registerConsumer(try ConsumerRegister.parse(v["body"]?.objectValue ?? [:]))
            case "update_consumer": return .updateConsumer(id: try str("id"), delta: v["delta"]?.objectValue ?? [:])
            case "unregister_consumer": return .unregisterConsumer(id: try str("id"))
            case "sync_repository": return .syncRepository(repoId: try str("repo_id"))
            case "create_user":
                return .createUser(UserSpec(login: try str("login"), name: v["name"]?.stringValue, password: try decodeSecretSource(v["password"])))
            case "update_user":
                return .updateUser(login: try str("login"), name: v["name"]?.stringValue, password: try decodeSecretSource(v["password"]))
            case "delete_user": return .deleteUser(login: try str("login"))
            case "create_role":
                return .createRole(RoleSpec(id: try str("id"), displayName: v["display_name"]?.stringValue,
                                            description: v["description"]?.stringValue, permissions: decodePermissions(v["permissions"]),
                                            members: (v["members"]?.arrayValue ?? []).compactMap(\.stringValue)))
            case "update_role":
                var c = RoleChange(displayName: v["display_name"]?.stringValue, grant: decodePermissions(v["grant"]),
                                   revoke: decodePermissions(v["revoke"]),
                                   addMembers: (v["add_members"]?.arrayValue ?? []).compactMap(\.stringValue),
                                   removeMembers: (v["remove_members"]?.arrayValue ?? []).compactMap(\.stringValue))
                if let d = v["description"]?.objectValue { c.description = .some(d["value"]?.stringValue) }
                return .updateRole(id: try str("id"), c)
            case "delete_role": return .deleteRole(id: try str("id"))
            case "record_access":
                guard let kind = AccessRecord.Kind(rawValue: try str("kind")) else { throw PlanFileError(message: "record_access: bad kind") }
                return .recordAccess(AccessRecordSpec(kind: kind, name: try str("name"), applied: v["applied"]?.stringValue,
                                                      password: try decodeSecretSource(v["password"])))
            default: throw PlanFileError(message: "unknown operation \(op)")
            }
        } catch let e as PulpError {
            throw PlanFileError(message: "\(op): \(e.message)")
        } catch let e as PlanFileError {
            throw e
        } catch {
            throw PlanFileError(message: "\(op): \(error)")
        }
    }

    static func decodeChange(_ v: JSONValue) -> FieldChange? {
        guard let path = v["path"]?.stringValue, let kind = v["kind"]?.stringValue.flatMap(FieldChange.Kind.init(rawValue:)) else {
            return nil
        }
        // `nil` would be JSON's null here (JSONValue is ExpressibleByNilLiteral): absent is `.none`.
        let before: JSONValue? = v["before"].flatMap { $0.isNull ? .none : $0 }
        let after: JSONValue? = v["after"].flatMap { $0.isNull ? .none : $0 }
        return FieldChange(path: path, before: before, after: after, sensitive: v["sensitive"]?.boolValue ?? false,
                           hadValue: kind != .add, willHaveValue: kind != .remove)
    }

    static func encode(_ s: PlanStep) -> JSONValue {
        var secrets: [JSONValue] = []
        for (k, src) in s.secrets.sorted(by: { $0.key < $1.key }) {
            secrets.append(["repo_id": .string(k.repoId), "plugin": .string(k.plugin), "key": .string(k.key),
                            "source": encode(src)])
        }
        return [
            "address": .string(s.address), "unit": .string(s.unit), "action": s.action.map { .string($0.rawValue) } ?? .null,
            "operation": encode(s.operation), "changes": .array(s.changes.map(PlanRenderer.json)), "reason": .from(s.reason),
            "secrets": .array(secrets),
        ]
    }

    static func decodeStep(_ v: JSONValue) throws(PlanFileError) -> PlanStep {
        guard let address = v["address"]?.stringValue, let unit = v["unit"]?.stringValue else {
            throw PlanFileError(message: "missing address or unit")
        }
        var action: PlanAction?
        if let a = v["action"], !a.isNull {
            guard let parsed = a.stringValue.flatMap(PlanAction.init(rawValue:)) else { throw PlanFileError(message: "bad action") }
            action = parsed
        }
        var secrets: [SecretKey: SecretSource?] = [:]
        for s in v["secrets"]?.arrayValue ?? [] {
            guard let r = s["repo_id"]?.stringValue, let p = s["plugin"]?.stringValue, let k = s["key"]?.stringValue else {
                throw PlanFileError(message: "bad secret reference")
            }
            secrets.updateValue(try decodeSecretSource(s["source"]), forKey: SecretKey(repoId: r, plugin: p, key: k))
        }
        return PlanStep(address: address, unit: unit, action: action, operation: try decodeOperation(v["operation"]),
                        changes: (v["changes"]?.arrayValue ?? []).compactMap(decodeChange), reason: v["reason"]?.stringValue,
                        secrets: secrets)
    }
}
