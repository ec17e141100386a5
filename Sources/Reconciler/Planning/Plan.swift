public import PulpContract
public import PulpModel

/// Terraform's vocabulary.
public enum PlanAction: String, Sendable, Hashable, CaseIterable {
    case create, update, replace, delete
    /// Not a change of state: a sync the manifests ask for after a create (`sync_after_create`).
    case sync

    /// Terraform's `actions` array.
    public var actions: [String] {
        switch self {
        case .create: return ["create"]
        case .update: return ["update"]
        case .replace: return ["delete", "create"]
        case .delete: return ["delete"]
        case .sync: return ["sync"]
        }
    }

    /// `+ ~ -/+ -`
    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .sync: return ">"
        }
    }
}

/// A config change to send: a value, or nil to remove the key.
public typealias ConfigDelta = [String: ConfigValue?]

/// What a step will call. Secret values stay references until the step runs.
public enum StepOperation: Sendable, Hashable {
    case createRepository(RepositorySpec)
    case updateRepository(id: String, delta: JSONObject)
    case deleteRepository(id: String)
    case setImporter(repoId: String, type: String, config: [String: ConfigValue])
    case updateImporter(repoId: String, type: String, config: ConfigDelta)
    case removeImporter(repoId: String, type: String)
    case addDistributor(repoId: String, spec: DistributorSpec)
    case updateDistributor(repoId: String, id: String, config: ConfigDelta, autoPublish: Bool?)
    case removeDistributor(repoId: String, id: String)
    case createSchedule(owner: ScheduleOwner, ScheduleCreate)
    case updateSchedule(owner: ScheduleOwner, id: String, ScheduleUpdate)
    case deleteSchedule(owner: ScheduleOwner, id: String)
    case registerConsumer(ConsumerRegister)
    case updateConsumer(id: String, delta: JSONObject)
    case unregisterConsumer(id: String)
    /// `POST …/actions/sync/`, after a create that asked for it.
    case syncRepository(repoId: String)
    case createUser(UserSpec)
    /// Nil leaves a field alone: a password is only ever set, never read or removed.
    case updateUser(login: String, name: String?, password: SecretSource?)
    case deleteUser(login: String)
    case createRole(RoleSpec)
    case updateRole(id: String, RoleChange)
    case deleteRole(id: String)
    /// Bookkeeping: what was applied to a user or role (`applied` nil forgets it), kept in the reconciler's state
    /// because users and roles have no notes.
    case recordAccess(AccessRecordSpec)

    /// The Pulp API call this step runs, as `METHOD path`.
    public var pulpOperation: String {
        let root = PulpPaths.apiRoot
        switch self {
        case .createRepository: return "POST \(root)repositories/"
        case .updateRepository(let id, _): return "PUT \(PulpPaths.repository(id))"
        case .deleteRepository(let id): return "DELETE \(PulpPaths.repository(id))"
        case .setImporter(let r, _, _): return "POST \(PulpPaths.repository(r))importers/"
        case .updateImporter(let r, let t, _): return "PUT \(PulpPaths.importer(r, t))"
        case .removeImporter(let r, let t): return "DELETE \(PulpPaths.importer(r, t))"
        case .addDistributor(let r, _): return "POST \(PulpPaths.repository(r))distributors/"
        case .updateDistributor(let r, let d, _, _): return "PUT \(PulpPaths.distributor(r, d))"
        case .removeDistributor(let r, let d): return "DELETE \(PulpPaths.distributor(r, d))"
        case .createSchedule(let owner, _): return "POST \(owner.collectionHref)"
        case .updateSchedule(let owner, let id, _): return "PUT \(owner.collectionHref)\(id)/"
        case .deleteSchedule(let owner, let id): return "DELETE \(owner.collectionHref)\(id)/"
        case .registerConsumer: return "POST \(root)consumers/"
        case .updateConsumer(let id, _): return "PUT \(PulpPaths.consumer(id))"
        case .unregisterConsumer(let id): return "DELETE \(PulpPaths.consumer(id))"
        case .syncRepository(let id): return "POST \(PulpPaths.repository(id))actions/sync/"
        case .createUser: return "POST \(root)users/"
        case .updateUser(let login, _, _): return "PUT \(PulpPaths.user(login))"
        case .deleteUser(let login): return "DELETE \(PulpPaths.user(login))"
        case .createRole: return "POST \(root)roles/"
        case .updateRole(let id, let change):
            if change.displayName != nil || change.description != nil { return "PUT \(PulpPaths.role(id))" }
            if !change.grant.isEmpty { return "POST \(root)permissions/actions/grant_to_role/" }
            if !change.revoke.isEmpty { return "POST \(root)permissions/actions/revoke_from_role/" }
            if !change.addMembers.isEmpty { return "POST \(PulpPaths.role(id))users/" }
            return "DELETE \(PulpPaths.role(id))users/"
        case .deleteRole(let id): return "DELETE \(PulpPaths.role(id))"
        case .recordAccess(let r): return "RECORD \(r.kind.rawValue) \(r.name)"
        }
    }
}

