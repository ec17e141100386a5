import CDispatch
import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel
import PulpStore
import Reconciler
#if canImport(Glibc)
import Glibc
#endif

/// Options of the commands that read manifests.
struct ManifestOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Manifest files or directories (every *.yaml and *.yml below them).", valueName: "path"))
    var paths: [String] = ["."]

    @Option(name: .long, help: ArgumentHelp(
        "The most repositories that matrix entries may expand to, in all the manifests together.", valueName: "n"))
    var matrixLimit: Int = ManifestLimits.defaultMatrixRepositories

    func validate() throws {
        guard matrixLimit > 0 else { throw ValidationError("--matrix-limit must be a whole number above 0") }
    }

    /// Loads the manifests, or prints every problem as `file:line:column: message` and exits 1.
    func load(catalog: PluginCatalog = .builtin) throws -> Manifest {
        do {
            let t0 = DispatchTime.now().uptimeNanoseconds
            var loader = ManifestLoader(catalog: catalog)
            loader.fingerprinting = true
            loader.limits.matrixRepositories = matrixLimit
            let manifest = try loader.load(paths: paths)
            if Trace.enabled { Trace.report("load manifests", since: t0) }
            return manifest
        } catch {
            printFailure(error)
            throw ExitCode(1)
        }
    }
}

/// `--only` and `--exclude`: a run over a subset of the objects.
struct SubsetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only objects whose id or address matches (repeatable; * and ? globs): rhel-9-*, consumer.web?.",
                                            valueName: "pattern"))
    var only: [String] = []

    @Option(name: .long, help: ArgumentHelp("Leave out objects whose id or address matches (repeatable; * and ? globs).",
                                            valueName: "pattern"))
    var exclude: [String] = []

    func validate() throws {
        if (only + exclude).contains(where: \.isEmpty) { throw ValidationError("--only and --exclude need a pattern") }
    }

    /// Nil for the whole run.
    var subset: Subset? { Subset.make(only: only, exclude: exclude) }
}

/// `--max-detail` and `--full`: how much of a large plan to show.
struct DetailOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Summarise, grouped by kind, a plan that touches more objects than this.", valueName: "n"))
    var maxDetail = PlanRenderer.defaultMaxDetail

    @Flag(name: .long, help: "Show every change of a plan, however large.")
    var full = false

    func validate() throws {
        guard maxDetail >= 0 else { throw ValidationError("--max-detail must be 0 or more") }
    }

    /// What the human renderer takes: nil shows everything.
    var limit: Int? { full ? nil : maxDetail }
}
