import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

@Suite("plan, apply, drift and import with --target against pulpform serve")
struct TargetCLITests {
    @Test("every example converges over HTTP, secrets included; a rotated secret is an update", arguments: ["examples/quickstart", "examples/rhui"])
    func examples(_ example: String) throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("served.db"))
        let target = ["--target", "http://127.0.0.1:\(server.port)/", "--state", tmp.path("state.json")]
        var env = exampleEnvironment
        env["PULPFORM_USERNAME"] = "admin"
        env["PULPFORM_PASSWORD"] = "admin-password"
        let apply = try CLI.run(["apply", "--auto-approve"] + target + [example], environment: env)
        #expect(apply.status == 0, "\(apply.stderr.suffix(1500))")
        let again = try CLI.run(["plan", "--detailed-exitcode"] + target + [example], environment: env)
        #expect(again.status == 0, "\(again.stdout.suffix(1500))")
        #expect(try CLI.run(["drift"] + target + [example], environment: env).status == 0)
        let state = try String(contentsOfFile: tmp.path("state.json"), encoding: .utf8)
        #expect(!state.contains("example-proxy-password") && !state.contains("admin-password"))
        for o in [apply.stdout, apply.stderr, again.stdout] {
            #expect(!o.contains("example-proxy-password") && !o.contains("admin-password"))
        }
        if example.hasSuffix("rhui") {
            var rotated = env
            rotated["RHUI_PROXY_PASSWORD"] = "rotated-password"
            let plan = try CLI.run(["plan", "--detailed-exitcode"] + target + [example], environment: rotated)
            #expect(plan.status == 2)
            #expect(plan.stdout.contains("~ importer.config.proxy_password = (sensitive value)"))
            #expect(try CLI.run(["apply", "--auto-approve"] + target + [example], environment: rotated).status == 0)
            #expect(try CLI.run(["plan", "--detailed-exitcode"] + target + [example], environment: rotated).status == 0)
        }
        // import over HTTP writes manifests that plan to no changes on that target.
        let imported = try CLI.run(["import", "--out", tmp.path("imported.yaml")] + target, environment: env)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(server.stop() == 0)
    }

    @Test("bad targets: a password in the URL is refused; an unreachable or non-Pulp server is a clear error")
    func badTargets() throws {
        let refused = try CLI.run(["plan", "--target", "http://admin:secret@127.0.0.1:1/", "examples/quickstart"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("a password on the command line is refused"))
        #expect(!refused.stderr.contains("secret@"))
        let unreachable = try CLI.run(["plan", "--target", "http://127.0.0.1:1/", "--timeout", "2", "examples/quickstart"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("http://127.0.0.1:1/pulp/api/v2/"))
        #expect(try CLI.run(["plan", "--target", "ftp://x/", "examples/quickstart"]).status != 0)
        let tmp = try TempDir()
        try Data("{\"username\": \"a\"}".utf8).write(to: tmp.url.appendingPathComponent("creds.json"))
        let creds = try CLI.run(["plan", "--target", "http://127.0.0.1:1/", "--credentials", tmp.path("creds.json"), "examples/quickstart"])
        #expect(creds.status == 1)
        #expect(creds.stderr.contains("username and password"))
    }
}

@Suite("--target: concurrency, partial failure, a server killed mid-apply")
struct TargetRobustnessTests {
    static let big = matrixManifest(a: 4, b: 25)

    @Test("two applies at once on the same server converge, with nothing duplicated and no lease left")
    func concurrent() throws {
        let tmp = try TempDir()
        try Data(Self.big.utf8).write(to: tmp.url.appendingPathComponent("big.yaml"))
        let server = try ServeProcess(store: tmp.path("served.db"))
        let target = ["--target", "http://127.0.0.1:\(server.port)/", "--state", tmp.path("state.json")]
        // First create everything, then run two concurrent applies of a change to every repository.
        #expect(try CLI.run(["apply", "--auto-approve"] + target + [tmp.path("big.yaml")]).status == 0)
        try Data(Self.big.replacingOccurrences(of: "cdn.example.com", with: "cdn2.example.com").utf8)
            .write(to: tmp.url.appendingPathComponent("big.yaml"))
        let jobs = (0..<2).map { _ in
            let p = Process()
            p.executableURL = try? CLI.binary()
            p.arguments = ["apply", "--auto-approve"] + target + [tmp.path("big.yaml")]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        for j in jobs { try j.run() }
        for j in jobs { j.waitUntilExit() }
        #expect(jobs.contains { $0.terminationStatus == 0 } || jobs.allSatisfy { $0.terminationStatus == 1 })
        let finish = try CLI.run(["apply", "--auto-approve"] + target + [tmp.path("big.yaml")])
        #expect(finish.status == 0, "\(finish.stderr.suffix(800))")
        #expect(try CLI.run(["plan", "--detailed-exitcode"] + target + [tmp.path("big.yaml")]).status == 0)
        let repos = try JSONValue.parse(try curl(["-X", "POST", server.base + "repositories/search/", "-d",
                                                  #"{"criteria": {}, "importers": true}"#]).out).arrayValue ?? []
        #expect(repos.count == 100)
        #expect(repos.allSatisfy { ($0["notes"]?.objectValue ?? [:]).keys.allSatisfy { !$0.hasPrefix("pulpform_lease_") } })
        #expect(repos.allSatisfy { $0["importers"]?.arrayValue?.first?["config"]?["feed"] == "file:///nonexistent/cdn2.example.com/iso/" })
        #expect(server.stop() == 0)
    }

    @Test("a partially failed apply (one repository leased elsewhere) reports it, applies the rest, and a rerun converges")
    func partial() throws {
        let tmp = try TempDir()
        let server = try ServeProcess(store: tmp.path("served.db"))
        let target = ["--target", "http://127.0.0.1:\(server.port)/", "--state", tmp.path("state.json")]
        #expect(try CLI.run(["apply", "--auto-approve"] + target + ["examples/quickstart"]).status == 0)
        // Another job holds zoo; the change touches zoo and harness_repo_2.
        let far = Int(Date().timeIntervalSince1970) + 3600
        _ = try curl(["-X", "PUT", server.base + "repositories/zoo/", "-d",
                      #"{"delta": {"notes": {"pulpform_lease_other-job": "\#(far - 7200) \#(far) other-job"}}}"#])
        let manifest = try String(contentsOf: CLI.packageRoot.appendingPathComponent("examples/quickstart/repositories.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "remove_missing: true", with: "remove_missing: false")
            .replacingOccurrences(of: "num_units: \"10\"", with: "num_units: \"11\"")
        try Data(manifest.utf8).write(to: tmp.url.appendingPathComponent("q.yaml"))
        let partial = try CLI.run(["apply", "--auto-approve"] + target + [tmp.path("q.yaml")])
        #expect(partial.status == 1)
        #expect(partial.stderr.contains("repository zoo is being applied by other-job"))
        #expect(partial.stdout.contains("failed") || partial.stdout.contains("skipped"))
        let drift = try CLI.run(["drift"] + target + [tmp.path("q.yaml")])
        #expect(drift.status == 2, "zoo's change is still pending: \(drift.stdout)")
        _ = try curl(["-X", "PUT", server.base + "repositories/zoo/", "-d", #"{"delta": {"notes": {"pulpform_lease_other-job": null}}}"#])
        #expect(try CLI.run(["apply", "--auto-approve"] + target + [tmp.path("q.yaml")]).status == 0)
        #expect(try CLI.run(["plan", "--detailed-exitcode"] + target + [tmp.path("q.yaml")]).status == 0)
        #expect(server.stop() == 0)
    }

    @Test("the server killed mid-apply and restarted: applying again converges")
    func serverKilled() throws {
        let tmp = try TempDir()
        try Data(Self.big.utf8).write(to: tmp.url.appendingPathComponent("big.yaml"))
        let db = tmp.path("served.db")
        var server = try ServeProcess(store: db)
        let target = { (port: Int) in ["--target", "http://127.0.0.1:\(port)/", "--state", tmp.path("state.json"), "--timeout", "5"] }
        let apply = Process()
        apply.executableURL = try CLI.binary()
        apply.arguments = ["apply", "--auto-approve", "--parallelism", "2"] + target(server.port) + [tmp.path("big.yaml")]
        let err = Pipe()
        apply.standardError = err
        apply.standardOutput = FileHandle.nullDevice
        try apply.run()
        var seen = ""
        while seen.components(separatedBy: "finished: ").count - 1 < 60 {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        apply.waitUntilExit()
        #expect(apply.terminationStatus == 1, "the apply reports the failures")
        server = try ServeProcess(store: db)
        let again = try CLI.run(["apply", "--auto-approve"] + target(server.port) + [tmp.path("big.yaml")])
        #expect(again.status == 0, "\(again.stderr.suffix(1500))")
        #expect(try CLI.run(["plan", "--detailed-exitcode"] + target(server.port) + [tmp.path("big.yaml")]).status == 0)
        let repos = try JSONValue.parse(try curl(["-X", "POST", server.base + "repositories/search/", "-d", #"{"criteria": {}}"#]).out)
        #expect(repos.arrayValue?.count == 100)
        #expect(server.stop() == 0)
    }
}
