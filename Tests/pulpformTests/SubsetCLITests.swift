import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

@Suite("--only and --exclude through the binary")
struct SubsetCLITests {
    func manifest(_ name: String) -> String {
        """
        repositories:
          - {id: zoo, display_name: "\(name) zoo"}
          - {id: emu, display_name: "\(name) emu"}
          - {id: rhel-9-a, display_name: "\(name) a"}
          - {id: rhel-9-b, display_name: "\(name) b"}
        consumers:
          - {id: web1, display_name: "\(name) web1"}
        """
    }

    func addresses(_ planJSON: String) throws -> [String] {
        try JSONValue.parse(Data(planJSON.utf8))["resource_changes"]?.arrayValue?.compactMap { $0["address"]?.stringValue } ?? []
    }

    @Test("an --only plan touches only its subset and says it is partial; a saved partial plan applies only its subset")
    func onlySubset() throws {
        let tmp = try TempDir("pulpform-subset")
        let env = ["PULPFORM_DB": tmp.path("p.db")]
        let file = tmp.path("m.yaml")
        try manifest("old").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["apply", "--auto-approve", file], environment: env).status == 0)
        try manifest("new").write(toFile: file, atomically: true, encoding: .utf8)

        let json = try CLI.run(["plan", "--format", "json", "--only", "rhel-9-*", file], environment: env)
        #expect(json.status == 0, "\(json)")
        #expect(try addresses(json.stdout) == ["repository.rhel-9-a", "repository.rhel-9-b"])
        let v = try JSONValue.parse(Data(json.stdout.utf8))
        #expect(v["complete"] == false && v["subset"]?["only"] == ["rhel-9-*"])
        let human = try CLI.run(["plan", "--only", "consumer.*", file], environment: env)
        #expect(human.stdout.hasPrefix("Partial plan (--only 'consumer.*')") && human.stdout.contains("consumer.web1")
                && !human.stdout.contains("repository."), "\(human.stdout)")
        let full = try CLI.run(["plan", "--format", "json", file], environment: env)
        #expect(try JSONValue.parse(Data(full.stdout.utf8))["complete"] == true)

        let saved = try CLI.run(["plan", "--only", "rhel-9-*", "--exclude", "*-b", "--out", tmp.path("p.plan"), file], environment: env)
        #expect(saved.status == 0, "\(saved)")
        let applied = try CLI.run(["apply", tmp.path("p.plan")], environment: env)
        #expect(applied.status == 0 && applied.stdout.hasPrefix("Partial plan"), "\(applied)")
        let rest = try CLI.run(["plan", "--format", "json", file], environment: env)
        #expect(try addresses(rest.stdout) == ["repository.zoo", "repository.emu", "repository.rhel-9-b", "consumer.web1"])
        #expect(try CLI.run(["apply", "--only", "x", tmp.path("p.plan")], environment: env).status == 1,
                "a saved plan takes no subset of its own")

        // Drift and prune keep to the subset too.
        let drift = try CLI.run(["drift", "--format", "json", "--only", "zoo", "--only", "rhel-9-a", file], environment: env)
        let report = try JSONValue.parse(Data(drift.stdout.utf8))
        #expect(drift.status == 2 && report["checked"] == 2 && report["complete"] == false, "\(drift)")
        #expect(report["items"]?.arrayValue?.compactMap { $0["address"]?.stringValue } == ["repository.zoo"])
        try "repositories:\n  - {id: emu, display_name: new emu}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let pruned = try CLI.run(["apply", "--auto-approve", "--prune", "--exclude", "zoo", "--exclude", "consumer.*", file], environment: env)
        #expect(pruned.status == 0 && pruned.stdout.contains("- repository.rhel-9-a") && !pruned.stdout.contains("repository.zoo")
                && !pruned.stdout.contains("consumer.web1"), "\(pruned)")

        let imported = try CLI.run(["import", "--only", "*o*"], environment: env)
        #expect(imported.status == 0 && imported.stdout.contains("id: \"zoo\"") && !imported.stdout.contains("emu")
                && !imported.stdout.contains("web1"), "\(imported)")
    }
}
