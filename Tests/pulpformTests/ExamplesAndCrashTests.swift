import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore
#if canImport(Glibc)
import Glibc
#endif

/// A generated manifest of `a × b` repositories, each with an importer, a distributor and a sync schedule
/// (and a publish schedule when asked).
func matrixManifest(a: Int, b: Int, publishSchedules: Bool = false) -> String {
    """
    defaults:
      importer:
        type: iso_importer
        config: {feed: "file:///nonexistent/cdn.example.com/iso/"}
      sync_schedules:
        - schedule: 2024-01-01T02:00:00Z/P1D
    matrix:
      - vars:
          a: [\((0..<a).map(String.init).joined(separator: ", "))]
          b: [\((0..<b).map(String.init).joined(separator: ", "))]
        repository:
          id: repo-${a}-${b}
          distributors:
            - id: iso
              type: iso_distributor
              config:
                relative_url: iso/${a}/${b}
    """ + (publishSchedules ? "\n          publish_schedules:\n            - schedule: PT12H\n" : "\n")
}

/// The environment each shipped example needs.
let exampleEnvironment = ["RHUI_PROXY_PASSWORD": "example-proxy-password"]

@Suite("examples and crashes")
struct ExamplesAndCrashTests {
    static var examples: [String] {
        let dir = CLI.packageRoot.appendingPathComponent("examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { name in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    @Test("the shipped examples are quickstart and rhui")
    func inventory() {
        #expect(Self.examples == ["quickstart", "rhui"])
    }

    @Test("every example validates, plans, applies, re-plans to no changes, and imports back", arguments: examples)
    func example(_ name: String) throws {
        let tmp = try TempDir()
        var env = exampleEnvironment
        env["PULPFORM_DB"] = tmp.path("pulpform.db")
        let path = "examples/\(name)"
        let validate = try CLI.run(["validate", path], environment: env)
        #expect(validate.status == 0, "\(validate.stderr)")
        let plan = try CLI.run(["plan", "--detailed-exitcode", path], environment: env)
        #expect(plan.status == 2, "\(plan.stderr)")
        let apply = try CLI.run(["apply", "--auto-approve", path], environment: env)
        #expect(apply.status == 0, "\(apply.stderr)")
        let again = try CLI.run(["plan", "--detailed-exitcode", path], environment: env)
        #expect(again.status == 0, "\(again.stdout)")
        #expect(try CLI.run(["drift", path], environment: env).status == 0)
        for o in [plan.stdout, apply.stdout, apply.stderr, again.stdout] { #expect(!o.contains("example-proxy-password")) }
        // import writes manifests that plan to no changes, once its {env:} secrets are set to the values.
        let imported = try CLI.run(["import", "--out", tmp.path("imported.yaml")], environment: env)
        #expect(imported.status == 0, "\(imported.stderr)")
        var importEnv = env
        for line in imported.stderr.split(separator: "\n") where line.hasPrefix("  PULPFORM_") {
            let name = String(line.dropFirst(2).prefix { $0 != ":" })
            importEnv[name] = name.hasSuffix("PROXY_PASSWORD") ? "example-proxy-password"
                : (try? String(contentsOfFile: CLI.packageRoot.appendingPathComponent("examples/rhui/certs/entitlement-key.pem").path, encoding: .utf8))?
                    .trimmingCharacters(in: .newlines)
        }
        let text = try String(contentsOfFile: tmp.path("imported.yaml"), encoding: .utf8)
        #expect(!text.contains("example-proxy-password"))
        #expect(!text.contains("ThisIsAnExamplePlaceholder"))
        let replan = try CLI.run(["plan", "--detailed-exitcode", tmp.path("imported.yaml")], environment: importEnv)
        #expect(replan.status == 0, "\(replan.stdout)\(replan.stderr)")
    }

    @Test("apply killed with SIGKILL half-way: running it again converges, nothing duplicated or lost")
    func sigkill() throws {
        let tmp = try TempDir()
        let manifest = matrixManifest(a: 40, b: 50, publishSchedules: true)
        try Data(manifest.utf8).write(to: tmp.url.appendingPathComponent("big.yaml"))
        let env = ["PULPFORM_DB": tmp.path("pulpform.db"), "NO_COLOR": "1"]

        let p = Process()
        p.executableURL = try CLI.binary()
        p.arguments = ["apply", "--auto-approve", "--parallelism", "2", tmp.path("big.yaml")]
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var seen = ""
        var finished = 0
        while finished < 400 {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            finished = seen.components(separatedBy: "finished: ").count - 1
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "killed mid-apply after \(finished) steps")
        let store = try PulpStore(path: tmp.path("pulpform.db"))
        let partial = try store.readSync { db in try db.repositories().count }
        #expect(partial > 0 && partial < 2000, "half-way: \(partial) of 2000 repositories")

        let again = try CLI.run(["apply", "--auto-approve", tmp.path("big.yaml")], environment: env)
        #expect(again.status == 0, "\(again.stderr.suffix(2000))")
        let replan = try CLI.run(["plan", "--detailed-exitcode", tmp.path("big.yaml")], environment: env)
        #expect(replan.status == 0, "\(replan.stdout.suffix(2000))")
        try store.readSync { db in
            let repos = try db.repositories()
            #expect(repos.count == 2000)
            #expect(Set(repos.map(\.id)).count == 2000)
            let schedules = try db.allSchedules()
            #expect(schedules.filter { $0.kind == .sync }.count == 2000, "one sync schedule each, none twice")
            #expect(schedules.filter { $0.kind == .publish }.count == 2000, "one publish schedule each, none twice")
            #expect(try db.allDistributors().count == 2000)
            #expect(repos.allSatisfy { $0.notes["pulpform_managed"] == "true" && $0.notes["pulpform_applied"] != nil })
            #expect(try db.tasks(inStates: [.waiting, .running]).isEmpty, "no task is left hanging")
        }
    }
}
