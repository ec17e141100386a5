import PulpStore
import PulpModel
import ArgumentParser
import Foundation
import Logging
import PulpAuth
import PulpContract
import PulpCore
import PulpServer
import Reconciler

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store through the Pulp v2 REST API, with workers and the scheduler.",
        discussion: """
            Binds to loopback unless told otherwise. Every API request but GET /pulp/api/v2/status/ needs \
            credentials: HTTP Basic with a user's password, or an API token as the password. The server \
            will not start until a super-user exists (pulpform user create LOGIN --super-user \
            --generate-password). --auth none runs every request as the server itself, and only on a \
            loopback address. A non-loopback --bind needs TLS (--tls-cert and --tls-key, which serve the \
            API and published content over https) or --insecure-http. --client-ca asks clients for a \
            certificate of that CA alone; one of another CA fails the handshake. With --client-ca-key too, \
            POST /pulp/api/v2/actions/login/ (Basic credentials, over TLS) returns a login certificate and \
            key valid for 7 days, which then log in as that user until the password changes. Behind a \
            reverse proxy that authenticates users itself, --trusted-proxy ADDRESS makes the user it names in \
            --proxy-user-header count, from that address only (an unknown user is refused). Published \
            content (/pulp/repos/, /pulp/isos/) needs no credentials.

            Tasks run in a worker pool with per-repository reservations; the scheduler fires sync, publish \
            and consumer content schedules. SIGTERM stops accepting requests, lets running tasks finish (up \
            to --drain-timeout seconds) and stops the scheduler; waiting tasks resume at the next start. Logs \
            one line per request on stderr.

            Example:
              pulpform user create admin --super-user --generate-password --store pulpform.db
              pulpform serve --store pulpform.db --bind 127.0.0.1:24817
              curl -s -u admin:PASSWORD http://127.0.0.1:24817/pulp/api/v2/repositories/
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Address and port to listen on (port 0 picks a free one).", valueName: "host:port"))
    var bind = "127.0.0.1:24817"

    @Option(name: .long, help: "How many tasks may run at once (on different repositories).")
    var workers = 4

    @Option(name: .long, help: "Seconds SIGTERM waits for running tasks.")
    var drainTimeout = 30

    @Flag(name: .long, inversion: .prefixedNo,
          help: "Fire due sync, publish and consumer content schedules. --no-scheduler only serves the API and runs its tasks.")
    var scheduler = true

    @Option(name: .long, help: "Seconds a request's head may take from its first byte; slower clients get 408 and are closed.")
    var headerTimeout = 10

    @Option(name: .long, help: "Seconds a connection may wait for a request, or between the parts of a body, before it is closed.")
    var idleTimeout = 60

    @Option(name: .long, help: ArgumentHelp("required: credentials on every API request. none: no credentials (loopback only).",
                                            valueName: "required|none"))
    var auth = "required"

    @Flag(name: .long, help: "Serve the API over plain HTTP on a non-loopback address (credentials then cross the network in clear).")
    var insecureHttp = false

    @Option(name: .long, help: ArgumentHelp("Serve https with this PEM certificate (chain).", valueName: "path"))
    var tlsCert: String?

    @Option(name: .long, help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "path"))
    var tlsKey: String?

    @Option(name: .long, help: ArgumentHelp("Ask clients for a certificate that chains to this PEM CA (and to no other).", valueName: "path"))
    var clientCa: String?

    @Option(name: .long, help: ArgumentHelp("The PEM private key of --client-ca: sign login certificates (POST /pulp/api/v2/actions/login/).", valueName: "path"))
    var clientCaKey: String?

    @Option(name: .long, help: ArgumentHelp("A reverse proxy (address or CIDR network) that authenticates users itself: from it, --proxy-user-header names the user. Repeatable.",
                                            valueName: "cidr"))
    var trustedProxy: [String] = []

    @Option(name: .long, help: ArgumentHelp("The header in which a --trusted-proxy names the user.", valueName: "name"))
    var proxyUserHeader = "X-Remote-User"

    @Option(name: .long, help: ArgumentHelp("Accept OAuth 1.0 (HMAC-SHA1, two-legged, with a pulp-user header; Katello's runcible) with the key and secret of this JSON file {\"key\", \"secret\"}: key ≥ 16, secret ≥ 32 characters.",
                                            valueName: "path"))
    var oauthKeyFile: String?

    @Option(name: .long, help: ArgumentHelp("The scheme and host OAuth clients sign, when a proxy in front of the server changes them (e.g. https://pulp.example.com).",
                                            valueName: "url"))
    var oauthUrl: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .long, help: ArgumentHelp("Run the controller (as pulpform watch) inside the server on these manifests: files, directories, or one git repository. Repeatable.",
                                            valueName: "path"))
    var manifests: [String] = []

    @OptionGroup(title: "Controller (with --manifests)") var controller: ControllerArguments

    var hostAndPort: (String, Int)? { Self.hostAndPort(bind) }

    /// `host:port` (`[::1]:80` too), with a port between 0 and 65535.
    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    func validate() throws {
        guard hostAndPort != nil else { throw ValidationError("--bind must be host:port, e.g. 127.0.0.1:24817") }
        guard workers >= 1, workers <= 256 else { throw ValidationError("--workers must be between 1 and 256") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
        guard headerTimeout >= 1 else { throw ValidationError("--header-timeout must be at least 1 second") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second") }
        guard let mode = APIAuthentication.Mode(rawValue: auth) else { throw ValidationError("--auth must be required or none") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if clientCa != nil, tlsCert == nil { throw ValidationError("--client-ca needs --tls-cert and --tls-key") }
        if clientCaKey != nil, clientCa == nil { throw ValidationError("--client-ca-key needs --client-ca") }
        for p in trustedProxy where AddressRange(p) == nil {
            throw ValidationError("--trusted-proxy \(p) is not an IP address or a CIDR network such as 10.0.0.0/8")
        }
        if manifests.isEmpty, controller.selfHeal || controller.branch != nil || controller.subdirectory != nil {
            throw ValidationError("--self-heal, --branch and --path go with --manifests")
        }
        if oauthUrl != nil, oauthKeyFile == nil { throw ValidationError("--oauth-url needs --oauth-key-file") }
        if let oauthUrl, !(oauthUrl.hasPrefix("http://") || oauthUrl.hasPrefix("https://")) {
            throw ValidationError("--oauth-url must be the scheme and host clients use, such as https://pulp.example.com")
        }
        guard proxyUserHeader.range(of: "^[A-Za-z0-9-]+$", options: .regularExpression) != nil else {
            throw ValidationError("--proxy-user-header must be a header name such as X-Remote-User")
        }
        if let (host, _) = hostAndPort, !Self.isLoopback(host) {
            if mode == .none {
                throw ValidationError("--auth none is allowed only on a loopback address (127.0.0.1, ::1 or localhost), not on \(host)")
            }
            if !insecureHttp, tlsCert == nil {
                throw ValidationError("\(host) is not a loopback address: serving the API there over plain HTTP sends passwords in clear; "
                                      + "give --tls-cert and --tls-key, or add --insecure-http to do it anyway")
            }
        }
    }

    /// 127.0.0.0/8, ::1 and localhost: addresses no other host can reach.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    func run() async throws {
        guard let (host, port) = hostAndPort else { throw ExitCode(1) }
        // Metrics first: instruments made before the bootstrap would record nothing.
        let registry = PulpMetrics.bootstrap()
        let source: ManifestSource?
        do {
            source = manifests.isEmpty ? nil : try controller.source(manifests)
        } catch let e as ValidationError {
            printError("error: \(e.message)")
            throw ExitCode(1)
        }
        let store = try storeOptions.open()
        var logger = Logger(label: "pulpform")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let pulp = LocalPulp(store: store, workers: workers, contentHashNotes: OwnershipNotes.contentHash,
                             contentDirectory: storeOptions.contentDirectory)
        let path = store.path
        let mode = APIAuthentication.Mode(rawValue: auth) ?? .required
        if mode == .none { logger.warning("authentication is off (--auth none): every API request runs as the server itself") }
        var runner = PulpServerRunner(pulp: pulp, host: host, port: port, drainTimeout: .seconds(drainTimeout), logger: logger)
        runner.auth = mode
        runner.trustedProxies = trustedProxy.compactMap(AddressRange.init)
        runner.proxyUserHeader = proxyUserHeader
        if let oauthKeyFile {
            do {
                let consumer = try OAuthConsumer(json: try Data(contentsOf: URL(fileURLWithPath: oauthKeyFile)))
                runner.oauth = OAuthCheck(consumer: consumer, publicURL: oauthUrl)
            } catch let e as OAuthConsumer.Failure {
                printError("error: \(oauthKeyFile) \(e.description)")
                throw ExitCode(1)
            } catch {
                printError("error: cannot read \(oauthKeyFile): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        if let tlsCert, let tlsKey {
            do {
                runner.tls = try ServerTLS(certificate: tlsCert, key: tlsKey, clientCA: clientCa, clientCAKey: clientCaKey)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
        let scheme = runner.tls == nil ? "http" : "https"
        runner.scheduler = scheduler
        runner.metrics = registry
        if let source {
            let target = ApplyTarget(pulp: pulp, state: StoreReconcilerState(store: pulp), locker: StoreLocker(storePath: path),
                                     description: "embedded store \(EmbeddedTarget.absolute(path))")
            let log = logger
            let report = ControllerReport { lines in for line in lines { log.info("\(line)") } }
            runner.services = [Controller(source: source, target: target,
                                          options: controller.options(parallelism: max(4, workers), matrixLimit: ManifestLimits.defaultMatrixRepositories),
                                          metrics: ControllerMetrics(), report: report.callAsFunction)]
            logger.info("controller: \(source), every \(controller.interval)\(controller.selfHeal ? ", self-heal" : ", reporting only")")
        }
        runner.headerTimeout = .seconds(headerTimeout)
        runner.idleTimeout = .seconds(idleTimeout)
        do {
            try await runner.run { bound in
                printError("pulpform serving \(path) on \(scheme)://\(host):\(bound)/pulp/api/v2/")
            }
        } catch ServeRefusal.noSuperUser {
            let storeArgument = storeOptions.store.map { " --store \($0)" } ?? ""
            printError("""
                error: no enabled super-user exists in \(path), so nobody could log in. Create one with
                  pulpform user create admin --super-user --generate-password\(storeArgument)
                or, for local development on loopback, serve without authentication: --auth none
                """)
            throw ExitCode(1)
        } catch let refusal as ServeRefusal {
            printError("error: \(refusal)")
            throw ExitCode(1)
        }
        let requests = runner.counters.snapshot()
        RunStats.set("requests", .object(requests.mapValues { .int($0) }))
        RunStats.set("mutations", .int(runner.counters.mutations))
    }
}
