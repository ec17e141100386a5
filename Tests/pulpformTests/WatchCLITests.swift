import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

@Suite("pulpform watch and serve --manifests through the binary")
struct WatchCLITests {
    static let manifest = """
        repositories:
          - id: zoo
            display_name: Zoo
            importer: {type: yum_importer, config: {feed: "https://cdn.example.com/zoo/"}}
          - id: emu
        """

    static func metrics(_ port: Int) throws -> String { try curl(["-s", "http://127.0.0.1:\(port)/metrics"]).out }

    static func put(_ base: String, _ path: String, _ body: String) throws { #expect(try apiPut(base, path, body) == "200", "\(path)") }

    @Test("watch reports drift and changes nothing; watch --self-heal reverts an API change by the next run; /metrics counts before and after; SIGTERM stops with 0")
    func reportThenHeal() throws {
        let tmp = try TempDir("pulpform-watch")
        let server = try ServeProcess(store: tmp.path("served.db"))
        let base = "http://127.0.0.1:\(server.port)/"
        let target = ["--target", base, "--state", tmp.path("state.json")]
        let file = tmp.path("m.yaml")
        try Self.manifest.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["apply", "--auto-approve"] + target + [file]).status == 0)

        // Reporting only.
        let watch = try BackgroundCLI(["watch", "--interval", "300ms", "--metrics-address", "127.0.0.1:0"] + target + [file])
        let port = try #require(watch.port(after: "metrics on http://127.0.0.1:"), "\(watch.stderr)")
        #expect(watch.wait { watch.stdout.contains("in sync: 2 objects match the manifests") }, "\(watch.stdout)\(watch.stderr)")
        var m = try Self.metrics(port)
        #expect(metricValue(m, "pulpform_objects{state=\"in_sync\"}") == 2 && metricValue(m, "pulpform_objects{state=\"drifted\"}") == 0, "\(m)")
        try Self.put(base, "repositories/zoo/", "{\"delta\": {\"display_name\": \"Renamed by hand\"}}")
        #expect(watch.wait { watch.stdout.contains("drift: repository.zoo: changed outside pulpform since the last apply") }, "\(watch.stdout)")
        #expect(watch.wait { (try? Self.metrics(port)).flatMap { metricValue($0, "pulpform_objects{state=\"drifted\"}") } == 1 })
        m = try Self.metrics(port)
        #expect(metricValue(m, "pulpform_objects{state=\"in_sync\"}") == 1, "\(m)")
        #expect(metricValue(m, "pulpform_reconcile_runs_total{result=\"applied\"}") == 0, "\(m)")
        #expect(watch.stdout.contains("Not applied: --self-heal applies the plan (1 change)."), "\(watch.stdout)")
        // The report is news once, not every interval.
        #expect(watch.stdout.components(separatedBy: "drift: repository.zoo").count == 2, "\(watch.stdout)")
        #expect(watch.stop() == 0)
        #expect(watch.stderr.contains("pulpform watch: stopped"), "\(watch.stderr)")
        #expect(try curl(["\(base)pulp/api/v2/repositories/zoo/"]).out.contains("\"display_name\":\"Renamed by hand\""), "reporting changes nothing")

