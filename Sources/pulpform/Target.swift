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

/// The embedded store as a reconciliation target: the Pulp service over it, and the reconciler's state in it.
struct EmbeddedTarget {
    let store: PulpStore
    let pulp: LocalPulp
    let state: StoreReconcilerState

    init(store: PulpStore, workers: Int = 4, readOnly: Bool = false) {
        self.store = store
        pulp = LocalPulp(store: store, workers: workers, contentHashNotes: OwnershipNotes.contentHash)
        state = StoreReconcilerState(store: pulp, readOnly: readOnly)
    }

    var description: String { "embedded store \(EmbeddedTarget.absolute(store.path))" }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

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
            for d in error.diagnostics { printError("\(d)") }
            printError("\(error.diagnostics.count) error\(error.diagnostics.count == 1 ? "" : "s") in the manifests")
            throw ExitCode(1)
        }
    }
}

/// Output choices.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human, json, markdown
}

enum Terminal {
    /// Colour only on a terminal, and never when NO_COLOR is set.
    static var stdoutColor: Bool {
        isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// stdout is not a terminal, and not the file stderr writes to (as `2>&1` makes it): what is written to
    /// one cannot land between the lines of the other.
    static var stdoutIsApartFile: Bool {
        var out = stat()
        var err = stat()
        guard isatty(STDOUT_FILENO) == 0, fstat(STDOUT_FILENO, &out) == 0, fstat(STDERR_FILENO, &err) == 0 else { return false }
        return out.st_dev != err.st_dev || out.st_ino != err.st_ino
    }
}
