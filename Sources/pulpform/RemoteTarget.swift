import NIOCore
import ArgumentParser
import Foundation
import PulpClient
import PulpContract
import PulpCore
import PulpModel
import PulpStore
import Reconciler

#if canImport(Glibc)
import Glibc
#endif

/// Where plan, apply, drift and import work: the embedded store (the default) or a live Pulp v2 server.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path of the embedded store.", discussion: "Defaults to $PULPFORM_DB, or ./pulpform.db.",
                                            valueName: "path"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("Where unit files and published trees live (embedded store).",
                                            discussion: "Defaults to <store name>-content beside the store file.",
                                            valueName: "dir"))
    var contentDir: String?

    @Option(name: .long, help: ArgumentHelp("The key file of the embedded store's importer secrets.",
                                            discussion: "Defaults to $PULPFORM_KEY_FILE, or <store>.key beside the store file.",
                                            valueName: "path"))
    var keyFile: String?

    @Option(name: .long, help: ArgumentHelp("A live Pulp v2 server instead of the embedded store, e.g. https://pulp.example.com/.",
                                            valueName: "url"))
    var target: String?

    @Option(name: .long, help: ArgumentHelp("A file with the server's credentials: JSON {\"username\", \"password\"}. "
                                            + "Otherwise PULPFORM_USERNAME and PULPFORM_PASSWORD are used.", valueName: "file"))
    var credentials: String?

    @Option(name: .long, help: ArgumentHelp("PEM CA bundle for the server's certificate.", valueName: "file"))
    var caBundle: String?

    @Option(name: .long, help: ArgumentHelp("PEM client certificate for the server.", valueName: "file"))
    var clientCert: String?

    @Option(name: .long, help: ArgumentHelp("PEM key of the client certificate.", valueName: "file"))
    var clientKey: String?

    @Option(name: .long, help: ArgumentHelp("The state file for --target (secret fingerprints per target).",
                                            discussion: "Defaults to .pulpform-state.json beside the manifests.", valueName: "path"))
    var state: String?

    @Option(name: .long, help: "Seconds before a request to --target times out.")
    var timeout = 60

    func validate() throws {
        if let target {
            guard let url = URL(string: target), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ValidationError("--target must be an http(s) URL")
            }
            if url.password != nil {
                throw ValidationError("a password on the command line is refused: use PULPFORM_PASSWORD or --credentials FILE")
            }
            if store != nil { throw ValidationError("--store and --target cannot be used together") }
            if contentDir != nil { throw ValidationError("--content-dir and --target cannot be used together") }
        }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    /// Username and password from --credentials, else the environment.
    func loadCredentials() throws -> (String?, String?) {
        let env = ProcessInfo.processInfo.environment
        guard let credentials else { return (env["PULPFORM_USERNAME"], env["PULPFORM_PASSWORD"]) }
        guard let data = FileManager.default.contents(atPath: credentials) else {
            printError("error: cannot read the credentials file \(credentials)")
            throw ExitCode(1)
        }
        guard let v = try? JSONValue.parse(data), let user = v["username"]?.stringValue, let pw = v["password"]?.stringValue else {
            printError("error: \(credentials) must be JSON with string fields username and password")
            throw ExitCode(1)
        }
        return (user, pw)
    }

    /// Opens the target. `manifests` locate the default state file.
    func open(readOnly: Bool, workers: Int = 4, manifests: [String]) throws -> ReconcileTarget {
        guard let target else {
            var options = StoreOptions(store: store)
            options.contentDir = contentDir
            options.keyFile = keyFile
            let store = try options.open(readOnly: readOnly)
            let embedded = EmbeddedTarget(store: store, workers: workers, readOnly: readOnly, content: options.contentDirectory)
            return ReconcileTarget(pulp: embedded.pulp, state: embedded.state, locker: StoreLocker(storePath: store.path),
                                   description: embedded.description, embedded: embedded, client: nil)
        }
        let (user, password) = try loadCredentials()
        let client: PulpClient
        do {
            client = try PulpClient(.init(baseURL: target, username: user, password: password, caBundle: caBundle,
                                          clientCertificate: clientCert, clientKey: clientKey, timeout: .seconds(Int64(timeout))))
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let key = FileReconcilerState.key(for: target)
        let path = state ?? FileReconcilerState.defaultPath(beside: manifests)
        return ReconcileTarget(pulp: client, state: FileReconcilerState(path: path, target: key, readOnly: readOnly), locker: LeaseLocker(),
                               description: "Pulp v2 server \(key)", embedded: nil, client: client)
    }
}

/// An opened target.
struct ReconcileTarget {
    let pulp: any PulpService
    let state: any ReconcilerState
    /// One apply at a time on the embedded store; leases per repository on a live server.
    let locker: any Locker
    let description: String
    let embedded: EmbeddedTarget?
    let client: PulpClient?

    /// What an apply runs against.
    var applyTarget: ApplyTarget { ApplyTarget(pulp: pulp, state: state, locker: locker, description: description) }

    func close() async {
        try? await client?.shutdown()
    }

    /// Runs `body`, then closes the target, whether `body` threw or not.
    func closing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    /// Reads the target, plans, and closes it; a failure is an error message and exit 1. `guarded`: a plan that
    /// would destroy protected objects is such a failure.
    func reconcile(_ manifest: Manifest, prune: Bool, allowDestroy: [String] = [], guarded: Bool = false,
                   subset: Subset? = nil) async throws -> Reconciliation {
        do {
            let made = try await Reconciliation.make(manifest: manifest, pulp: pulp, state: state, prune: prune, allowDestroy: allowDestroy,
                                                     subset: subset)
            let r = guarded ? try made.guarded() : made
            await close()
            return r
        } catch {
            await close()
            printFailure(error)
            throw ExitCode(1)
        }
    }
}
