import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import Reconciler

let accessManifest = """
    users:
      - login: alice
        name: Alice Example
        password: {env: ALICE_PASSWORD}
      - login: ci-bot
    roles:
      - id: release-engineers
        display_name: Release engineers
        permissions:
          /v2/repositories/: [read, execute]
          /pulp/api/v2/tasks: [READ]
        members: [alice, ci-bot]
      - id: super-users
        members: [alice]
    """

@Suite("Users and roles in manifests")
struct AccessTests {
    func logsIn(_ pulp: LocalPulp, _ login: String, _ password: String) async -> Bool {
        if case .user = await pulp.login(login, password: password, address: "192.0.2.1") { return true }
        return false
    }

    @Test("users and roles converge through plan and apply; the password logs in, is fingerprinted, and is never shown")
    func converge() async throws {
        let rig = try Rig()
        let password = "correct horse battery staple"
        rig.env = ["ALICE_PASSWORD": password]
        let first = try await rig.converge(accessManifest)
        #expect(first.changes.map(\.address) == ["user.alice", "user.ci-bot", "role.release-engineers", "role.super-users"])
        #expect(first.changes.map(\.action) == [.create, .create, .create, .update])
        let text = PlanRenderer.human(first)
        #expect(text.contains("+ password = (sensitive value)") && text.contains("+ permissions./v2/tasks/ = [\"READ\"]"), "\(text)")
        let saved = PlanFile.encode(SavedPlan(plan: first, guards: [:], target: "store", createdAt: "now")).serialized()
        for shown in [text, saved, PlanRenderer.json(first, pulpformVersion: "test", target: "store").serialized()] {
            #expect(!shown.contains(password))
        }
        let readBack = try PlanFile.decode(try JSONValue.parse(Data(saved.utf8))).plan.steps
        #expect(readBack.count == first.steps.count)
        for (a, b) in zip(readBack, first.steps) { #expect(a == b, "a saved plan reads back the same") }

        let users = try await rig.pulp.accessUsers()
        #expect(users.map(\.login).sorted() == ["alice", "ci-bot"])
        #expect(users.first { $0.login == "alice" }?.roles == ["release-engineers", "super-users"])
        let role = try #require(try await rig.pulp.accessRoles().first { $0.id == "release-engineers" })
        #expect(role.permissions == ["/v2/repositories/": ["READ", "EXECUTE"], "/v2/tasks/": ["READ"]])
        #expect(role.displayName == "Release engineers" && role.users == ["alice", "ci-bot"])
        #expect(await logsIn(rig.pulp, "alice", password))
        #expect(!(await logsIn(rig.pulp, "ci-bot", "")), "a user declared without a password cannot log in with one")
        let records = await rig.state.accessRecords()
        #expect(records.map(\.unit) == ["role:release-engineers", "role:super-users", "user:alice", "user:ci-bot"])
        #expect(records.allSatisfy { !"\($0)".contains(password) })
        #expect(records.first { $0.name == "alice" }?.passwordFingerprint?.hasPrefix("hmac-sha256:") == true)

        // A new password is a masked in-place update; the old one stops working.
        let newPassword = "a brand new password 42"
        rig.env = ["ALICE_PASSWORD": newPassword]
        let rotated = try await rig.converge(accessManifest)
        #expect(rotated.changes.map(\.address) == ["user.alice"])
        #expect(rotated.changes.first?.changes.map(\.path) == ["password"] && rotated.changes.first?.changes.first?.sensitive == true)
        #expect(!PlanRenderer.human(rotated).contains(newPassword))
        #expect(await logsIn(rig.pulp, "alice", newPassword))
        #expect(!(await logsIn(rig.pulp, "alice", password)))

        // Dropping the password from the manifests stops managing it: the user keeps it, and nothing changes.
        let unmanaged = try await rig.plan(accessManifest.replacingOccurrences(of: "    password: {env: ALICE_PASSWORD}\n", with: ""))
        #expect(!unmanaged.hasChanges)
    }

    @Test("edits are in-place updates per field; drift tells a change outside pulpform from a pending one")
    func updatesAndDrift() async throws {
        let rig = try Rig()
        rig.env = ["ALICE_PASSWORD": "correct horse battery staple"]
        try await rig.converge(accessManifest)
        let edited = accessManifest
            .replacingOccurrences(of: "display_name: Release engineers", with: "display_name: Release engineering")
            .replacingOccurrences(of: "[read, execute]", with: "[read, update]")
            .replacingOccurrences(of: "members: [alice, ci-bot]", with: "members: [alice]")
        let plan = try await rig.plan(edited)
        let step = try #require(plan.changes.first)
        #expect(plan.changes.count == 1 && step.address == "role.release-engineers" && step.action == .update)
        #expect(step.changes.map(\.path) == ["display_name", "permissions./v2/repositories/", "members"])
        guard case .updateRole(_, let change) = step.operation else { Issue.record("not a role update"); return }
        #expect(change.grant == ["/v2/repositories/": ["UPDATE"]] && change.revoke == ["/v2/repositories/": ["EXECUTE"]])
        #expect(change.removeMembers == ["ci-bot"] && change.addMembers.isEmpty)

        // Changed outside pulpform: a member removed through the API.
        try await rig.pulp.removeRoleMember("release-engineers", login: "ci-bot")
        try await rig.pulp.updateUser("ci-bot", UserUpdate(name: "CI"))
        func drift(_ yaml: String) async throws -> DriftReport {
            try await Reconciliation.make(manifest: try rig.manifest(yaml), pulp: rig.pulp, state: rig.state, prune: false,
                                          secrets: rig.resolver).drift
        }
        let outside = try await drift(accessManifest)
        #expect(outside.items.map(\.address).sorted() == ["role.release-engineers", "user.ci-bot"])
        #expect(outside.items.allSatisfy { $0.kind == .outside } && outside.exitCode == 3)
        let both = try await drift(edited)
        #expect(both.items.first { $0.address == "role.release-engineers" }?.kind == .both)
        try await rig.converge(accessManifest)
        #expect(try await drift(accessManifest).exitCode == 0)
    }

    @Test("only managed users and roles are pruned, and only with --prune; others and super-users are reported, never touched")
    func prune() async throws {
        let rig = try Rig()
        rig.env = ["ALICE_PASSWORD": "correct horse battery staple"]
        _ = try await rig.pulp.createUser(login: "admin", password: "an admin password 123", superUser: true)
        try await rig.converge(accessManifest.replacingOccurrences(of: "members: [alice]", with: "members: [admin, alice]"))
        let smaller = """
            users:
              - login: alice
                password: {env: ALICE_PASSWORD}
                name: Alice Example
            """
        let kept = try await rig.plan(smaller)
        #expect(!kept.hasChanges)
        #expect(kept.notPruned.sorted() == ["role.release-engineers", "user.ci-bot"])
        #expect(kept.unmanaged == ["role.super-users", "user.admin"], "super-users left out of the manifests is no longer managed")
        let pruned = try await rig.converge(smaller, prune: true)
        #expect(pruned.changes.map(\.address) == ["role.release-engineers", "user.ci-bot"], "super-users is built in: never deleted")
        #expect(pruned.changes.allSatisfy { $0.action == .delete })
        #expect(try await rig.pulp.accessUsers().map(\.login).sorted() == ["admin", "alice"])
        #expect(try await rig.pulp.accessRoles().map(\.id) == ["super-users"])
        #expect(await rig.state.accessRecords().map(\.unit) == ["user:alice"])
    }

    @Test("a role member who is no user, or whom --prune would delete, fails the plan at the member's place")
    func members() async throws {
        let rig = try Rig()
        do {
            _ = try await rig.plan("roles:\n  - id: ops\n    members: [ghost]\n")
            Issue.record("planned a role with a member who is no user")
        } catch let e as ManifestErrors {
            #expect(e.description.hasSuffix("manifest.yaml:3:15: member ghost of role ops is not a user: declare it under users, "
                + "or create it with pulpform user create"), "\(e)")
        }
        try await rig.converge("users:\n  - login: bob\n")
        do {
            _ = try await rig.plan("roles:\n  - id: ops\n    members: [bob]\n", prune: true)
            Issue.record("planned to delete a member")
        } catch let e as ManifestErrors {
            #expect(e.description.contains("member bob of role ops is a user that pulpform manages and the manifests no longer declare"))
        }
        try await rig.converge("roles:\n  - id: ops\n    members: [bob]\n")
    }

    @Test("bad users and roles: every problem at its place, reported together")
    func badInput() throws {
        let dir = try ManifestDir(["access.yaml": """
            users:
              - login: alice
                password: hunter2
              - login: "bad login"
              - login: alice
              - login: carol
                password: {env: NOT_SET}
            roles:
              - id: ops
                permissions:
                  repositories: [read]
                  /v2/tasks/: [raed]
                  /v2/content/: []
                  /pulp/api/v2/tasks: [read]
                members: [carol, carol]
              - id: super-users
                display_name: Admins
                permissions: {/v2/: [read]}
                members: []
              - id: "a.b"
                nickname: x
            """])
        #expect(diagnostics(dir) == [
            "access.yaml:3:15: password is a secret: give it as {env: NAME} or {file: PATH}, not inline",
            "access.yaml:4:12: login \"bad login\" may only contain letters, digits, '.', '-' and '_' (at most 255)",
            "access.yaml:5:5: user alice is declared twice: here and at \(dir.path("access.yaml")):2:5",
            "access.yaml:7:15: secret {env: NOT_SET} cannot be resolved: NOT_SET is not set",
            "access.yaml:11:7: permission resource \"repositories\" must be an API path such as /v2/repositories/",
            "access.yaml:12:20: unknown operation \"raed\": use create, read, update, delete or execute; did you mean \"read\"?",
            "access.yaml:13:21: no operations on /v2/content/: name at least one, or leave the resource out",
            "access.yaml:14:7: permission resource /v2/tasks/ is given twice in role ops (first at \(dir.path("access.yaml")):12:7)",
            "access.yaml:15:22: member carol is listed twice in role ops (first at \(dir.path("access.yaml")):15:15)",
            "access.yaml:17:19: super-users is built in and holds every operation: only its members can be declared",
            "access.yaml:18:18: super-users is built in and holds every operation: only its members can be declared",
            "access.yaml:19:14: super-users needs at least one member: the server refuses to run without a super-user",
            "access.yaml:20:9: role id \"a.b\" may only contain letters, digits, '-' and '_' (at most 255)",
            "access.yaml:21:5: unknown key \"nickname\" in a role",
        ])
    }
}
