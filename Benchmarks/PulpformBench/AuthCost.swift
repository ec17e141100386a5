import ChildProcess
import Foundation

/// The cost of authentication to the server (issue 16): `GET /repositories/<id>/?details=true` from the same
/// keep-alive clients against three servers on the same store: no authentication (the floor), HTTP Basic on a warm
/// credential cache, and Basic over TLS. Measured with wrk (which speaks TLS) for all three, so the ratios compare
/// like with like; each figure is the median of five turns.
struct AuthCost: Codable {
    var tool = "wrk"
    var clients: Int
    var seconds: Double
    var plainRequestsPerSecond: Double
    var basicRequestsPerSecond: Double
    var tlsBasicRequestsPerSecond: Double
    /// Basic ÷ plain, and TLS with Basic ÷ plain.
    var basicRatio: Double
    var tlsRatio: Double
    /// Non-2xx answers and socket errors, over all three.
    var failures: Int
}

extension TierRunner {
    /// nil (with a log line) when wrk is not installed.
    func measureAuthCost(workload: Workload) throws -> AuthCost? {
        guard (try? Spawn.run(["/usr/bin/env", "wrk", "--version"], environment: environment, in: dir))?.stdout.contains("wrk") == true else {
            Report.log("[\(tier.name)] auth cost: skipped, wrk is not installed (apt-get install wrk)")
            return nil
        }
        Report.log("[\(tier.name)] auth cost: \(clients) keep-alive clients, \(loadSeconds) s each, without auth, Basic, Basic over TLS")
        let password = "bench-" + UUID().uuidString
        let passwordFile = dir + "/bench-admin.pw"
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        let made = try Spawn.run([binary, "user", "create", "bench-admin", "--super-user", "--password-file", passwordFile, "--store", store],
                                 environment: environment, in: dir)
        guard made.exitCode == 0 || made.stderr.contains("exists") else {
            throw Spawn.Failure(description: "pulpform user create: \(made.stderr)")
        }
        let cert = dir + "/bench-tls.pem", key = dir + "/bench-tls.key"
        let openssl = try Spawn.run(["/usr/bin/env", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                     "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                                     "-addext", "subjectAltName=IP:127.0.0.1"], environment: environment, in: dir)
        guard openssl.exitCode == 0 else { throw Spawn.Failure(description: "openssl: \(openssl.stderr)") }

        let paths = workload.ids(limit: 2_000).map { "/pulp/api/v2/repositories/\($0)/?details=true" }
        let authorization = "Basic " + Data("bench-admin:\(password)".utf8).base64EncodedString()
        func script(_ name: String, authorized: Bool) throws -> String {
            let list = paths.map { "\"\($0)\"" }.joined(separator: ",")
            let headers = authorized ? "{[\"Authorization\"] = \"\(authorization)\"}" : "{}"
            let lua = """
                local paths = {\(list)}
                local i = 0
                local headers = \(headers)
                request = function()
                  i = i + 1
                  return wrk.format("GET", paths[(i % #paths) + 1], headers)
                end
                """
            let path = dir + "/\(name).lua"
            try Data(lua.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let base = [binary, "serve", "--store", store, "--bind", "127.0.0.1:0", "--log-level", "error", "--no-scheduler"]
        // Three servers at once, each warmed (connections made, every client's credentials verified once and
        // cached), then measured in turns, five rounds: the median of each is reported, so that a slow moment of
        // the machine does not land on one of them alone (single runs of the same server vary by ±10% here).
        let modes: [(name: String, extra: [String], authorized: Bool)] = [
            ("plain", ["--auth", "none"], false), ("basic", [], true), ("tls-basic", ["--tls-cert", cert, "--tls-key", key], true),
        ]
        var servers: [ServeChild] = []
        defer { for s in servers { _ = s.stop() } }
        var targets: [(url: String, lua: String)] = []
        for m in modes {
            let server = try ServeChild(arguments: base + m.extra, dir: dir, name: "serve-\(m.name)", environment: environment)
            servers.append(server)
            targets.append(((m.extra.contains("--tls-cert") ? "https" : "http") + "://127.0.0.1:\(server.port)/", try script(m.name, authorized: m.authorized)))
        }
        var failures = 0
        func wrk(_ target: (url: String, lua: String), _ seconds: Double) throws -> Double {
            let m = try Spawn.run(["/usr/bin/env", "wrk", "-t1", "-c\(clients)", "-d\(max(1, Int(seconds.rounded(.up))))s", "-s", target.lua, target.url],
                                  environment: environment, in: dir)
            guard m.exitCode == 0, let rps = Self.figure(m.stdout, "Requests/sec:") else {
                throw Spawn.Failure(description: "wrk against \(target.url): exit \(m.exitCode): \(m.stdout) \(m.stderr)")
            }
            failures += Int(Self.figure(m.stdout, "Non-2xx or 3xx responses:") ?? 0) + (m.stdout.contains("Socket errors") ? 1 : 0)
            return rps
        }
        for t in targets { _ = try wrk(t, 1) }
        failures = 0
        var rounds: [[Double]] = Array(repeating: [], count: modes.count)
        for _ in 0..<5 {
            for (i, t) in targets.enumerated() { rounds[i].append(try wrk(t, loadSeconds)) }
        }
        let median = rounds.map { $0.sorted()[$0.count / 2] }
        for (i, m) in modes.enumerated() {
            Report.log("  \(m.name): \(rounds[i].map { String(format: "%.0f", $0) }.joined(separator: ", ")) requests/s (median \(String(format: "%.0f", median[i])))")
        }
        let (plain, basic, tls) = (median[0], median[1], median[2])
        return AuthCost(clients: clients, seconds: max(1, loadSeconds.rounded(.up)), plainRequestsPerSecond: plain,
                        basicRequestsPerSecond: basic, tlsBasicRequestsPerSecond: tls,
                        basicRatio: plain > 0 ? basic / plain : 0, tlsRatio: plain > 0 ? tls / plain : 0, failures: failures)
    }

    /// The number after `label` in wrk's output.
    static func figure(_ text: String, _ label: String) -> Double? {
        guard let r = text.range(of: label) else { return nil }
        return Double(text[r.upperBound...].drop { $0 == " " }.prefix { $0.isNumber || $0 == "." })
    }
}
