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
    let state: EmbeddedState

    init(store: PulpStore, workers: Int = 4, readOnly: Bool = false) {
        self.store = store
        pulp = LocalPulp(store: store, workers: workers, contentHashNotes: OwnershipNotes.contentHash)
        state = EmbeddedState(store: store, readOnly: readOnly)
    }

    var description: String { "embedded store \(EmbeddedTarget.absolute(store.path))" }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// The salt and secret fingerprints, kept in the store.
struct EmbeddedState: ReconcilerState {
    let store: PulpStore
    /// Read-only: a missing salt means no secret was ever applied, so any fresh salt will do.
    var readOnly = false

    func salt() async throws -> String {
        if readOnly {
            return try await store.read { db in try db.meta("secret_salt") } ?? Fingerprinter.newSalt()
        }
        // Read first: a plan on a store that has its salt writes nothing.
        if let s = try await store.read({ db in try db.meta("secret_salt") }) { return s }
        return try await store.write { db in
            if let s = try db.meta("secret_salt") { return s }
            let s = Fingerprinter.newSalt()
            try db.setMeta("secret_salt", s)
            return s
        }
    }

    func secretFingerprints() async throws -> [SecretKey: String] {
        try await store.read { db in
            var out: [SecretKey: String] = [:]
            for f in try db.secretFingerprints() {
                out[SecretKey(repoId: f.repoId, plugin: f.plugin, key: f.key)] = f.fingerprint
            }
            return out
        }
    }

    /// Marks an apply's task group as in progress; a later apply that finds it still marked knows the
    /// process died (it holds the lock) and cancels the group's leftover tasks.
    func beginApply(_ groupId: String) async throws {
        try await store.write { db in try db.setMeta("apply_in_progress", groupId) }
    }

    func endApply() async throws {
        try await store.write { db in try db.setMeta("apply_in_progress", "") }
    }

    func abandonedApply() async throws -> String? {
        try await store.read { db in try db.meta("apply_in_progress") }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func recordSecretFingerprints(_ changes: [SecretKey: String?]) async throws {
        try await store.write { db in
            for (k, v) in changes {
                try db.setSecretFingerprint(repoId: k.repoId, plugin: k.plugin, key: k.key, fingerprint: v)
            }
        }
    }
}

/// One apply at a time per store: an exclusive `flock` on `<store>.lock`, released by the kernel even when
/// the process is killed. The file names the holder.
final class ApplyLock {
    let path: String
    private let fd: Int32

    struct Held: Error, CustomStringConvertible {
        let path: String
        let holder: String
        var description: String { "another apply holds the lock \(path): \(holder)" }
    }

    init(storePath: String) throws {
        path = storePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let data = FileManager.default.contents(atPath: path) ?? Data()
            let holder = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw Held(path: path, holder: holder.isEmpty ? "unknown holder" : holder)
        }
        let info = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(PulpDateTime(Date()).iso8601)\n"
        _ = ftruncate(fd, 0)
        _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
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

/// Resolves secrets and builds the plan for a target.
struct Reconciliation {
    let manifest: Manifest
    let plan: Plan
    let planner: Planner
    let actual: ActualState

    let drift: DriftReport

    /// `--detailed-exitcode` and `drift`: 0 in sync, 2 pending, 3 changed outside pulpform, 5 both.
    var detailedExitCode: Int32 {
        let code = drift.exitCode
        return code == 0 && plan.hasChanges ? 2 : code
    }

    /// `drift`: whether to classify the differences too (`apply` only needs the plan).
    static func make(manifest: Manifest, pulp: any PulpService, state: any ReconcilerState, prune: Bool,
                     catalog: PluginCatalog = .builtin, drift withDrift: Bool = true) async throws -> Reconciliation
    {
        let resolver = SecretResolver()
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
        var actual = try await Trace.phase("read target") { try await ActualState.read(from: pulp, expecting: hashes) }
        actual.hashes = Trace.phase("fingerprint target") { planner.actualHashes(actual, declared: hashes) }
        let plan = Trace.phase("plan") { planner.plan(manifest, actual, hashes: hashes) }
        let drift = withDrift ? Trace.phase("drift") { planner.drift(manifest, actual, hashes: hashes) } : DriftReport(items: [], checked: [])
        return Reconciliation(manifest: manifest, plan: plan, planner: planner, actual: actual, drift: drift)
    }

    /// A planner for checking a saved plan's guards: the same canonical form, without manifests.
    static func guardPlanner(state: any ReconcilerState, catalog: PluginCatalog = .builtin) async throws -> Planner {
        let canon = Canonicalizer(catalog: catalog, fingerprinter: Fingerprinter(salt: try await state.salt()),
                                  recorded: try await state.secretFingerprints(), secretValues: [:])
        return Planner(catalog: catalog, canon: canon, prune: false)
    }
}
