import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `PULPFORM_STATS`: what the benchmark reads to prove a plan wrote nothing.
@Suite("Run statistics")
struct StatsTests {
    func stats(_ path: String) throws -> JSONObject {
        let data = try #require(FileManager.default.contents(atPath: path), "no stats file at \(path)")
        return try #require(try JSONValue.parse(data).objectValue)
    }

    @Test("an apply reports the rows it wrote; the plan and drift after it write none")
    func rowsWritten() throws {
        let tmp = try TempDir()
        let example = CLI.packageRoot.appendingPathComponent("examples/quickstart").path
        let db = tmp.path("pulpform.db")
        let apply = try CLI.run(["apply", "--auto-approve", "--store", db, example], environment: ["PULPFORM_STATS": tmp.path("apply.json")])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect((try stats(tmp.path("apply.json"))["sqlite_rows_written"]?.intValue ?? 0) > 10)
        for (command, name) in [(["plan", "--detailed-exitcode"], "plan"), (["drift"], "drift")] {
            let r = try CLI.run(command + ["--store", db, example], environment: ["PULPFORM_STATS": tmp.path("\(name).json")])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try stats(tmp.path("\(name).json"))["sqlite_rows_written"] == 0, "\(name) must write nothing")
        }
    }
}