/// A user to create. The password stays a reference until the step runs.
public struct UserSpec: Sendable, Hashable {
    public var login: String
    public var name: String?
    public var password: SecretSource?

    public init(login: String, name: String?, password: SecretSource?) {
        self.login = login
        self.name = name
        self.password = password
    }
}

/// A role to create, with its grants and members (one call each after the role itself).
public struct RoleSpec: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?
    public var permissions: [String: [String]]
    public var members: [String]

    public init(id: String, displayName: String?, description: String?, permissions: [String: [String]], members: [String]) {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.permissions = permissions
        self.members = members
    }
}

/// What changes on a role: its fields, operations to grant and revoke by resource, and members.
public struct RoleChange: Sendable, Hashable {
    public var displayName: String?
    /// `.some(nil)` clears it.
    public var description: String??
    public var grant: [String: [String]] = [:]
    public var revoke: [String: [String]] = [:]
    public var addMembers: [String] = []
    public var removeMembers: [String] = []

    public init(displayName: String? = nil, description: String?? = nil, grant: [String: [String]] = [:],
                revoke: [String: [String]] = [:], addMembers: [String] = [], removeMembers: [String] = [])
    {
        self.displayName = displayName
        self.description = description
        self.grant = grant
        self.revoke = revoke
        self.addMembers = addMembers
        self.removeMembers = removeMembers
    }

    public var isEmpty: Bool {
        displayName == nil && description == nil && grant.isEmpty && revoke.isEmpty && addMembers.isEmpty && removeMembers.isEmpty
    }
}

/// The record a bookkeeping step writes: the applied fingerprint (nil forgets the user or role), and the password
/// whose fingerprint is kept (read when the step runs).
public struct AccessRecordSpec: Sendable, Hashable {
    public var kind: AccessRecord.Kind
    public var name: String
    public var applied: String?
    public var password: SecretSource?

    public init(kind: AccessRecord.Kind, name: String, applied: String?, password: SecretSource? = nil) {
        self.kind = kind
        self.name = name
        self.applied = applied
        self.password = password
    }
}

/// A repository to create, with its importer and distributors inline (Pulp creates them all or none).
public struct RepositorySpec: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?
    public var notes: JSONObject
    public var importerType: String?
    public var importerConfig: [String: ConfigValue]
    public var distributors: [DistributorSpec]
}

public struct DistributorSpec: Sendable, Hashable {
    public var id: String
    public var type: String
    public var autoPublish: Bool
    public var config: [String: ConfigValue]
}

/// One field's change, for display. Sensitive values are never carried: only that they change.
public struct FieldChange: Sendable, Hashable {
    public enum Kind: String, Sendable { case add, change, remove }

