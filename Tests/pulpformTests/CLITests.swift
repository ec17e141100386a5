import Foundation
import Testing
import PulpformTestKit

/// Runs the built `pulpform` binary, as a user would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The binary next to the test bundle (`.build/<config>/pulpform`).
    static func binary() throws -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("pulpform")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw CLIError(message: "pulpform binary not found near \(CommandLine.arguments[0]); run `swift build` first")
    }

    struct CLIError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The package root, for the shipped examples.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ args: [String], environment: [String: String] = [:], cwd: URL? = nil) throws -> Result {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = cwd ?? packageRoot
        // Files, not pipes: a child that fills one pipe while we drain the other would hang.
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("pulpform-out-\(UUID().uuidString)")
        let errURL = dir.appendingPathComponent("pulpform-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let o = (try? Data(contentsOf: outURL)) ?? Data()
        let e = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

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
        #expect(status.stdout.contains("\"migrations\":[\"v1-resources\",\"v1-tasks\",\"v2-reconciler-state\",\"v3-content-hash\",\"v4-content-hash-triggers\"]"))
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
