import Foundation
import Testing
import PulpformTestKit

@Suite("import --update through the binary")
struct ImportUpdateCLITests {
    @Test("import --update rewrites only the values the target changed (accepted or not), keeping comments and layout; drift then exits 0")
    func rewrite() throws {
        let tmp = try TempDir("pulpform-import-update")
        let server = try ServeProcess(store: tmp.path("served.db"))
        let base = "http://127.0.0.1:\(server.port)/"
        let target = ["--target", base, "--state", tmp.path("state.json")]
        let file = tmp.path("estate.yaml")
        let original = """
            # The zoo estate.
            repositories:
              - id: zoo              # the main one
                display_name: Zoo
                description: "Animals"
                importer:
                  type: yum_importer
                  config:
                    feed: https://cdn.example.com/zoo/   # rotated by the CDN team

                notes: {owner: ops}
              - id: emu
                importer: {type: yum_importer, config: {feed: "https://cdn.example.com/emu/"}}
            consumers:
              - {id: web1, display_name: Web one}

            """
        try original.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["apply", "--auto-approve"] + target + [file]).status == 0)
        func put(_ path: String, _ body: String) throws { #expect(["200", "202"].contains(try apiPut(base, path, body)), "\(path)") }
        try put("repositories/zoo/", #"{"delta": {"display_name": "Renamed by hand", "notes": {"owner": "team-b", "tier": "gold"}}}"#)
        try put("repositories/zoo/importers/yum_importer/", #"{"importer_config": {"feed": "https://mirror.example.com/zoo/"}}"#)
        try put("repositories/emu/importers/yum_importer/", #"{"importer_config": {"feed": "https://mirror.example.com/emu/"}}"#)
        try put("consumers/web1/", #"{"delta": {"display_name": "Web 1"}}"#)
        #expect(try CLI.run(["drift"] + target + [file]).status == 3)
        // One object accepted first; the others not: both kinds are written back.
        #expect(try CLI.run(["apply", "--accept-drift", "--auto-approve", "--only", "zoo"] + target + [file]).status == 0)

        let update = try CLI.run(["import", "--update"] + target + [file])
        #expect(update.status == 0, "\(update)")
        #expect(update.stdout.contains("\(file):4:19: repository.zoo: display_name updated"), "\(update.stdout)")
        #expect(update.stdout.contains("Updated 6 fields of 3 objects in 1 file."), "\(update.stdout)")
        let expected = """
            # The zoo estate.
            repositories:
              - id: zoo              # the main one
                display_name: Renamed by hand
                description: "Animals"
                importer:
                  type: yum_importer
                  config:
                    feed: https://mirror.example.com/zoo/   # rotated by the CDN team

                notes: {owner: team-b, tier: gold}
              - id: emu
                importer: {type: yum_importer, config: {feed: "https://mirror.example.com/emu/"}}
            consumers:
              - {id: web1, display_name: Web 1}

            """
        #expect(try String(contentsOfFile: file, encoding: .utf8) == expected)
        let drift = try CLI.run(["drift"] + target + [file])
        #expect(drift.status == 0, "\(drift)")
        #expect(try CLI.run(["plan", "--detailed-exitcode"] + target + [file]).status == 0)
        // Nothing left to write: a second run changes nothing.
        let again = try CLI.run(["import", "--update"] + target + [file])
        #expect(again.status == 0 && again.stdout.contains("Updated 0 fields of 0 objects in 0 files."), "\(again)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == expected)
        #expect(server.stop() == 0)
    }
}
