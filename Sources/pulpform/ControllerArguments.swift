import ArgumentParser
import Foundation
import Reconciler
import Synchronization

/// What `watch` and `serve --manifests` share: how often, and whether to apply.
struct ControllerArguments: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The wait between runs: 30s, 5m, 1h30m, 500ms, or seconds.", valueName: "duration"))
    var interval = "60s"

    @Option(name: .long, help: ArgumentHelp("The longest wait after failed runs (the wait doubles per failure in a row).",
                                            valueName: "duration"))
    var maxBackoff = "10m"

    @Flag(name: .long, help: "Apply the plan each run: manifest changes, and changes made outside pulpform. Without it, differences are only reported.")
    var selfHeal = false

    @Flag(name: .long, help: "With --self-heal, also delete managed repositories and consumers that are gone from the manifests.")
    var prune = false

    @Option(name: .long, help: ArgumentHelp("Lift the deletion guard of protect: true for a repository or consumer id (repeatable; * and ? globs).",
                                            valueName: "id"))
    var allowDestroy: [String] = []

    @Option(name: .long, help: ArgumentHelp("For a git source: the branch to follow (default: the repository's HEAD). Makes a local work tree a git source too.",
                                            valueName: "name"))
    var branch: String?

    @Option(name: .customLong("path"), help: ArgumentHelp("For a git source: the manifests' directory inside the repository.", valueName: "dir"))
    var subdirectory: String?

    @Option(name: .long, help: ArgumentHelp("For a git source: the controller's working copy (default: a directory under $TMPDIR named after the URL).",
                                            valueName: "dir"))
    var checkoutDir: String?

    func validate() throws {
        guard let i = DurationText.parse(interval), i >= .milliseconds(100) else {
            throw ValidationError("--interval must be a duration of at least 100ms, such as 30s, 5m or 1h")
        }
        guard let m = DurationText.parse(maxBackoff), m >= .zero else { throw ValidationError("--max-backoff must be a duration such as 10m") }
        if prune, !selfHeal { throw ValidationError("--prune needs --self-heal (without it nothing is applied)") }
        if let subdirectory, subdirectory.hasPrefix("/") || subdirectory.split(separator: "/").contains("..") {
            throw ValidationError("--path must be a relative directory inside the repository")
        }
    }

    /// The manifests' source: git for a URL, a bare repository or `--branch`; otherwise files and directories.
    func source(_ paths: [String]) throws -> ManifestSource {
        let git = paths.count == 1 && (branch != nil || GitSource.isRepository(paths[0]))
        guard git else {
            if branch != nil || subdirectory != nil || checkoutDir != nil {
                throw ValidationError("--branch, --path and --checkout-dir are for a single git repository")
            }
            return .files(paths)
        }
        return .git(GitSource(url: paths[0], branch: branch, subdirectory: subdirectory, checkout: checkoutDir))
    }

    func options(parallelism: Int, matrixLimit: Int) -> ControllerOptions {
        var o = ControllerOptions()
        o.interval = DurationText.parse(interval) ?? .seconds(60)
        o.maxBackoff = DurationText.parse(maxBackoff) ?? .seconds(600)
        o.selfHeal = selfHeal
        o.prune = prune
        o.allowDestroy = allowDestroy
        o.parallelism = parallelism
        o.matrixLimit = matrixLimit
        return o
    }
}

/// Writes a controller's runs, leaving out a run that found what the previous one found.
final class ControllerReport: Sendable {
    private let last = Mutex<String?>(nil)
    private let failed = Mutex(false)
    /// Whether the last run failed.
    var lastFailed: Bool { failed.withLock { $0 } }
    private let write: @Sendable ([String]) -> Void

    init(write: @escaping @Sendable ([String]) -> Void) { self.write = write }

    func callAsFunction(_ run: ControllerRun) {
        failed.withLock { $0 = run.isFailure }
        let signature = ControllerRenderer.signature(run)
        let news = last.withLock { previous in
            defer { previous = signature }
            return previous != signature
        }
        if news { write(ControllerRenderer.human(run)) }
    }
}
