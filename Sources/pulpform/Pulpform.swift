import ArgumentParser
import Foundation
import Reconciler
import PulpContent
import PulpCore
import PulpStore

@main
struct Pulpform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulpform",
        abstract: "Keep Pulp 2 repository configuration in git, and serve it as a Pulp 2 compatible server.",
        discussion: """
            pulpform stores repositories, importers, distributors and schedules in an embedded SQLite store \
            (PULPFORM_DB, default ./pulpform.db) and runs Pulp's operations on it as tasks.
            """,
        version: PulpformVersion.current,
        subcommands: [ValidateCommand.self, PlanCommand.self, ApplyCommand.self, DriftCommand.self, ServeCommand.self,
                      SyncCommand.self, PublishCommand.self, ContentCommand.self, ShowCommand.self,
                      TasksCommand.self, ImportCommand.self, StatusCommand.self, DemoCommand.self,
                      UserCommand.self, TokenCommand.self, RoleCommand.self, PermissionCommand.self, KeysCommand.self,
                      WatchCommand.self, VersionCommand.self]
    )

    /// Runs the command, then writes the run's figures when `PULPFORM_STATS` asks for them.
    static func main() async {
        if Trace.enabled { Trace.start = DispatchTime.now().uptimeNanoseconds }
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            RunStats.write()
            if Trace.enabled { Trace.report("run", since: Trace.start) }
        } catch {
            RunStats.write()
            exit(withError: error)
        }
    }
}

enum PulpformVersion {
    static let current = "0.1.0-dev"
}

/// Options shared by commands that open the embedded store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path of the embedded store.", discussion: "Defaults to $PULPFORM_DB, or ./pulpform.db.",
                                            valueName: "path"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("Where unit files and published trees live.",
                                            discussion: "Defaults to <store name>-content beside the store file.",
                                            valueName: "dir"))
    var contentDir: String?

    @Option(name: .long, help: ArgumentHelp("The key file of the store's importer secrets (AES-256-GCM).",
                                            discussion: "Defaults to $PULPFORM_KEY_FILE, or <store>.key beside the store file. Made, mode 0600, when the first secret is stored; back it up apart from the store.",
                                            valueName: "path"))
    var keyFile: String?

    init() {}

    init(store: String?) { self.store = store }

    var path: String { store ?? PulpStore.defaultPath() }

    /// `--key-file`, else `PULPFORM_KEY_FILE`, else nil (the store's default, beside it).
    var keyFilePath: String? {
        if let keyFile { return keyFile }
        if let env = ProcessInfo.processInfo.environment["PULPFORM_KEY_FILE"], !env.isEmpty { return env }
        return nil
    }

    /// The content directory: `--content-dir`, or beside the store.
    var contentDirectory: ContentDirectory {
        contentDir.map { ContentDirectory(root: URL(fileURLWithPath: $0)) } ?? ContentDirectory.beside(storePath: path)
    }

    /// The embedded store's service, for the commands that manage it directly (users, tokens).
    func localPulp(readOnly: Bool = false) throws -> LocalPulp {
        LocalPulp(store: try open(readOnly: readOnly), contentDirectory: contentDirectory)
    }

    /// Opens the store; a store that cannot be opened is an error message and exit 1.
    func open(readOnly: Bool = false) throws -> PulpStore {
        do {
            let store = try PulpStore(path: path, readOnly: readOnly, keyFile: keyFilePath)
            RunStats.opened(store)
            return store
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    // With --format jsonl, errors are diagnostic events on stdout; notes stay on stderr.
    if EventOutput.isOn, message.hasPrefix("error: ") || message.hasPrefix("stale: ") {
        return EventOutput.emit(MachineEvents.diagnostic(summary: String(message.drop { $0 != " " }.dropFirst()), detail: ""))
    }
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A failure to plan: problems in the manifests (some only the target shows, such as a role member who is no
/// user) as `file:line:column: message` with their count, anything else as `error: …`.
func printFailure(_ error: any Error) {
    if EventOutput.isOn { return EventOutput.emit(MachineEvents.diagnostics(error)) }
    if let refused = error as? DestroyRefused { return printError("\(refused)") }
    guard let e = error as? ManifestErrors else { return printError("error: \(error)") }
    for d in e.diagnostics { printError("\(d)") }
    printError("\(e.diagnostics.count) error\(e.diagnostics.count == 1 ? "" : "s") in the manifests")
}