    public var path: String
    public var kind: Kind
    public var before: JSONValue?
    public var after: JSONValue?
    public var sensitive: Bool

    /// `hadValue`/`willHaveValue` say whether the field exists before and after, for sensitive fields
    /// whose values are not kept.
    public init(path: String, before: JSONValue?, after: JSONValue?, sensitive: Bool = false,
                hadValue: Bool? = nil, willHaveValue: Bool? = nil)
    {
        self.path = path
        let had = hadValue ?? (before != nil)
        let will = willHaveValue ?? (after != nil)
        kind = !had ? .add : !will ? .remove : .change
        self.before = sensitive ? nil : before
        self.after = sensitive ? nil : after
        self.sensitive = sensitive
    }
}

/// One step of a plan.
public struct PlanStep: Sendable, Hashable {
    /// `repository.zoo`, `repository.zoo.importer`, `repository.zoo.distributor.yum`, ...
    public var address: String
    /// Steps with the same unit (a repository or consumer) run in order; units run in parallel.
    public var unit: String
    /// Nil for bookkeeping steps (recording what was applied), which are not shown as changes.
    public var action: PlanAction?
    public var operation: StepOperation
    public var changes: [FieldChange]
    /// Why a replace is needed.
    public var reason: String?
    /// Secrets this step sets (recorded as fingerprints when it succeeds), or forgets (nil).
    public var secrets: [SecretKey: SecretSource?]

    public init(address: String, unit: String, action: PlanAction?, operation: StepOperation, changes: [FieldChange] = [],
                reason: String? = nil, secrets: [SecretKey: SecretSource?] = [:])
    {
        self.address = address
        self.unit = unit
        self.action = action
        self.operation = operation
        self.changes = changes
        self.reason = reason
        self.secrets = secrets
    }
}

/// The ordered steps that bring the target to the manifests.
public struct Plan: Sendable {
    public var steps: [PlanStep]
    /// Repositories and consumers on the target that pulpform does not manage: reported, never touched.
    public var unmanaged: [String]
    /// Managed objects gone from the manifests, kept because pruning is off.
    public var notPruned: [String]
    /// `--only`/`--exclude`: the plan covers only these objects, and says so (JSON `"complete": false`).
    public var subset: Subset?

    /// Whether the plan covers every object (no `--only` or `--exclude`).
    public var complete: Bool { subset == nil }
    /// `--accept-drift`: the plan only records the target's state of `accepting` as applied.
    public var acceptsDrift = false
    /// The objects whose drift the plan accepts, with how the target differs from the manifests.
    public var accepting: [AcceptedDrift] = []
    /// Drifted objects `--accept-drift` cannot accept (users and roles).
    public var notAccepted: [String] = []
    /// Objects with manifest changes not applied yet, which `--accept-drift` leaves for a normal apply.
    public var pendingLeft: [String] = []

    public init(steps: [PlanStep] = [], unmanaged: [String] = [], notPruned: [String] = []) {
        self.steps = steps
        self.unmanaged = unmanaged
        self.notPruned = notPruned
    }

    /// The steps that change something (bookkeeping left out).
    public var changes: [PlanStep] { steps.filter { $0.action != nil } }

    public var hasChanges: Bool { steps.contains { $0.action != nil } }

    public func count(_ action: PlanAction) -> Int { steps.filter { $0.action == action }.count }

    /// `Plan: N to create, N to update, N to replace, N to delete.` (and `, N to sync` when there are syncs)
    public var summaryLine: String {
        let syncs = count(.sync)
        return "Plan: \(count(.create)) to create, \(count(.update)) to update, \(count(.replace)) to replace, \(count(.delete)) to delete"
            + (syncs > 0 ? ", \(syncs) to sync." : ".")
    }

    /// The units in the order they first appear.
    public var units: [String] {
        var seen = Set<String>()
        return steps.compactMap { seen.insert($0.unit).inserted ? $0.unit : nil }
    }
}
