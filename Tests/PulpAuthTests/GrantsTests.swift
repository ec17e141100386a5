import Testing
@testable import PulpAuth

@Suite("Operations, resource names and grants (Pulp 2's path rule)")
struct GrantsTests {
    @Test("operations by name in any case, shown upper-case in Pulp's order")
    func operations() {
        #expect(PulpOperation(name: "read") == .read && PulpOperation(name: "EXECUTE") == .execute && PulpOperation(name: "Delete") == .delete)
        #expect(PulpOperation(name: "write") == nil && PulpOperation(name: "") == nil)
        #expect(Operations([.execute, .create, .read]).list.map(\.name) == ["CREATE", "READ", "EXECUTE"])
        #expect(Operations.all.list.count == 5 && Operations(rawValue: 0xFF) == .all)
    }

    @Test("resource names: pulp and api dropped, empty parts dropped, a trailing slash; the query a segment of its own")
    func resourceNames() {
        #expect(ResourcePath.of(uri: "/pulp/api/v2/repositories/zoo/") == "/v2/repositories/zoo/")
        #expect(ResourcePath.of(uri: "/pulp/api/v2/repositories//zoo") == "/v2/repositories/zoo/")
        #expect(ResourcePath.of(uri: "/pulp/api/v2/") == "/v2/")
        #expect(ResourcePath.of(uri: "/") == "/")
        #expect(ResourcePath.of(uri: "/pulp/api/v2/tasks/?state=running") == "/v2/tasks/?state=running/")
        #expect(ResourcePath.lineage("/v2/repositories/zoo/importers/")
            == ["/v2/repositories/zoo/importers/", "/v2/repositories/zoo/", "/v2/repositories/", "/v2/", "/"])
        #expect(ResourcePath.lineage("/") == ["/"])
    }

    @Test("a grant covers its path and everything below by whole segments; roles' grants reach their members; super-users may do all")
    func check() {
        let grants = Grants(
            userGrants: [("/v2/repositories/zoo/", "bob", [.read, .update]), ("/v2/tasks/", "bob", [.read])],
            roleGrants: [("/v2/repositories/", "readers", [.read]), ("/", "super-users", .all)],
            members: ["readers": ["carol"], "super-users": ["admin"]])
        #expect(grants.allows("bob", .read, on: "/v2/repositories/zoo/"))
        #expect(grants.allows("bob", .update, on: "/v2/repositories/zoo/importers/yum_importer/"))
        #expect(!grants.allows("bob", .delete, on: "/v2/repositories/zoo/"), "an operation not granted")
        #expect(!grants.allows("bob", .read, on: "/v2/repositories/zoo2/"), "segments, not string prefixes")
        #expect(!grants.allows("bob", .read, on: "/v2/repositories/search/"), "the URL, not the object: a search is its own resource")
        #expect(!grants.allows("bob", .read, on: "/v2/repositories/"), "a grant never reaches up")
        #expect(grants.allows("bob", .read, on: "/v2/tasks/1234/"))
        #expect(grants.allows("carol", .read, on: "/v2/repositories/search/") && !grants.allows("carol", .update, on: "/v2/repositories/zoo/"))
        #expect(grants.allows("admin", .delete, on: "/v2/anything/at/all/") && grants.isSuperUser("admin") && grants.superUserCount == 1)
        #expect(!grants.allows("nobody", .read, on: "/v2/status/"))
        #expect(grants.operations(on: "/v2/repositories/")["carol"] == [.read], "role grants shown on their members")
        #expect(!grants.allows("bob", .read, on: ResourcePath.of(uri: "/pulp/api/v2/repositories/?details=true")),
                "the query is a leaf no grant names, so only the path's grants count")
        #expect(grants.allows("carol", .read, on: ResourcePath.of(uri: "/pulp/api/v2/repositories/zoo/?details=true")))
    }
}
