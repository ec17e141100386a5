import ArgumentParser
import Foundation
import Logging
import PulpServer
import Reconciler
import ServiceLifecycle
import UnixSignals

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Reconcile continuously: plan on an interval, report drift, and with --self-heal apply it.",
        discussion: """
            The source is manifest files and directories, read again when they change, or a git repository (a \
            path or file:// URL, a bare repository, or any work tree with --branch): fetched at each run into \
            a working copy of the controller's own, with the branch's head checked out; each apply records the \
            commit it came from. The target is the embedded store or --target, as for apply.

            Each run plans against the target. Differences are reported on stdout when they change; with \
            --self-heal the plan is applied, under the same lock (embedded store) or repository leases (live \
            server) as apply, so two controllers on one target take turns. The deletion guard holds: a plan \
            that would delete a protected object is refused. A failed run backs off: the wait doubles per \
            failure in a row, up to --max-backoff. SIGTERM or SIGINT stops between runs (a run under way \
            finishes first), exit 0.

            --metrics-address serves Prometheus metrics on /metrics: objects in sync, drifted and pending, \
            runs by result, the last successful apply's time and revision, apply durations and failed steps.

            Examples:
              pulpform watch --interval 5m manifests/
              pulpform watch --self-heal --prune --metrics-address 127.0.0.1:9464 file:///srv/git/pulp-manifests.git
              pulpform watch --self-heal --branch production --path manifests --target https://pulp.example.com/ /srv/git/pulp.git
            """)

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var targetOptions: TargetOptions
    @OptionGroup var controller: ControllerArguments

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics on http://HOST:PORT/metrics (port 0 picks a free one).", valueName: "host:port"))
    var metricsAddress: String?

    @Option(name: .long, help: ArgumentHelp("Stop after this many runs; exit 1 if the last one failed.", valueName: "n"))
    var maxRuns: Int?

    @Option(name: .long, help: ArgumentHelp("How many repositories an apply works on at once.",
                                            discussion: "Default: 32 on the embedded store, 4 against a live server."))
    var parallelism: Int?

    var metricsHostPort: (String, Int)? { metricsAddress.flatMap(ServeCommand.hostAndPort) }

    func validate() throws {
        if metricsAddress != nil, metricsHostPort == nil { throw ValidationError("--metrics-address must be host:port, e.g. 127.0.0.1:9464") }
        if let maxRuns, maxRuns < 1 { throw ValidationError("--max-runs must be at least 1") }
        if let parallelism, !(1...256).contains(parallelism) { throw ValidationError("--parallelism must be between 1 and 256") }
    }

    func run() async throws {
        let source: ManifestSource
        do {
            source = try controller.source(manifests.paths)
        } catch let e as ValidationError {
            printError("error: \(e.message)")
            throw ExitCode(1)
        }
        // A git checkout is the controller's own and is cleaned at every fetch: a live server's state file stays here.
        let stateBeside: [String]
        if case .git = source { stateBeside = ["."] } else { stateBeside = manifests.paths }
        let units = parallelism ?? (targetOptions.target == nil ? 32 : 4)
        let target = try targetOptions.open(readOnly: !controller.selfHeal, workers: units, manifests: stateBeside)
        // Metrics first: instruments made before the bootstrap would record nothing.
        let registry = metricsHostPort.map { _ in PulpMetrics.bootstrap() }
        var options = controller.options(parallelism: units, matrixLimit: manifests.matrixLimit)
        options.maxRuns = maxRuns
        let report = ControllerReport { EventOutput.emit($0) }
        let watcher = Controller(source: source, target: target.applyTarget, options: options,
                                 metrics: registry == nil ? nil : ControllerMetrics(), report: report.callAsFunction)
        var logger = Logger(label: "pulpform")
        logger.logLevel = .warning
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let registry, let (host, port) = metricsHostPort {
            services.append(.init(service: MetricsServer.service(registry: registry, host: host, port: port, logger: logger) { bound in
                printError("pulpform watch: metrics on http://\(host):\(bound)/metrics")
            }))
        }
        services.append(.init(service: watcher, successTerminationBehavior: .gracefullyShutdownGroup))
        printError("pulpform watch: \(source) → \(target.description), every \(DurationText.describe(options.interval))"
                   + (controller.selfHeal ? ", self-heal" + (controller.prune ? " and prune" : "") : ", reporting only"))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await target.close()
            printError("error: \(error)")
            throw ExitCode(1)
        }
        await target.close()
        printError("pulpform watch: stopped")
        // A bounded watch (--max-runs) is a script's check: it fails when its last run did.
        if maxRuns != nil, report.lastFailed { throw ExitCode(1) }
    }
}
