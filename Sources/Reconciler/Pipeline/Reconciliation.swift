import Foundation
public import PulpContract
public import PulpModel

/// Resolves secrets and builds the plan for a target: the reconcile pipeline.
public struct Reconciliation: Sendable {
    public let manifest: Manifest
    public let plan: Plan
    public let planner: Planner
    public let actual: ActualState
    public let drift: DriftReport
    /// Steps that would destroy protected objects (`protect: true`) and that `--allow-destroy` did not lift.
    public var violations: [GuardViolation] = []

    /// `--detailed-exitcode` and `drift`: 0 in sync, 2 pending, 3 changed outside pulpform, 5 both.
    public var detailedExitCode: Int32 {
        let code = drift.exitCode
        return code == 0 && plan.hasChanges ? 2 : code
    }

    /// The same reconciliation with another plan (`acceptingDrift()`).
    public func replacingPlan(_ plan: Plan) -> Reconciliation {
        var r = Reconciliation(manifest: manifest, plan: plan, planner: planner, actual: actual, drift: drift)
        r.violations = plan.acceptsDrift ? [] : violations
        return r
    }

    /// Throws when the plan would destroy protected objects: what `plan` and `apply` refuse (`drift` reports).
    public func guarded() throws(DestroyRefused) -> Reconciliation {
        if !violations.isEmpty { throw DestroyRefused(violations: violations) }
        return self
    }

    /// `drift`: whether to classify the differences too (`apply` only needs the plan).
    /// Read manifests → read target → plan (→ drift): the pipeline `plan`, `apply` and `drift` run, and the tests.
    public static func make(manifest: Manifest, pulp: any PulpService, state: any ReconcilerState, prune: Bool,
                            catalog: PluginCatalog = .builtin, drift withDrift: Bool = true,
                            secrets resolver: SecretResolver = SecretResolver(), allowDestroy: [String] = [],
                            subset: Subset? = nil) async throws -> Reconciliation
    {
        // `--only`/`--exclude`: what is outside the subset is not read, planned, pruned or checked. Users and roles
        // are checked against the whole manifests (a role in the subset may name a user outside it).
        let whole = manifest
        let manifest = subset.map { $0.filter(whole) } ?? whole
        var values: [SecretSource: String] = [:]
        for (source, _) in manifest.secretReferences {
            if case .success(let v) = resolver.resolve(source) { values[source] = v }
        }
        let canon = try await Trace.phase("state") {
            Canonicalizer(catalog: catalog, fingerprinter: Fingerprinter(salt: try await state.salt()),
                          recorded: try await state.secretFingerprints(), secretValues: values)
        }
        let planner = Planner(catalog: catalog, canon: canon, prune: prune)
        // Fingerprints first: on the embedded store, only the repositories whose content hash differs are read.
        let hashes = Trace.phase("fingerprint manifests") { planner.desiredHashes(manifest) }
        var actual = try await Trace.phase("read target") { try await ActualState.read(from: pulp, expecting: hashes, subset: subset) }
        // Users and roles only when the manifests name some, or pulpform manages some: reading them takes a right
        // that a user who manages only repositories need not have.
        let records = try await state.accessRecords()
        let inSubset = subset.map { s in records.filter { s.contains(unit: $0.unit) } } ?? records
        if manifest.declaresAccess || !inSubset.isEmpty {
            try await Trace.phase("read users and roles") { try await actual.readAccess(from: pulp, records: records) }
            let problems = planner.accessProblems(whole, actual)
            if !problems.isEmpty { throw ManifestErrors(diagnostics: problems.sorted()) }
        }
        if let subset { actual = subset.filter(actual) }
        actual.hashes = Trace.phase("fingerprint target") { planner.actualHashes(actual, declared: hashes, ignores: manifest.ignoredFields) }
        var plan = Trace.phase("plan") { planner.plan(manifest, actual, hashes: hashes) }
        plan.subset = subset
        let drift = withDrift ? Trace.phase("drift") { planner.drift(manifest, actual, hashes: hashes) } : DriftReport(items: [], checked: [])
        var r = Reconciliation(manifest: manifest, plan: plan, planner: planner, actual: actual, drift: drift)
        r.violations = planner.destroyGuard(plan, manifest, actual, allow: allowDestroy)
        return r
    }

    /// A planner for checking a saved plan's guards: the same canonical form, without manifests.
    public static func guardPlanner(state: any ReconcilerState, catalog: PluginCatalog = .builtin) async throws -> Planner {
        let canon = Canonicalizer(catalog: catalog, fingerprinter: Fingerprinter(salt: try await state.salt()),
                                  recorded: try await state.secretFingerprints(), secretValues: [:])
        return Planner(catalog: catalog, canon: canon, prune: false)
    }
}
