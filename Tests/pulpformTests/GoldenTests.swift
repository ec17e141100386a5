import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore

/// Every renderer's output, compared with the files in `Tests/pulpformTests/Golden/`: the human, markdown and
/// JSON plans of a create and of an update, and the drift report as text, JSON and JUnit.
/// `PULPFORM_RECORD=1 swift test --filter GoldenTests` writes them anew; review the diff before committing.
@Suite("golden files")
struct GoldenTests {
    static let dir = CLI.packageRoot.appendingPathComponent("Tests/pulpformTests/Golden")
    static let recording = ProcessInfo.processInfo.environment["PULPFORM_RECORD"] == "1"

    /// Compares `text` (with the temporary directory's path replaced by `<tmp>`) with the golden file `name`.
    func expectGolden(_ text: String, _ name: String, tmp: TempDir, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let normalized = text.replacingOccurrences(of: tmp.url.path, with: "<tmp>")
        let file = Self.dir.appendingPathComponent(name)
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.dir, withIntermediateDirectories: true)
            try Data(normalized.utf8).write(to: file)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record("no golden file \(name): run PULPFORM_RECORD=1 swift test --filter GoldenTests", sourceLocation: sourceLocation)
            return
        }
        if expected != normalized {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let b = normalized.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record("""
                \(name) differs from its golden file at line \(i + 1):
                  golden: \(i < a.count ? String(a[i].prefix(300)) : "<end>")
                  now:    \(i < b.count ? String(b[i].prefix(300)) : "<end>")
                (PULPFORM_RECORD=1 writes it anew)
                """, sourceLocation: sourceLocation)
        }
    }

    @Test("plans (human, markdown, JSON) and drift (human, JSON, JUnit) render as their golden files")
    func renderers() async throws {
        let tmp = try TempDir()
        let manifests = tmp.path("manifests")
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        let source = CLI.packageRoot.appendingPathComponent("examples/quickstart/repositories.yaml")
        try FileManager.default.copyItem(atPath: source.path, toPath: manifests + "/repositories.yaml")
        let env = ["PULPFORM_DB": tmp.path("pulpform.db")]
        func run(_ args: [String], status: Int32) throws -> String {
            let r = try CLI.run(args, environment: env, cwd: tmp.url)
            #expect(r.status == status, "\(args): \(r.stderr.suffix(500))")
            return r.stdout
        }
        try expectGolden(try run(["plan", "manifests"], status: 0), "plan-create.txt", tmp: tmp)
        try expectGolden(try run(["plan", "--format", "markdown", "manifests"], status: 0), "plan-create.md", tmp: tmp)
        try expectGolden(try run(["plan", "--format", "json", "manifests"], status: 0), "plan-create.json", tmp: tmp)
        _ = try run(["apply", "--auto-approve", "manifests"], status: 0)

        // A change made outside pulpform, and one in the manifests.
        let store = try PulpStore(path: tmp.path("pulpform.db"))
        _ = try await LocalPulp(store: store).updateRepository("zoo", RepositoryUpdate(delta: ["display_name": "Renamed by hand"]))
        let text = try String(contentsOfFile: manifests + "/repositories.yaml", encoding: .utf8)
        try Data(text.replacingOccurrences(of: "num_units: \"10\"", with: "num_units: \"20\"").utf8)
            .write(to: URL(fileURLWithPath: manifests + "/repositories.yaml"))

        try expectGolden(try run(["plan", "manifests"], status: 0), "plan-update.txt", tmp: tmp)
        try expectGolden(try run(["plan", "--format", "markdown", "manifests"], status: 0), "plan-update.md", tmp: tmp)
        try expectGolden(try run(["plan", "--format", "json", "manifests"], status: 0), "plan-update.json", tmp: tmp)
        try expectGolden(try run(["drift", "manifests"], status: 5), "drift.txt", tmp: tmp)
        try expectGolden(try run(["drift", "--format", "json", "manifests"], status: 5), "drift.json", tmp: tmp)
        try expectGolden(try run(["drift", "--format", "junit", "manifests"], status: 5), "drift.xml", tmp: tmp)
    }
}
