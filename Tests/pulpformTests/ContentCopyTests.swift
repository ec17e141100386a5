import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// Copy, remove, orphans and user metadata (pulp2-content.md §4.3–§4.5, §4.7) against `pulpform serve`, over a
/// real synced repository.
@Suite("content copy, remove and orphans", .serialized)
struct ContentCopyTests {
    @Test("copy: criteria, units_successful, cloned groups, PLP0044, bad input; remove; user metadata; orphans and their files")
    func copyRemoveOrphans() throws {
        let tmp = try TempDir("pulpform-copy")
        try YumContentTests.fixture(tmp.path("feed"))
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        try YumContentTests.createRepo(server, "staging", feed: "file://" + tmp.path("feed") + "/", relativeURL: "staging")
        #expect(try YumContentTests.run(server, "repositories/staging/actions/sync/").first?["state"] == "finished")
        try YumContentTests.createRepo(server, "prod", feed: "", relativeURL: "prod")
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue { try server.call(method, path, body) }
        func task(_ path: String, _ body: JSONValue) throws -> JSONValue {
            try YumContentTests.run(server, path, body.serialized()).first ?? .null
        }
        func units(_ repo: String, _ types: [String]? = nil) throws -> [JSONValue] {
            let criteria: JSONValue = types.map { ["type_ids": .array($0.map(JSONValue.string))] } ?? [:]
            return try call("POST", "repositories/\(repo)/search/units/", ["criteria": criteria]).arrayValue ?? []
        }

        // Bad input first: Pulp's errors, and nothing copied.
        let noSource = try call("POST", "repositories/prod/actions/associate/", [:])
        #expect(noSource["http_status"] == 400 && noSource["error"]?["code"] == "PLP0016", "\(noSource)")
        let unknownSource = try call("POST", "repositories/prod/actions/associate/", ["source_repo_id": "nope"])
        #expect(unknownSource["http_status"] == 400 && unknownSource["error"]?["code"] == "PLP0015", "\(unknownSource)")
        #expect(unknownSource["property_names"] == ["source_repo_id"], "\(unknownSource)")
        let badCriteria = try call("POST", "repositories/prod/actions/associate/", ["source_repo_id": "staging", "criteria": ["type_ids": "rpm"]])
        #expect(badCriteria["http_status"] == 400 && badCriteria["property_names"] == ["criteria"], "\(badCriteria)")
        #expect(badCriteria["error"]?["sub_errors"]?.arrayValue?.count == 1, "\(badCriteria)")
        let unknownDest = try call("POST", "repositories/nope/actions/associate/", ["source_repo_id": "staging"])
        #expect(unknownDest["http_status"] == 404 && unknownDest["error"]?["code"] == "PLP0009", "\(unknownDest)")
        #expect(try units("prod").isEmpty)

        // One package by name: the task lists it; the destination counts it.
        let one = try task("repositories/prod/actions/associate/",
                           ["source_repo_id": "staging", "criteria": ["type_ids": ["rpm"], "filters": ["unit": ["name": ["$in": ["pulpform-app"]]]]]])
        #expect(one["state"] == "finished", "\(one)")
        #expect(one["tags"] == ["pulp:repository:prod", "pulp:repository:staging", "pulp:action:associate"], "\(one)")
        let copied = one["result"]?["units_successful"]?.arrayValue ?? []
        #expect(copied.count == 1 && copied.first?["type_id"] == "rpm" && copied.first?["unit_key"]?["name"] == "pulpform-app", "\(copied)")
        #expect(Set(copied.first?["unit_key"]?.objectValue?.keys ?? [:].keys) == ["name", "epoch", "version", "release", "arch", "checksumtype", "checksum"])
        var prod = try call("GET", "repositories/prod/")
        #expect(prod["content_unit_counts"] == ["rpm": 1] && prod["last_unit_added"]?.stringValue != nil, "\(prod)")
        let stagingApp = try units("staging", ["rpm"]).first { $0["metadata"]?["name"] == "pulpform-app" }
        #expect(try units("prod").first?["unit_id"] == stagingApp?["unit_id"], "a package is shared, not copied")

        // Everything: groups and categories are cloned with the destination's id; the rest is shared.
        let all = try task("repositories/prod/actions/associate/", ["source_repo_id": "staging"])
        #expect(all["result"]?["units_successful"]?.arrayValue?.count == 9, "\(all)")
        prod = try call("GET", "repositories/prod/")
        #expect(prod["content_unit_counts"] == ["rpm": 3, "srpm": 3, "erratum": 1, "package_group": 1, "package_category": 1], "\(prod)")
        let group = try #require(try units("prod", ["package_group"]).first)
        let stagingGroup = try #require(try units("staging", ["package_group"]).first)
        #expect(group["metadata"]?["repo_id"] == "prod" && group["unit_id"] != stagingGroup["unit_id"], "\(group)")
        #expect(group["metadata"]?["id"] == stagingGroup["metadata"]?["id"])

        // An iso repository cannot take yum units: PLP0044 in the task, nothing copied.
        let iso = try call("POST", "repositories/", ["id": "files", "importer_type_id": "iso_importer"])
        #expect(iso["id"] == "files", "\(iso)")
        let refused = try task("repositories/files/actions/associate/", ["source_repo_id": "staging"])
        #expect(refused["state"] == "error" && refused["error"]?["code"] == "PLP0044", "\(refused)")
        #expect(try units("files").isEmpty)

        // User metadata: replaced whole, shown by searches; a missing unit is Pulp's bare-string 404.
        let appId = stagingApp?["unit_id"]?.stringValue ?? ""
        #expect(try call("PUT", "content/units/rpm/\(appId)/pulp_user_metadata/", ["description": "promoted", "n": 2]) == .null)
        #expect(try call("PUT", "content/units/rpm/\(appId)/pulp_user_metadata/", ["description": "final"]) == .null)
        #expect(try call("GET", "content/units/rpm/\(appId)/pulp_user_metadata/") == ["description": "final"])
        #expect(try units("prod", ["rpm"]).first { $0["unit_id"]?.stringValue == appId }?["metadata"]?["pulp_user_metadata"] == ["description": "final"])
        #expect(try call("PUT", "content/units/rpm/nope/pulp_user_metadata/", [:]) == "No content unit resource: nope")
        #expect(try call("PUT", "content/units/srpm/\(appId)/pulp_user_metadata/", [:]) == .string("No content unit resource: \(appId)"), "wrong type")
        #expect(try call("PUT", "content/units/rpm/\(appId)/pulp_user_metadata/", ["a", "b"])["error"]?["code"] == "PLP1015")

        // Remove: by filter, then (no type_ids) everything.
        let removeOne = try task("repositories/prod/actions/unassociate/",
                                 ["criteria": ["type_ids": ["rpm"], "filters": ["unit": ["name": "pulpform-app"]], "limit": 5]])
        #expect(removeOne["tags"] == ["pulp:repository:prod", "pulp:action:unassociate"], "\(removeOne)")
        #expect(removeOne["result"]?["units_successful"]?.arrayValue?.map { $0["unit_key"]?["name"] } == ["pulpform-app"], "\(removeOne)")
        prod = try call("GET", "repositories/prod/")
        #expect(prod["content_unit_counts"]?["rpm"] == 2 && prod["last_unit_removed"]?.stringValue != nil, "\(prod)")
        let badRemove = try call("POST", "repositories/prod/actions/unassociate/", ["criteria": ["filters": ["unit": ["$where": "1"]]]])
        #expect(badRemove["http_status"] == 400 && badRemove["property_names"] == ["criteria"], "\(badRemove)")
        let clear = try task("repositories/prod/actions/unassociate/", [:])
        #expect(clear["result"]?["units_successful"]?.arrayValue?.count == 8, "\(clear)")
        #expect(try units("prod").isEmpty)

        // Orphans: prod's cloned group and category; every type listed, zeros included.
        var summary = try call("GET", "content/orphans/")
        #expect(summary["package_group"]?["count"] == 1 && summary["rpm"]?["count"] == 0 && summary["iso"]?["count"] == 0, "\(summary)")
        #expect(summary["rpm"]?["_href"] == "/pulp/api/v2/content/orphans/rpm/")
        let unknownType = try call("GET", "content/orphans/nope/")
        #expect(unknownType["http_status"] == 404 && unknownType["error"]?["data"]?["resources"]?["content_type_id"] == "nope", "\(unknownType)")
        let notOrphan = try call("GET", "content/orphans/rpm/\(appId)/")
        #expect(notOrphan["http_status"] == 404, "\(notOrphan)")
        #expect(try call("DELETE", "content/orphans/rpm/\(appId)/")["http_status"] == 404, "a unit a repository holds is no orphan")

        // The repository goes: its units are orphans; one deleted alone, then the rest with their files.
        let before = YumContentTests.files(tmp.path("content") + "/units").count
        #expect(before == 6, "3 rpm + 3 srpm files")
        #expect(try YumContentTests.run(server, "repositories/staging/", method: "DELETE").first?["state"] == "finished")
        let orphanRPMs = try call("GET", "content/orphans/rpm/").arrayValue ?? []
        #expect(orphanRPMs.count == 3, "\(orphanRPMs)")
        let first = try #require(orphanRPMs.first)
        #expect(first["_href"]?.stringValue == "/pulp/api/v2/content/orphans/rpm/\(first["_id"]?.stringValue ?? "")/" && first["name"] != nil
                && first["_content_type_id"] == "rpm" && first["description"] == nil, "\(first)")
        let firstId = first["_id"]?.stringValue ?? ""
        #expect(try call("GET", "content/orphans/rpm/\(firstId)/") == ["_id": .string(firstId), "_href": first["_href"] ?? .null])
        let deleteOne = try YumContentTests.run(server, "content/orphans/rpm/\(firstId)/", method: "DELETE")
        #expect(deleteOne.first?["state"] == "finished" && deleteOne.first?["tags"] == ["pulp:content_unit:orphans"], "\(deleteOne)")
        #expect(YumContentTests.files(tmp.path("content") + "/units").count == 5)
        #expect((try call("GET", "content/orphans/rpm/").arrayValue ?? []).count == 2)
        #expect(try call("GET", "content/units/rpm/\(firstId)/") == .string("No content unit resource: \(firstId)"))
        #expect(try YumContentTests.run(server, "content/orphans/", method: "DELETE").first?["state"] == "finished")
        summary = try call("GET", "content/orphans/")
        #expect(summary.objectValue?.values.allSatisfy { $0["count"] == 0 } == true, "\(summary)")
        #expect(YumContentTests.files(tmp.path("content") + "/units").isEmpty, "the files go with their units")
        #expect(try YumContentTests.run(server, "content/orphans/", method: "DELETE").first?["state"] == "finished", "nothing to delete: still a task")
    }
}
