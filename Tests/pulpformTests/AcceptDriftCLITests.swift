import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

@Suite("--accept-drift through the binary")
struct AcceptDriftCLITests {
    @Test("--accept-drift makes the next drift exit 0 without changing the target; the acceptance lapses when the manifests move")
    func acceptDrift() throws {
        let tmp = try TempDir("pulpform-accept")
        let server = try ServeProcess(store: tmp.path("served.db"))
        let base = "http://127.0.0.1:\(server.port)/"
        let target = ["--target", base, "--state", tmp.path("state.json")]
        let file = tmp.path("m.yaml")
        let manifest = """
            repositories:
              - id: zoo
                display_name: Zoo
                importer: {type: yum_importer, config: {feed: "https://cdn.example.com/zoo/"}}
              - id: emu
            consumers:
              - {id: web1, display_name: Web one}
            """
        try manifest.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["apply", "--auto-approve"] + target + [file]).status == 0)
        func put(_ path: String, _ body: String) throws { #expect(try apiPut(base, path, body) == "200", "\(path)") }
        try put("repositories/zoo/", "{\"delta\": {\"display_name\": \"Renamed by hand\"}}")
        try put("consumers/web1/", "{\"delta\": {\"display_name\": \"Web 1\"}}")
        #expect(try CLI.run(["drift"] + target + [file]).status == 3)

        let preview = try CLI.run(["plan", "--accept-drift"] + target + [file])
        #expect(preview.status == 0 && preview.stdout.contains("~ display_name = \"Zoo\" -> \"Renamed by hand\"")
                && preview.stdout.contains("Accept: 2 objects"), "\(preview)")
        #expect(try CLI.run(["drift"] + target + [file]).status == 3, "a preview records nothing")
        let accepted = try CLI.run(["apply", "--accept-drift", "--auto-approve"] + target + [file])
        #expect(accepted.status == 0, "\(accepted)")

        let drift = try CLI.run(["drift"] + target + [file])
        #expect(drift.status == 0 && drift.stdout.contains("accepted: repository.zoo") && drift.stdout.contains("accepted: consumer.web1"),
                "\(drift)")
        #expect(try CLI.run(["plan", "--detailed-exitcode"] + target + [file]).status == 0, "no plan reverts an accepted change")
        #expect(try curl(["\(base)pulp/api/v2/repositories/zoo/"]).out.contains("\"display_name\":\"Renamed by hand\""), "the target is unchanged")

        // Once the manifests move, they are the record again: the plan brings the target to them, accepted fields too.
        try manifest.replacingOccurrences(of: "display_name: Zoo", with: "display_name: Zoo\n    description: the zoo")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let plan = try CLI.run(["plan", "--format", "json"] + target + [file])
        let paths = try JSONValue.parse(Data(plan.stdout.utf8))["resource_changes"]?.arrayValue?
            .flatMap { $0["change"]?["fields"]?.arrayValue ?? [] }.compactMap { $0["path"]?.stringValue }
        #expect(paths == ["display_name", "description"], "\(plan.stdout)")
        #expect(server.stop() == 0)
    }
}
