import Foundation

/// A throw-away PKI made with openssl: a CA, a server certificate for 127.0.0.1, a client certificate of that CA,
/// and a client certificate of another CA.
public struct TestPKI: Sendable {
    public let dir: TempDir
    public var ca: String { dir.path("ca.pem") }
    public var caKey: String { dir.path("ca.key") }
    public var cert: String { dir.path("server.pem") }
    public var key: String { dir.path("server.key") }

    public init(_ dir: TempDir) throws {
        self.dir = dir
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: dir.path("san.ext"), atomically: true, encoding: .utf8)
        func run(_ args: [String]) throws {
            let r = try runTool(["openssl"] + args)
            guard r.status == 0 else { throw CLI.CLIError(message: "openssl \(args.joined(separator: " ")): \(r.err)") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name in ["ca", "other-ca"] {
            try run(["req", "-x509"] + ec + ["-keyout", dir.path("\(name).key"), "-out", dir.path("\(name).pem"), "-days", "2",
                                            "-subj", "/CN=pulpform test \(name)"])
        }
        for (name, issuer, subject) in [("server", "ca", "/CN=127.0.0.1"), ("client", "ca", "/CN=admin"), ("foreign", "other-ca", "/CN=admin")] {
            try run(["req"] + ec + ["-keyout", dir.path("\(name).key"), "-out", dir.path("\(name).csr"), "-subj", subject])
            try run(["x509", "-req", "-in", dir.path("\(name).csr"), "-CA", dir.path("\(issuer).pem"), "-CAkey", dir.path("\(issuer).key"),
                     "-CAcreateserial", "-out", dir.path("\(name).pem"), "-days", "2"] + (name == "server" ? ["-extfile", dir.path("san.ext")] : []))
        }
    }
}
