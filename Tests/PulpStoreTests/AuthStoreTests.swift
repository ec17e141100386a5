import Foundation
import Testing
import PulpformTestKit
@testable import PulpStore

@Suite("The store's users, roles, grants and API tokens")
struct AuthStoreTests {
    @Test("a new store has the super-users role with every operation on /, and no user: no default login")
    func bootstrap() throws {
        let t = try TempStore()
        try t.store.readSync { db in
            #expect(try db.users().isEmpty)
            let role = try #require(try db.role("super-users"))
            #expect(role.displayName == "Super Users" && role.description == "Role indicates users with admin privileges")
            #expect(try db.grants() == [StoredGrant(resource: "/", grantee: .role("super-users"), operations: 31)])
            #expect(try db.roleMembers().isEmpty)
        }
    }

    @Test("users: insert once, update (the generation moves on a password or disabled change only), delete takes grants, memberships and tokens")
    func users() throws {
        let t = try TempStore()
        try t.store.writeSync { db in
            let bob = StoredUser(login: "bob", oid: "0123456789abcdef01234567", name: "Bob", passwordHash: "$pbkdf2-sha256$i=1$AA$AA", created: 1)
            #expect(try db.insertUser(bob))
            #expect(try !db.insertUser(bob), "a duplicate login is refused, not replaced")
            var changed = bob
            changed.name = "Robert"
            #expect(try db.updateUser(changed))
            #expect(try db.user("bob")?.generation == 0 && db.user("bob")?.name == "Robert", "a new name keeps cached credentials")
            changed.passwordHash = "$pbkdf2-sha256$i=1$BB$BB"
            #expect(try db.updateUser(changed))
            #expect(try db.user("bob")?.generation == 1)
            changed.disabled = true
            #expect(try db.updateUser(changed))
            #expect(try db.user("bob")?.generation == 2 && db.user("bob")?.disabled == true)
            #expect(try !db.updateUser(StoredUser(login: "nobody", oid: "x", name: "x", passwordHash: nil, created: 0)))

            #expect(try db.setMember(roleId: "super-users", login: "bob", true))
            #expect(try !db.setMember(roleId: "super-users", login: "bob", true), "already a member")
            #expect(try db.user("bob")?.generation == 3, "joining a role moves the generation on")
            try db.changeGrant(resource: "/v2/repositories/", grantee: .user("bob"), operations: 0b10, add: true)
            try db.insertToken(StoredToken(tokenId: "t1", login: "bob", digest: "d1", note: "ci", created: 5, expires: nil))
            #expect(try db.deleteUser("bob"))
            #expect(try db.user("bob") == nil && db.roleMembers().isEmpty && db.tokens(login: nil).isEmpty)
            #expect(try db.grants().map(\.grantee) == [.role("super-users")], "the user's grants went with them")
            #expect(try !db.deleteUser("bob"))
        }
    }

    @Test("grants: operations added and taken away; a grant left with none goes; role grants and members")
    func grants() throws {
        let t = try TempStore()
        try t.store.writeSync { db in
            #expect(try db.insertUser(StoredUser(login: "carol", oid: "o", name: "carol", passwordHash: nil, created: 0)))
            #expect(try db.insertRole(StoredRole(roleId: "readers", oid: "r", displayName: "readers", description: nil)))
            #expect(try !db.insertRole(StoredRole(roleId: "readers", oid: "r2", displayName: "again", description: nil)))
            #expect(try db.changeGrant(resource: "/v2/", grantee: .role("readers"), operations: 0b10, add: true) == 0b10)
            #expect(try db.changeGrant(resource: "/v2/", grantee: .role("readers"), operations: 0b101, add: true) == 0b111)
            #expect(try db.changeGrant(resource: "/v2/", grantee: .role("readers"), operations: 0b1, add: false) == 0b110)
            #expect(try db.changeGrant(resource: "/v2/tasks/", grantee: .user("carol"), operations: 0b10, add: false) == 0,
                    "revoking what was never granted is a no-op")
            #expect(try db.setMember(roleId: "readers", login: "carol", true))
            #expect(try db.roleMembers() == ["readers": ["carol"]])
            #expect(try db.changeGrant(resource: "/v2/", grantee: .role("readers"), operations: 0b110, add: false) == 0)
            #expect(try !db.grants().contains { $0.grantee == .role("readers") }, "an empty grant goes")
            try db.changeGrant(resource: "/v2/", grantee: .role("readers"), operations: 0b10, add: true)
            #expect(try db.deleteRole("readers"))
            #expect(try db.roleMembers().isEmpty && !db.grants().contains { $0.grantee == .role("readers") })
            #expect(try db.user("carol")?.generation == 2, "joined, then the role went")
        }
    }

    @Test("API tokens: found by digest, listed per user, revoked once")
    func tokens() throws {
        let t = try TempStore()
        try t.store.writeSync { db in
            #expect(try db.insertUser(StoredUser(login: "ci", oid: "o", name: "ci", passwordHash: nil, created: 0)))
            try db.insertToken(StoredToken(tokenId: "t1", login: "ci", digest: "aa", note: "pipeline", created: 10, expires: 100))
            try db.insertToken(StoredToken(tokenId: "t2", login: "ci", digest: "bb", note: nil, created: 20, expires: nil))
            #expect(try db.token(digest: "aa")?.tokenId == "t1" && db.token(digest: "cc") == nil)
            #expect(try db.tokens(login: "ci").map(\.tokenId) == ["t1", "t2"] && db.tokens(login: "other").isEmpty)
            #expect(try db.revokeToken("t1", now: 50) && !db.revokeToken("t1", now: 60) && !db.revokeToken("nope", now: 60))
            #expect(try db.token(digest: "aa")?.revoked == 50)
            #expect(throws: (any Error).self) {
                try db.insertToken(StoredToken(tokenId: "t3", login: "ci", digest: "bb", note: nil, created: 30, expires: nil))
            }
        }
    }
}
