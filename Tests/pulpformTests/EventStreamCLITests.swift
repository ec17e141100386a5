import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

@Suite("--format jsonl through the binary")
struct EventStreamCLITests {
    func events(_ stdout: String) throws -> [JSONValue] {
        try stdout.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
    }

    func types(_ events: [JSONValue]) -> [String] { events.compactMap { $0["type"]?.stringValue } }

    @Test("plan, apply and drift stream events that validate against schemas/events.schema.json, with no secret in them")
    func streamValidates() throws {
        let tmp = try TempDir("pulpform-jsonl")
        var env = exampleEnvironment
        env["PULPFORM_DB"] = tmp.path("p.db")
        try """
            repositories:
              - id: harness
                importer: {type: harness_importer, config: {num_units: "2"}, sync_after_create: true}
              - id: broken
                importer: {type: yum_importer, config: {feed: "file:///nonexistent/feed/"}, sync_after_create: true}
            """.write(toFile: tmp.path("extra.yaml"), atomically: true, encoding: .utf8)
        let paths = ["examples/rhui", tmp.path("extra.yaml")]
        var all: [JSONValue] = []

        let plan = try CLI.run(["plan", "--format", "jsonl"] + paths, environment: env)
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = try events(plan.stdout)
        #expect(types(planned).first == "version" && types(planned).last == "change_summary")
        #expect(types(planned).filter { $0 == "planned_change" }.count > 5)
        all += planned

        let apply = try CLI.run(["apply", "--format", "jsonl", "--auto-approve"] + paths, environment: env)
        #expect(apply.status == 1, "the broken feed fails its sync: \(apply.stderr)")
        let applied = try events(apply.stdout)
        let kinds = Set(types(applied))
        #expect(kinds.isSuperset(of: ["version", "planned_change", "apply_start", "apply_progress", "apply_complete", "apply_errored",
                                      "change_summary"]), "\(kinds)")
        #expect(applied.last?["changes"]?["succeeded"] == false && applied.last?["changes"]?["failed"] == 1)
        #expect(applied.contains { $0["type"] == "apply_errored" && $0["hook"]?["resource"]?["addr"] == "repository.broken.sync" })
        all += applied

        let drift = try CLI.run(["drift", "--format", "jsonl"] + paths, environment: env)
        let drifted = try events(drift.stdout)
        #expect(types(drifted).first == "version" && types(drifted).last == "change_summary", "\(drift)")
        all += drifted

        try "repositories:\n  - id: bad id\n    importer: {type: nope}\n".write(toFile: tmp.path("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["plan", "--format", "jsonl", tmp.path("bad.yaml")], environment: env)
        let diagnostics = try events(bad.stdout)
        #expect(bad.status == 1 && types(diagnostics) == ["version", "diagnostic", "diagnostic"], "\(bad)")
        #expect(diagnostics.last?["diagnostic"]?["range"]?["start"]?["line"] == 3)
        all += diagnostics

        for output in [plan.stdout, apply.stdout, drift.stdout] { #expect(!output.contains("example-proxy-password")) }
        let (status, report) = try checkSchema("schemas/events.schema.json", all)
        #expect(status == 0, "\(report)")
        // The check can fail: an event with a type the schema does not know.
        let (rejected, _) = try checkSchema("schemas/events.schema.json", [["@level": "info", "@message": "", "@module": "pulpform",
                                                                            "@timestamp": "2026-01-01T00:00:00Z", "type": "planned"]])
        #expect(rejected == 1)
    }
}
