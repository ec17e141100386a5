import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `pulpform user …` and `pulpform token …` on the embedded store (issue 16's bootstrap).
@Suite("pulpform user and token")
struct UserCLITests {
    @Test("the first super-user with a generated password printed once; passwords from stdin or a file, never argv; none kept in clear")
    func users() throws {
        let tmp = try TempDir("pulpform-users")
        let store = ["--store", tmp.path("p.db")]
        let admin = try CLI.run(["user", "create", "admin", "--super-user", "--generate-password"] + store)
        #expect(admin.status == 0, "\(admin.stderr)")
        let generated = admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(generated.count == 24 && !admin.stderr.contains(generated) && admin.stderr.contains("only this once"), "\(admin)")

        let alicePassword = "alice's long passphrase"
        let alice = try CLI.run(["user", "create", "alice", "--name", "Alice", "--password-stdin"] + store, stdin: alicePassword + "\n")
        #expect(alice.status == 0 && alice.stdout.isEmpty, "\(alice)")
        try "bob's long passphrase\n".write(toFile: tmp.path("bob.pw"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["user", "create", "bob", "--password-file", tmp.path("bob.pw")] + store).status == 0)
        #expect(try CLI.run(["user", "create", "ci-bot"] + store).stderr.contains("without a password"))

        let list = try CLI.run(["user", "list"] + store)
        #expect(list.stdout == "admin\tadmin\tsuper-users\nalice\tAlice\t-\nbob\tbob\t-\nci-bot\tci-bot\t-\n", "\(list.stdout)")
        let json = try JSONValue.parse(try CLI.run(["user", "list", "--format", "json"] + store).stdout)
        #expect(json.arrayValue?.first?["_href"] == "/pulp/api/v2/users/admin/" && json.arrayValue?.first?["roles"] == ["super-users"])
        #expect(!json.serialized().contains("password") && !json.serialized().contains("pbkdf2"), "never a password or its hash")

        // Bad input: each a clear error, exit 1 or 64, nothing changed.
        let duplicate = try CLI.run(["user", "create", "alice", "--generate-password"] + store)
        #expect(duplicate.status == 1 && duplicate.stderr.contains("alice") && duplicate.stdout.isEmpty, "\(duplicate)")
        #expect(try CLI.run(["user", "create", "bad login!"] + store).stderr.contains("login"))
        let short = try CLI.run(["user", "create", "carol", "--password-stdin"] + store, stdin: "short\n")
        #expect(short.status == 1 && short.stderr.contains("at least 12"), "\(short)")
        #expect(try CLI.run(["user", "create", "dave", "--generate-password", "--password-stdin"] + store).status == 64)
        #expect(try CLI.run(["user", "create", "erin", "--password", "in-argv-is-refused"] + store).status == 64, "no --password option")
        #expect(try CLI.run(["user", "passwd", "alice"] + store).status == 64, "passwd needs a source or --none")
        let nobody = try CLI.run(["user", "passwd", "nobody", "--generate-password"] + store)
        #expect(nobody.status == 1 && nobody.stderr.contains("nobody"), "\(nobody)")

        // The last super-user can be neither disabled nor deleted; once there is another, it can.
        let lastDelete = try CLI.run(["user", "delete", "admin"] + store)
        #expect(lastDelete.status == 1 && lastDelete.stderr.contains("The last superuser [admin] cannot be deleted"), "\(lastDelete)")
        #expect(try CLI.run(["user", "disable", "admin"] + store).stderr.contains("cannot be disabled"))
        #expect(try CLI.run(["user", "create", "root2", "--super-user", "--generate-password"] + store).status == 0)
        #expect(try CLI.run(["user", "disable", "admin"] + store).status == 0)
        #expect(try CLI.run(["user", "delete", "root2"] + store).stderr.contains("cannot be deleted"), "admin is disabled: root2 is the last")
        #expect(try CLI.run(["user", "enable", "admin"] + store).status == 0)
        #expect(try CLI.run(["user", "delete", "root2"] + store).status == 0)

        let passwd = try CLI.run(["user", "passwd", "alice", "--generate-password"] + store)
        #expect(passwd.status == 0 && passwd.stdout.trimmingCharacters(in: .newlines).count == 24, "\(passwd)")

        // The store holds no password, generated or given, in clear.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: tmp.path("p.db")))
            + ((try? Data(contentsOf: URL(fileURLWithPath: tmp.path("p.db-wal")))) ?? Data())
        for secret in [generated, alicePassword, "bob's long passphrase", passwd.stdout.trimmingCharacters(in: .newlines)] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in the store")
        }
    }

    @Test("API tokens: printed once, listed without the token, revoked once; kept only as a hash")
    func tokens() throws {
        let tmp = try TempDir("pulpform-tokens")
        let store = ["--store", tmp.path("p.db")]
        #expect(try CLI.run(["user", "create", "ci-bot"] + store).status == 0)
        let made = try CLI.run(["token", "create", "ci-bot", "--note", "release pipeline", "--expires-in-days", "90"] + store)
        let token = made.stdout.trimmingCharacters(in: .newlines)
        #expect(made.status == 0 && token.hasPrefix("pfm_") && token.count == 47, "\(made)")
        let list = try CLI.run(["token", "list"] + store)
        let fields = list.stdout.split(separator: "\t").map(String.init)
        #expect(fields.count == 5 && fields[1] == "ci-bot" && fields[2] == "active" && fields[4] == "release pipeline\n", "\(list.stdout)")
        #expect(!list.stdout.contains(token))
        let id = fields[0]
        #expect(try CLI.run(["token", "revoke", id] + store).status == 0)
        #expect(try CLI.run(["token", "list", "ci-bot"] + store).stdout.contains("\trevoked\t"))
        let again = try CLI.run(["token", "revoke", id] + store)
        #expect(again.status == 1 && again.stderr.contains(id), "\(again)")
        #expect(try CLI.run(["token", "create", "nobody"] + store).status == 1)
        #expect(try CLI.run(["token", "create", "ci-bot", "--expires-in-days", "0"] + store).status == 64)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: tmp.path("p.db")))
            + ((try? Data(contentsOf: URL(fileURLWithPath: tmp.path("p.db-wal")))) ?? Data())
        #expect(bytes.range(of: Data(token.utf8)) == nil && bytes.range(of: Data(token.dropFirst(4).utf8)) == nil)
    }

    @Test("roles and permissions from the CLI: create, members, grants (roles' included in the list), and the built-in super-users protected")
    func rolesAndPermissions() throws {
        let tmp = try TempDir("pulpform-roles")
        let store = ["--store", tmp.path("p.db")]
        #expect(try CLI.run(["user", "create", "admin", "--super-user", "--generate-password"] + store).status == 0)
        #expect(try CLI.run(["user", "create", "ci-bot"] + store).status == 0)
        let created = try CLI.run(["role", "create", "publishers", "--description", "publish anything"] + store)
        #expect(created.status == 0, "\(created)")
        #expect(try CLI.run(["role", "create", "publishers"] + store).status == 1, "a duplicate")
        #expect(try CLI.run(["role", "create", "bad.id"] + store).stderr.contains("role_id"))
        let grant = try CLI.run(["permission", "grant", "--role", "publishers", "--resource", "/pulp/api/v2/repositories",
                                 "--operation", "read", "--operation", "EXECUTE"] + store)
        #expect(grant.status == 0, "\(grant)")
        #expect(try CLI.run(["role", "add", "publishers", "ci-bot"] + store).status == 0)
        #expect(try CLI.run(["role", "add", "publishers", "ghost"] + store).stderr.contains("login"))
        let roles = try CLI.run(["role", "list"] + store)
        #expect(roles.stdout == "publishers\tci-bot\t/v2/repositories/=READ,EXECUTE\nsuper-users\tadmin\t/=CREATE,READ,UPDATE,DELETE,EXECUTE\n",
                "\(roles.stdout)")
        let list = try CLI.run(["permission", "list", "--resource", "/v2/repositories/"] + store)
        #expect(list.stdout == "/v2/repositories/\tci-bot\tREAD,EXECUTE\n", "a role's grant counts for its member: \(list.stdout)")
        #expect(try CLI.run(["permission", "grant", "--user", "ci-bot", "--resource", "/", "--operation", "FLY"] + store).stderr.contains("operation_name"))
        #expect(try CLI.run(["permission", "grant", "--user", "ci-bot", "--role", "x", "--resource", "/", "--operation", "READ"] + store).status == 64)
        #expect(try CLI.run(["role", "delete", "super-users"] + store).stderr.contains("Role super-users cannot be changed"))
        #expect(try CLI.run(["role", "remove", "super-users", "admin"] + store).stderr.contains("admin is the last member"))
        #expect(try CLI.run(["role", "remove", "publishers", "ci-bot"] + store).status == 0)
        #expect(try CLI.run(["permission", "list", "--resource", "/v2/repositories/"] + store).stdout.isEmpty)
        #expect(try CLI.run(["permission", "revoke", "--role", "publishers", "--resource", "/v2/repositories/", "--operation", "READ"] + store).status == 0)
        #expect(try CLI.run(["role", "list"] + store).stdout.hasPrefix("publishers\t-\t/v2/repositories/=EXECUTE\n"))
        #expect(try CLI.run(["role", "delete", "publishers"] + store).status == 0)
        #expect(try CLI.run(["role", "list", "--format", "json"] + store).stdout.contains("\"super-users\""))
    }
}
