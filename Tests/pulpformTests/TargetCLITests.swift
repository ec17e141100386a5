import Foundation
import Testing
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
