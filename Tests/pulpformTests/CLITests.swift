import Foundation
import Testing
import PulpformTestKit

@Suite("The pulpform binary")
struct CLITests {
    @Test("--help lists the commands; version prints the version")
    func helpAndVersion() throws {
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        for word in ["version", "demo", "status", "USAGE: pulpform"] { #expect(help.stdout.contains(word), "\(word)") }
        let version = try CLI.run(["version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("pulpform 0."))
        #expect(try CLI.run(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0-dev")
    }

    @Test("every command's --help has an example; every store command takes --store",
          arguments: ["validate", "plan", "apply", "drift", "show", "tasks", "import", "status", "demo", "version"])
    func help(_ command: String) throws {
        let r = try CLI.run([command, "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Example"), "\(command) --help has no example")
        if command != "version" { #expect(r.stdout.contains("--store"), "\(command) takes --store") }
    }

    @Test("demo runs the shipped example on a fresh store, twice")
    func demo() throws {
        let tmp = try TempDir()
        let db = tmp.path("pulpform.db")
        let first = try CLI.run(["demo", "--store", db, "--publish-dir", tmp.path("publish")])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("sync harness_repo_1: task"))
        #expect(first.stdout.contains("finished (5 units added)"))
        #expect(first.stdout.contains("publish harness_repo_1/dist_1: task"))
        #expect(FileManager.default.fileExists(atPath: tmp.path("publish/harness_repo_1/harness_unit_0")))
        let second = try CLI.run(["demo", "--store", db, "--publish-dir", tmp.path("publish")])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("delete repository harness_repo_1"))
        let status = try CLI.run(["status", "--json"], environment: ["PULPFORM_DB": db])
        #expect(status.status == 0)
        #expect(status.stdout.contains("\"repositories\":1"))
        #expect(status.stdout.contains("\"migrations\":[\"v1-resources\",\"v1-tasks\",\"v2-reconciler-state\",\"v3-content-hash\",\"v4-content-hash-triggers\",\"v5-content\",\"v6-content-incomplete-units\",\"v7-uploads\",\"v8-lazy-catalog\",\"v9-auth\",\"v10-auth-version\",\"v11-login-certificates\",\"v12-reconciler-access\"]"))
    }

    @Test("bad input is a clear error with exit 1, never a crash")
    func badInput() throws {
        let tmp = try TempDir()
        let missing = try CLI.run(["demo", "--store", tmp.path("p.db"), tmp.path("nope.json")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read"))
        try Data("{not json".utf8).write(to: tmp.url.appendingPathComponent("bad.json"))
        let bad = try CLI.run(["demo", "--store", tmp.path("p.db"), tmp.path("bad.json")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not JSON"))
        try Data(#"{"id": "bad id!"}"#.utf8).write(to: tmp.url.appendingPathComponent("badid.json"))
        let badId = try CLI.run(["demo", "--store", tmp.path("p.db"), tmp.path("badid.json")])
        #expect(badId.status == 1)
        #expect(badId.stderr.contains("PLP0015"))
        let noDir = try CLI.run(["status", "--store", "/nonexistent-\(UUID().uuidString)/p.db"])
        #expect(noDir.status == 1)
        #expect(noDir.stderr.contains("cannot open store"))
        let unknown = try CLI.run(["frobnicate"])
        #expect(unknown.status != 0)
        #expect(unknown.status < 128, "no signal")
    }
}