        // Self-heal: the change already there is put back by the first run; one made later, by the next.
        let heal = try BackgroundCLI(["watch", "--self-heal", "--interval", "1s", "--metrics-address", "127.0.0.1:0"] + target + [file])
        let healPort = try #require(heal.port(after: "metrics on http://127.0.0.1:"), "\(heal.stderr)")
        #expect(heal.wait { heal.stdout.contains("run 1: drift: repository.zoo") && heal.stdout.contains("run 1: self-heal applied: 2 steps finished, 0 failed") },
                "\(heal.stdout)\(heal.stderr)")
        #expect(try curl(["\(base)pulp/api/v2/repositories/zoo/"]).out.contains("\"display_name\":\"Zoo\""))
        let runsBefore = try #require(metricValue(try Self.metrics(healPort), "pulpform_reconcile_runs_total{result=\"in_sync\"}")
            .flatMap { v in metricValue(try Self.metrics(healPort), "pulpform_reconcile_runs_total{result=\"applied\"}").map { v + $0 } })
        try Self.put(base, "repositories/zoo/", "{\"delta\": {\"display_name\": \"Again by hand\"}}")
        let changed = Date()
        #expect(heal.wait(timeout: 30) { heal.stdout.components(separatedBy: "self-heal applied").count == 3 }, "\(heal.stdout)")
        let healedAfter = Date().timeIntervalSince(changed)
        #expect(try curl(["\(base)pulp/api/v2/repositories/zoo/"]).out.contains("\"display_name\":\"Zoo\""))
        // Within two intervals, counted in runs: the run that healed is at most two after the last one before the change.
        let healedRun = heal.stdout.split(separator: "\n").filter { $0.contains("self-heal applied") }.last
            .flatMap { line in line.range(of: " run ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) } } ?? nil
        #expect(healedRun.map { Double($0) <= runsBefore + 2 } == true, "healed at run \(String(describing: healedRun)), \(runsBefore) runs before the change; \(healedAfter) s")
        m = try Self.metrics(healPort)
        #expect(metricValue(m, "pulpform_objects{state=\"in_sync\"}") == 2 && metricValue(m, "pulpform_objects{state=\"drifted\"}") == 0, "\(m)")
        #expect(metricValue(m, "pulpform_objects_healed_total") == 2, "\(m)")
        #expect(metricValue(m, "pulpform_reconcile_runs_total{result=\"applied\"}") == 2, "\(m)")
        #expect(metricValue(m, "pulpform_apply_failed_steps_total") == 0 && metricValue(m, "pulpform_apply_duration_seconds_count") == 2, "\(m)")
        #expect((metricValue(m, "pulpform_last_successful_apply_timestamp_seconds") ?? 0) > Date().timeIntervalSince1970 - 600, "\(m)")
        #expect(m.contains("pulpform_last_successful_apply_info{revision=\"\",source=\"\(file)\"} 1"), "\(m)")
        #expect(heal.stop() == 0)
        #expect(server.stop() == 0)
    }

    static func git(_ args: [String], in dir: String) throws {
        let r = try runTool(["git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"] + args)
        #expect(r.status == 0, "git \(args): \(r)")
    }

    static func head(_ dir: String) throws -> String {
        try runTool(["git", "-C", dir, "rev-parse", "HEAD"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("serve --manifests follows a file:// git repository: applies each pushed revision, records it, reverts API changes; /metrics has the controller's, the requests' and the tasks' figures")
    func serveFollowsGit() throws {
        let tmp = try TempDir("pulpform-watch-git")
        let bare = tmp.path("manifests.git")
        let work = tmp.path("work")
        #expect(try runTool(["git", "init", "--quiet", "--bare", "--initial-branch=main", bare]).status == 0)
        #expect(try runTool(["git", "clone", "--quiet", bare, work]).status == 0)
        try FileManager.default.createDirectory(atPath: work + "/pulp", withIntermediateDirectories: true)
        try Self.manifest.write(toFile: work + "/pulp/repos.yaml", atomically: true, encoding: .utf8)
        try "not manifests\n".write(toFile: work + "/README", atomically: true, encoding: .utf8)
        try Self.git(["add", "-A"], in: work)
        try Self.git(["commit", "--quiet", "-m", "two repositories"], in: work)
        try Self.git(["push", "--quiet", "origin", "HEAD:main"], in: work)
        let first = try Self.head(work)

        let server = try ServeProcess(store: tmp.path("s.db"), extra: [
            "--manifests", "file://" + bare, "--branch", "main", "--path", "pulp", "--checkout-dir", tmp.path("checkout"),
            "--self-heal", "--interval", "300ms",
        ])
        let base = "http://127.0.0.1:\(server.port)/"
        func repo(_ id: String) throws -> String { try curl(["-s", "\(base)pulp/api/v2/repositories/\(id)/"]).out }
        func metrics() throws -> String { try curl(["-s", "\(base)metrics"]).out }
        #expect(waitUntil { (try? repo("emu"))?.contains("\"id\":\"emu\"") == true }, "\(server.output)")
        #expect(server.output.contains("at \(first.prefix(12)): self-heal applied"), "\(server.output)")
        #expect(waitUntil { (try? metrics())?.contains("pulpform_last_successful_apply_info{revision=\"\(first)\"") == true },
                "\((try? metrics()) ?? "")")

        // A pushed commit is applied at its revision.
        try (Self.manifest + "\n  - id: kiwi\n").write(toFile: work + "/pulp/repos.yaml", atomically: true, encoding: .utf8)
        try Self.git(["commit", "--quiet", "-am", "kiwi"], in: work)
        try Self.git(["push", "--quiet", "origin", "HEAD:main"], in: work)
        let second = try Self.head(work)
        #expect(waitUntil { (try? repo("kiwi"))?.contains("\"id\":\"kiwi\"") == true }, "\(server.output)")
        #expect(waitUntil { (try? metrics())?.contains("pulpform_last_successful_apply_info{revision=\"\(second)\"") == true })
        #expect(server.output.contains("at \(second.prefix(12)): self-heal applied"), "\(server.output)")

        // A change through the API is put back.
        try Self.put(base, "repositories/zoo/", "{\"delta\": {\"display_name\": \"Renamed by hand\"}}")
        #expect(waitUntil { (try? repo("zoo"))?.contains("\"display_name\":\"Zoo\"") == true }, "\(server.output)")
        // A repository deleted through the API (a task) is made again.
        let deleted = try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "\(base)pulp/api/v2/repositories/emu/"])
        #expect(deleted.out == "202", "\(deleted)")
        #expect(waitUntil { server.output.contains("repository.emu: declared but not created") && server.output.components(separatedBy: "self-heal applied").count >= 5 },
                "\(server.output)")
        #expect(try repo("emu").contains("\"id\":\"emu\""))
        let m = try metrics()
        #expect(metricValue(m, "pulpform_objects{state=\"in_sync\"}") == 3, "\(m)")
        #expect((metricValue(m, "pulpform_objects_healed_total") ?? 0) >= 1, "\(m)")
        #expect(m.contains("hb_requests{http_route=\"/pulp/api/v2/repositories/{repo_id}\",http_request_method=\"PUT\",http_response_status_code=\"200\"}"), "\(m)")
        #expect(m.contains("http_server_request_duration_bucket"), "\(m)")
        #expect(m.contains("pulpform_tasks_running "), "\(m)")
        #expect(metricValue(m, "pulpform_tasks_total{type=\"delete\",state=\"finished\"}") == 1, "\(m)")
        #expect(m.contains("pulpform_task_duration_seconds_count{type=\"delete\"} 1"), "\(m)")
        #expect(server.stop() == 0)
    }

    @Test("watch on broken manifests fails each run with file:line:column, backs off (doubling up to --max-backoff), and --max-runs exits 1 after a failed run")
    func backoff() throws {
        let tmp = try TempDir("pulpform-watch-backoff")
        let file = tmp.path("m.yaml")
        try "repositories:\n  - id: zoo\n    colour: blue\n".write(toFile: file, atomically: true, encoding: .utf8)
        let watch = try BackgroundCLI(["watch", "--self-heal", "--store", tmp.path("s.db"), "--interval", "200ms", "--max-backoff", "400ms", "--max-runs", "3", file])
        #expect(watch.waitForExit() == 1, "\(watch.stdout)\(watch.stderr)")
        let out = watch.stdout
        #expect(out.contains("run 1: \(file):3:5: unknown key"), "\(out)")
        #expect(out.contains("run 1: failed; next run in 400 ms") && out.contains("run 2: failed; next run in 400 ms (2 failures in a row)"), "\(out)")
        #expect(out.contains("run 3: 1 error in the manifests"), "\(out)")
    }
}
