import Foundation
import Testing
import PulpformTestKit
#if canImport(Glibc)
import Glibc
#endif
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

/// A store and manifests in a fresh directory, driven through the real binary.
final class Workspace {
    let tmp: TempDir
    var env: [String: String]

    init() throws {
        tmp = try TempDir()
        env = ["PULPFORM_DB": tmp.path("pulpform.db")]
    }

    var db: String { tmp.path("pulpform.db") }

    func write(_ name: String, _ text: String) throws {
        let url = tmp.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func run(_ args: [String]) throws -> CLI.Result { try CLI.run(args, environment: env, cwd: tmp.url) }

    /// Opens the store as another client would, to change things outside pulpform.
    func pulp() throws -> LocalPulp { LocalPulp(store: try PulpStore(path: db)) }
}

let secretManifest = """
    repositories:
      - id: zoo
        importer:
          type: yum_importer
          config:
            feed: https://cdn.example.com/zoo/
            proxy_host: http://proxy.example.com
            proxy_port: 3128
            proxy_password: {env: PROXY_PASSWORD}
            basic_auth_password: {file: basic-auth.txt}
        distributors:
          - id: yum
            type: yum_distributor
            config: {relative_url: zoo, http: false, https: true}
        sync_schedules:
          - schedule: 2024-01-01T02:00:00Z/P1D
      - id: emu
        importer:
          type: iso_importer
          config: {feed: https://cdn.example.com/emu/}
    """

@Suite("plan, apply, drift through the binary")
struct ReconcileCLITests {
    @Test("validate: every error at once as file:line:column, exit 1")
    func validate() throws {
        let w = try Workspace()
        try w.write("m/a.yaml", "repositories:\n  - id: a\n    importr: {}\n")
        try w.write("m/b.yaml", "repositories:\n  - id: a\n    sync_schedules:\n      - schedule: garbage\n")
        let r = try w.run(["validate", "m"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("m/a.yaml:3:5: unknown key \"importr\" in a repository; did you mean \"importer\"?"))
        #expect(lines.contains { $0.hasPrefix("m/b.yaml:2:5: repository a is declared twice: here and at m/a.yaml:2:5") })
        #expect(lines.contains { $0.hasPrefix("m/b.yaml:4:19: invalid schedule \"garbage\"") })
        #expect(lines.last == "4 errors in the manifests", "\(lines)")
        let ok = try CLI.run(["validate", "examples/quickstart"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("plan, apply, plan: exit codes 2 then 0; secrets never printed in any format")
    func planApplySecrets() throws {
        let w = try Workspace()
        w.env["PROXY_PASSWORD"] = "hunter2-proxy"
        try w.write("basic-auth.txt", "hunter2-basic\n")
        try w.write("m.yaml", secretManifest)
        var outputs: [String] = []
        for format in ["human", "json", "markdown"] {
            let p = try w.run(["plan", "--format", format, "--detailed-exitcode", "m.yaml"])
            #expect(p.status == 2, "\(format): \(p.stderr)")
            outputs.append(p.stdout + p.stderr)
        }
        #expect(outputs[0].contains("Plan: 3 to create, 0 to update, 0 to replace, 0 to delete."))
        #expect(outputs[0].contains("+ importer.config.proxy_password = (sensitive value)"))
        let json = try JSONValue.parse(outputs[1])
        #expect(json["format_version"] == "1.0")
        #expect(json["summary"]?["create"] == 3)
        #expect(json["resource_changes"]?.arrayValue?.first?["change"]?["actions"] == ["create"])
        #expect(outputs[2].hasPrefix("### pulpform plan"))
        let apply = try w.run(["apply", "--auto-approve", "m.yaml"])
        #expect(apply.status == 0, "\(apply.stderr)")
        outputs.append(apply.stdout + apply.stderr)
        let applyJSON = try w.run(["apply", "--auto-approve", "--format", "json", "m.yaml"])
        #expect(applyJSON.status == 0)
        outputs.append(applyJSON.stdout + applyJSON.stderr)
        let again = try w.run(["plan", "--detailed-exitcode", "m.yaml"])
        #expect(again.status == 0, "\(again.stdout)")
        #expect(again.stdout.contains("No changes."))
        // The secret reached the store, and no output ever showed it.
        let secret = try w.pulp().store.importerSecret("zoo", "basic_auth_password")
        #expect(StoreSecrets.isSealed(secret.stored ?? .null) && secret.clear == "hunter2-basic", "sealed in the store: \(String(describing: secret.stored))")
        for o in outputs + [again.stdout, again.stderr] { #expect(!o.contains("hunter2"), "\(o)") }
        // A rotated secret is a masked update.
        w.env["PROXY_PASSWORD"] = "hunter2-rotated"
        let rotated = try w.run(["plan", "--detailed-exitcode", "m.yaml"])
        #expect(rotated.status == 2)
        #expect(rotated.stdout.contains("~ importer.config.proxy_password = (sensitive value)"))
        #expect(!rotated.stdout.contains("hunter2"))
    }

    @Test("drift: 0 in sync, 2 pending, 3 changed outside, 5 both; junit; read-only")
    func drift() async throws {
        let w = try Workspace()
        w.env["PROXY_PASSWORD"] = "p"
        try w.write("basic-auth.txt", "b")
        try w.write("m.yaml", secretManifest)
        #expect(try w.run(["apply", "--auto-approve", "m.yaml"]).status == 0)
        let inSync = try w.run(["drift", "m.yaml"])
        #expect(inSync.status == 0, "\(inSync.stdout)\(inSync.stderr)")
        #expect(inSync.stdout.contains("In sync: 2 objects"))

        try w.write("m2.yaml", secretManifest.replacingOccurrences(of: "emu/}", with: "emu2/}"))
        let pending = try w.run(["drift", "m2.yaml"])
        #expect(pending.status == 2)
        #expect(pending.stdout.contains("pending: repository.emu"))

        // Someone changes zoo's distributor outside pulpform.
        let pulp = try w.pulp()
        _ = try await pulp.waitForTasks(try await pulp.updateDistributor(
            repoId: "zoo", distributorId: "yum", DistributorUpdate(config: ["relative_url": "elsewhere"])).spawnedTasks, followSpawned: true)
        let outside = try w.run(["drift", "m.yaml"])
        #expect(outside.status == 3, "\(outside.stdout)")
        #expect(outside.stdout.contains("outside: repository.zoo"))
        #expect(try w.run(["plan", "--detailed-exitcode", "m.yaml"]).status == 3)
        let both = try w.run(["drift", "m2.yaml"])
        #expect(both.status == 5)
        let junit = try w.run(["drift", "--format", "junit", "m2.yaml"])
        #expect(junit.status == 5)
        #expect(junit.stdout.contains("<testsuite name=\"pulpform drift\" tests=\"2\" failures=\"2\""))
        #expect(junit.stdout.contains("<failure type=\"outside\""))
        // zoo changed outside and emu pending: both kinds at once is 5 as well.
        try w.write("m3.yaml", secretManifest.replacingOccurrences(of: "relative_url: zoo,", with: "relative_url: zoo3,"))
        #expect(try w.run(["drift", "m3.yaml"]).status == 5, "recorded ≠ actual ≠ desired")
        #expect(try w.run(["plan", "--detailed-exitcode", "m3.yaml"]).status == 5, "plan uses drift's codes")
        #expect(try w.run(["plan", "m3.yaml"]).status == 0, "without --detailed-exitcode, changes are success")
        try w.write("broken.yaml", "repositories:\n  - id: [x]\n")
        let broken = try w.run(["plan", "broken.yaml"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("broken.yaml:2:9: id must be a string, not a list"))
        #expect(try w.run(["drift", "broken.yaml"]).status == 1)
        // drift wrote nothing.
        let before = try PulpStore(path: w.db).dump()
        _ = try w.run(["drift", "m3.yaml"])
        #expect(try PulpStore(path: w.db).dump() == before)
        #expect(try w.run(["drift", "--store", w.tmp.path("none.db"), "m.yaml"]).status == 1)
    }

    @Test("apply asks on a terminal only; without a terminal it needs --auto-approve")
    func approval() throws {
        let w = try Workspace()
        try w.write("m.yaml", "repositories:\n  - id: a\n")
        let r = try w.run(["apply", "m.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--auto-approve"))
        #expect(try w.pulp().store.readSync { db in try db.repositories() }.isEmpty)
    }

    @Test("a second apply fails at once and names the lock holder")
    func lock() throws {
        let w = try Workspace()
        try w.write("m.yaml", "repositories:\n  - id: a\n")
        // Hold the lock as another apply would: an exclusive flock on the lock file, naming the holder.
        let fd = open(w.db + ".lock", O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let holderText = "pid 4242 on ci-runner since 2026-11-22T00:00:00Z\n"
        _ = holderText.withCString { write(fd, $0, strlen($0)) }
        let r = try w.run(["apply", "--auto-approve", "m.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("another apply holds the lock"))
        #expect(r.stderr.contains("pid 4242 on ci-runner"))
        flock(fd, LOCK_UN)
        close(fd)
        #expect(try w.run(["apply", "--auto-approve", "m.yaml"]).status == 0)
    }
}

@Suite("saved plans, show and tasks")
struct SavedPlanCLITests {
    static let two = """
        repositories:
          - id: a
            importer:
              type: yum_importer
              config: {feed: https://x/a/, proxy_password: {env: PROXY_PASSWORD}}
          - id: b
            importer: {type: iso_importer, config: {feed: https://x/b/}}
        """

    @Test("a saved plan holds no secret, survives an unrelated write, and is refused with 4 when stale")
    func savedPlans() async throws {
        let w = try Workspace()
        w.env["PROXY_PASSWORD"] = "hunter2-saved"
        try w.write("m.yaml", Self.two)
        let plan = try w.run(["plan", "--out", "first.plan", "m.yaml"])
        #expect(plan.status == 0)
        let file = try String(contentsOfFile: w.tmp.path("first.plan"), encoding: .utf8)
        #expect(!file.contains("hunter2"))
        #expect(file.contains("PROXY_PASSWORD"), "the reference, not the value")
        // An unrelated write: another repository appears.
        _ = try await w.pulp().createRepository(RepositoryCreate(id: "unrelated"))
        let apply = try w.run(["apply", "first.plan"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(try w.pulp().store.importerSecret("a", "proxy_password").clear == "hunter2-saved")
        // A plan to change a and b, then a changes under it.
        try w.write("m.yaml", Self.two.replacingOccurrences(of: "x/a/", with: "x/a2/").replacingOccurrences(of: "x/b/", with: "x/b2/"))
        #expect(try w.run(["plan", "--out", "second.plan", "m.yaml"]).status == 0)
        let pulp = try w.pulp()
        _ = try await pulp.waitForTasks(try await pulp.updateImporter(repoId: "b", importerId: "iso_importer",
                                                                     config: ["max_downloads": 2]).spawnedTasks, followSpawned: true)
        let stale = try w.run(["apply", "second.plan"])
        #expect(stale.status == 4)
        #expect(stale.stderr.contains("stale: repository.b changed since the plan was made"))
        #expect(!stale.stderr.contains("repository.a changed"))
        #expect(try await pulp.importer(repoId: "a", importerId: "yum_importer").config["feed"] == "https://x/a/", "nothing applied")
        // A plan whose new repository appeared meanwhile is stale too.
        try w.write("new.yaml", "repositories:\n  - id: fresh\n")
        #expect(try w.run(["plan", "--out", "third.plan", "new.yaml"]).status == 0)
        _ = try await pulp.createRepository(RepositoryCreate(id: "fresh"))
        let created = try w.run(["apply", "third.plan"])
        #expect(created.status == 4)
        #expect(created.stderr.contains("stale: repository.fresh was created since the plan was made"))
        // Garbage is a clear error.
        try w.write("junk.plan", "{\"kind\": \"something else\"}")
        let junk = try w.run(["apply", "junk.plan"])
        #expect(junk.status == 1)
        #expect(junk.stderr.contains("not a pulpform plan file"))
    }

    @Test("show and tasks print the state and recent tasks")
    func showAndTasks() throws {
        let w = try Workspace()
        w.env["PROXY_PASSWORD"] = "p"
        try w.write("m.yaml", Self.two)
        #expect(try w.run(["apply", "--auto-approve", "m.yaml"]).status == 0)
        try w.write("m.yaml", Self.two.replacingOccurrences(of: "x/b/", with: "x/b2/"))
        #expect(try w.run(["apply", "--auto-approve", "m.yaml"]).status == 0)
        let show = try w.run(["show"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("REPOSITORY"))
        #expect(show.stdout.contains("a  ") && show.stdout.contains("yum_importer"))
        #expect(show.stdout.contains("2 repositories"))
        let json = try JSONValue.parse(try w.run(["show", "--format", "json"]).stdout)
        #expect(json.arrayValue?.count == 2)
        #expect(json.arrayValue?.first?["managed"] == true)
        let tasks = try w.run(["tasks"])
        #expect(tasks.status == 0)
        #expect(tasks.stdout.contains("finished"))
        #expect(tasks.stdout.contains("update_importer_config"))
        #expect(try w.run(["tasks", "--state", "nope"]).status != 0)
    }
}
