import Foundation
import Testing
import PulpformTestKit

@Suite("large plans through the binary")
struct LargePlanCLITests {
    @Test("a 20,000-repository plan: markdown under GitHub's 65,536 characters, human output grouped by kind, --full shows all")
    func twentyThousand() throws {
        let tmp = try TempDir("pulpform-large")
        let env = ["PULPFORM_DB": tmp.path("p.db")]
        var yaml = "repositories:\n"
        for i in 0..<20_000 {
            yaml += "  - {id: repo-\(i), importer: {type: yum_importer, config: {feed: \"https://cdn.example.com/\(i)/\"}}, "
                + "distributors: [{id: yum, type: yum_distributor, config: {relative_url: r\(i), http: false, https: true}}]}\n"
        }
        yaml += "consumers:\n  - {id: web1}\n"
        try yaml.write(toFile: tmp.path("m.yaml"), atomically: true, encoding: .utf8)

        let md = try CLI.run(["plan", "--format", "markdown", "--out", tmp.path("full.plan"), tmp.path("m.yaml")], environment: env)
        #expect(md.status == 0, "\(md.stderr)")
        #expect(md.stdout.count < 65_536, "\(md.stdout.count) characters")
        #expect(md.stdout.contains("**Plan: 20001 to create, 0 to update, 0 to replace, 0 to delete.** (20001 objects)"))
        #expect(md.stdout.contains("| repository | `+` create | 20000 |") && md.stdout.contains("<details><summary>20000 repositories will be created</summary>"))
        #expect(md.stdout.contains("+ repository.repo-0\n") && md.stdout.contains("left out to fit a comment"))
        #expect(md.stdout.contains("The full plan is in `\(tmp.path("full.plan"))`."), "\(md.stdout.suffix(400))")

        let human = try CLI.run(["plan", tmp.path("m.yaml")], environment: env)
        #expect(human.status == 0)
        #expect(human.stdout.contains("on 20001 objects, more than --max-detail 200") && human.stdout.contains("+ 20000 repositories will be created")
                && human.stdout.contains("repo-0, repo-1, repo-2") && human.stdout.contains("… and 19992 more")
                && human.stdout.contains("+ 1 consumer will be created"), "\(human.stdout.prefix(2000))")
        #expect(human.stdout.split(separator: "\n").count < 30)
        let grouped = try CLI.run(["plan", "--max-detail", "5", "--only", "repo-1?", tmp.path("m.yaml")], environment: env)
        #expect(grouped.stdout.contains("+ 10 repositories will be created") && !grouped.stdout.contains("+ repository.repo-19\n"))
        let full = try CLI.run(["plan", "--max-detail", "5", "--full", "--only", "repo-1?", tmp.path("m.yaml")], environment: env)
        #expect(full.stdout.contains("+ repository.repo-19\n") && full.stdout.contains("Plan: 10 to create"), "\(full.stdout)")
        let small = try CLI.run(["plan", "--max-detail", "30000", "--format", "markdown", "--only", "repo-1?", tmp.path("m.yaml")], environment: env)
        #expect(small.stdout.contains("| `+` | `repository.repo-19` | `POST /pulp/api/v2/repositories/` |"), "a small plan lists every step")
    }
}
