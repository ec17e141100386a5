import Foundation
import Testing
import PulpformTestKit

@Suite("protect through the binary")
struct ProtectCLITests {
    @Test("a protected repository removed from the manifests is not deleted by plan or apply --prune; --allow-destroy lifts the guard for one run")
    func protectedNotDeleted() throws {
        let tmp = try TempDir("pulpform-protect")
        let env = ["PULPFORM_DB": tmp.path("p.db")]
        try "repositories:\n  - id: zoo\n    protect: true\n  - id: emu\n".write(toFile: tmp.path("all.yaml"), atomically: true, encoding: .utf8)
        try "repositories:\n  - id: emu\n".write(toFile: tmp.path("less.yaml"), atomically: true, encoding: .utf8)
        let apply = try CLI.run(["apply", "--auto-approve", tmp.path("all.yaml")], environment: env)
        #expect(apply.status == 0 && apply.stdout.contains("+ protect = true"), "\(apply)")

        let plan = try CLI.run(["plan", "--prune", tmp.path("less.yaml")], environment: env)
        #expect(plan.status == 1, "\(plan)")
        #expect(plan.stderr.contains("error: repository.zoo would be deleted, but repository.zoo is protected by its record on the target")
                && plan.stderr.contains("--allow-destroy zoo"), "\(plan.stderr)")
        let refused = try CLI.run(["apply", "--auto-approve", "--prune", tmp.path("less.yaml")], environment: env)
        #expect(refused.status == 1 && refused.stderr.contains("repository.zoo is protected"), "\(refused)")
        let still = try CLI.run(["import", "--id", "zoo"], environment: env)
        #expect(still.status == 0 && still.stdout.contains("- id: \"zoo\""), "not deleted: \(still)")

        let lifted = try CLI.run(["apply", "--auto-approve", "--prune", "--allow-destroy", "z*", tmp.path("less.yaml")], environment: env)
        #expect(lifted.status == 0 && lifted.stdout.contains("- repository.zoo"), "\(lifted)")
        #expect(try CLI.run(["import", "--id", "zoo"], environment: env).status == 1, "deleted once the guard was lifted")
    }
}
