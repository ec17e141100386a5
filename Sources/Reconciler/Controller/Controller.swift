public import PulpModel
public import ServiceLifecycle

/// How the controller runs.
public struct ControllerOptions: Sendable {
    /// The wait between runs that succeed.
    public var interval: Duration = .seconds(60)
    /// The longest wait after failures (the wait doubles per failure in a row).
    public var maxBackoff: Duration = .seconds(600)
    /// Apply the plan (manifest changes, and changes made outside pulpform); otherwise only report it.
    public var selfHeal = false
    /// Delete managed objects gone from the manifests (with `selfHeal`), as `apply --prune`.
    public var prune = false
    /// Lifts the deletion guard for these ids (globs), as `apply --allow-destroy`.
    public var allowDestroy: [String] = []
    public var parallelism = 4
    public var matrixLimit = ManifestLimits.defaultMatrixRepositories
    public var catalog: PluginCatalog = .builtin
    /// Stop after this many runs (the benchmark, scripts); nil runs until stopped.
    public var maxRuns: Int?

    public init() {}
}

/// One run of the controller, as reported.
public struct ControllerRun: Sendable {
    public enum Outcome: Sendable {
        /// Nothing to do.
        case inSync
        /// Differences reported, not applied (no `--self-heal`).
        case drift(DriftReport, Plan)
        /// The plan was applied (`--self-heal`); the drift it started from.
        case applied(ApplyReport, DriftReport, seconds: Double)
        /// Another apply holds the target's lock: nothing done, not a failure.
        case skipped(String)
        /// The manifests, the source, the target or the deletion guard said no.
        case failed(any Error)
    }

    public var number: Int
    public var source: String
    public var revision: String?
    public var outcome: Outcome
    /// The objects' state after the run; nil when it could not be told.
    public var counts: ObjectCounts?
    /// A killed apply whose leftover tasks this run canceled.
    public var recovered: String?
    /// When the next run starts; nil after the last.
    public var next: Duration?
    /// Failed runs in a row, this one included.
    public var failures = 0

    public var result: String {
        switch outcome {
        case .inSync: "in_sync"
        case .drift: "drift"
        case .applied(let report, _, _): report.succeeded ? "applied" : "failed"
        case .skipped: "skipped"
        case .failed: "failed"
        }
    }

    public var isFailure: Bool { result == "failed" }
}

/// `pulpform watch` and `serve --manifests`: reconciles the target with the manifests on an interval. Each run
/// reads the manifests (fetching git first), plans against the target, and reports the differences or, with
/// `selfHeal`, applies them under the same lock, leases and deletion guard as `apply`. Failed runs back off. A
/// graceful shutdown (SIGTERM) ends the loop between runs: a run under way is finished first.
public struct Controller: Service {
    public let source: ManifestSource
    public let target: ApplyTarget
    public let options: ControllerOptions
    public let metrics: ControllerMetrics?
    /// Called after every run (and with the apply's progress, for renderers that show it).
    public let report: @Sendable (ControllerRun) -> Void
    public let progress: @Sendable (ApplyEvent) -> Void

    public init(source: ManifestSource, target: ApplyTarget, options: ControllerOptions, metrics: ControllerMetrics?,
                progress: @escaping @Sendable (ApplyEvent) -> Void = { _ in },
                report: @escaping @Sendable (ControllerRun) -> Void)
    {
        self.source = source
        self.target = target
        self.options = options
        self.metrics = metrics
        self.progress = progress
        self.report = report
    }

    /// The manifests last loaded, and what they were loaded from.
    struct Loaded {
        var key: String
        var manifest: Manifest
    }

    public func run() async throws {
        var backoff = Backoff(interval: options.interval, maximum: options.maxBackoff)
        var loaded: Loaded?
        var number = 0
        if let metrics, let last = try? await target.state.lastApply() { metrics.restore(last) }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            number += 1
            var run = await once(number, &loaded)
            if run.isFailure { backoff.failed() } else { backoff.succeeded() }
            run.failures = backoff.failures
            let last = options.maxRuns.map { number >= $0 } ?? false
            run.next = last ? nil : backoff.delay
            metrics?.record(run, failuresInARow: backoff.failures)
            report(run)
            if last { break }
            let delay = backoff.delay
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
        }
    }

    /// One run: fetch, load (when the manifests changed), plan, and report or apply.
    func once(_ number: Int, _ loaded: inout Loaded?) async -> ControllerRun {
        var run = ControllerRun(number: number, source: source.description, revision: nil, outcome: .inSync)
        let snapshot: ManifestSource.Snapshot
        do {
            snapshot = try await source.snapshot()
        } catch {
            run.outcome = .failed(error)
            return run
        }
        run.revision = snapshot.revision
        let manifest: Manifest
        if let loaded, loaded.key == snapshot.key {
            manifest = loaded.manifest
        } else {
            var loader = ManifestLoader(catalog: options.catalog)
            loader.fingerprinting = true
            loader.limits.matrixRepositories = options.matrixLimit
            do {
                manifest = try loader.load(paths: snapshot.paths)
            } catch {
                loaded = nil
                run.outcome = .failed(error)
                return run
            }
            loaded = Loaded(key: snapshot.key, manifest: manifest)
        }
        // Only an apply takes the lock: a report reads, as `drift` does.
        var lock: ApplyLock?
        if options.selfHeal {
            do {
                lock = try target.locker.lockApply()
            } catch let held as ApplyLock.Held {
                run.outcome = .skipped("\(held)")
                return run
            } catch {
                run.outcome = .failed(error)
                return run
            }
        }
        defer { withExtendedLifetime(lock) {} }
        do {
            if options.selfHeal { run.recovered = try await target.recoverAbandoned() }
            let r = try await Reconciliation.make(manifest: manifest, pulp: target.pulp, state: target.state, prune: options.prune,
                                                  catalog: options.catalog, allowDestroy: options.allowDestroy)
            run.counts = ObjectCounts(r.drift)
            guard !r.plan.steps.isEmpty else { return run }
            guard options.selfHeal else {
                if r.plan.hasChanges || r.drift.exitCode != 0 { run.outcome = .drift(r.drift, r.plan) }
                return run
            }
            _ = try r.guarded()
            let (report, record) = try await target.apply(r.plan, parallelism: options.parallelism, source: source.description,
                                                          revision: snapshot.revision, progress: progress)
            run.counts = ObjectCounts(r.drift, settled: Set(r.drift.items.map(\.address)).subtracting(report.unsettled))
            run.outcome = .applied(report, r.drift, seconds: record.seconds)
        } catch {
            run.outcome = .failed(error)
        }
        return run
    }
}
