import Foundation
import Testing
import PulpformTestKit

@Suite("ignore_changes through the binary")
struct IgnoreChangesCLITests {
    @Test("an ignored feed changed through the API shows no drift; a field that is not ignored does")
    func ignoredFeedNoDrift() throws {
        let tmp = try TempDir("pulpform-ignore")
        let server = try ServeProcess(store: tmp.path("served.db"))
        let base = "http://127.0.0.1:\(server.port)/"
        let target = ["--target", base, "--state", tmp.path("state.json")]
        try """
            repositories:
              - id: zoo
                ignore_changes: [importer.config.feed]
                importer: {type: yum_importer, config: {feed: "https://cdn.example.com/zoo/", remove_missing: true}}
            """.write(toFile: tmp.path("repos.yaml"), atomically: true, encoding: .utf8)
        let apply = try CLI.run(["apply", "--auto-approve"] + target + [tmp.path("repos.yaml")])
        #expect(apply.status == 0 && apply.stdout.contains("+ importer.config.feed = \"https://cdn.example.com/zoo/\""), "\(apply)")

        // The update is a task: wait until the importer reads back changed, so that the checks below see it.
        func put(_ config: String, until changed: String) throws {
            let r = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json",
                              "-d", "{\"importer_config\": \(config)}", "\(base)pulp/api/v2/repositories/zoo/importers/yum_importer/"])
            #expect(r.out == "202", "\(r)")
            var tries = 0
            while try !curl(["\(base)pulp/api/v2/repositories/zoo/importers/yum_importer/"]).out.contains(changed), tries < 100 {
                tries += 1
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        try put("{\"feed\": \"https://cdn-rotated.example.com/zoo/\"}", until: "cdn-rotated")
        let drift = try CLI.run(["drift"] + target + [tmp.path("repos.yaml")])
        #expect(drift.status == 0, "\(drift)")
        let plan = try CLI.run(["plan", "--detailed-exitcode"] + target + [tmp.path("repos.yaml")])
        #expect(plan.status == 0 && !plan.stdout.contains("feed"), "\(plan)")

        try put("{\"remove_missing\": false}", until: "\"remove_missing\":false")
        let drifted = try CLI.run(["drift"] + target + [tmp.path("repos.yaml")])
        #expect(drifted.status == 3 && drifted.stdout.contains("repository.zoo"), "\(drifted)")
        #expect(server.stop() == 0)
    }
}
