import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// The content APIs of issue 15 over a real synced repository (pulp2-content.md §4), against `pulpform serve`.
@Suite("content APIs", .serialized)
struct ContentAPITests {
    @Test("search/units: association records with the unit under metadata; type_ids, unit and association filters, sort, fields, paging; bad input")
    func searchUnits() throws {
        let tmp = try TempDir("pulpform-units")
        try YumContentTests.fixture(tmp.path("feed"))
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        try YumContentTests.createRepo(server, "zoo", feed: "file://" + tmp.path("feed") + "/", relativeURL: "zoo")
        #expect(try YumContentTests.run(server, "repositories/zoo/actions/sync/").first?["state"] == "finished")
        func search(_ criteria: JSONValue?) throws -> JSONValue {
            let body: JSONValue = criteria.map { ["criteria": $0] } ?? [:]
            return try YumContentTests.json(["-X", "POST", server.base + "repositories/zoo/search/units/",
                                             "-H", "Content-Type: application/json", "-d", body.serialized()])
        }

        // Everything: 9 units, type by type, each record with its unit.
        let all = try search(nil).arrayValue ?? []
        #expect(all.count == 9, "\(all)")
        #expect(all.map { $0["unit_type_id"]?.stringValue ?? "" } == all.map { $0["unit_type_id"]?.stringValue ?? "" }.sorted())
        let rpm = try #require(all.first { $0["unit_type_id"] == "rpm" })
        #expect(rpm["repo_id"] == "zoo" && rpm["_ns"] == "repo_content_units" && rpm["id"] == rpm["_id"]?["$oid"])
        #expect(rpm["created"]?.stringValue?.hasSuffix("Z") == true && rpm["updated"] != nil)
        let unit = rpm["metadata"] ?? .null
        #expect(unit["_id"] == rpm["unit_id"] && unit["_content_type_id"] == "rpm" && unit["_ns"] == "units_rpm")
        #expect(unit["name"]?.stringValue != nil && unit["checksumtype"] == "sha256" && unit["downloaded"] == true)
        #expect(unit["_last_updated"]?.intValue != nil && unit["pulp_user_metadata"] == [:])
        #expect(unit["_storage_path"]?.stringValue?.hasPrefix(tmp.path("content") + "/units/") == true)
        #expect(unit["repodata"]?["primary"]?.stringValue?.hasPrefix("<package") == true, "snippets without fields")
        #expect(unit["repodata"]?["filelists"] != nil && unit["repodata"]?["other"] != nil)

        // type_ids, a unit filter with $regex, a sort, fields and paging.
        let rpms = try search(["type_ids": ["rpm"], "filters": ["unit": ["name": ["$regex": "^pulpform-"]]],
                               "sort": ["unit": [["name", "descending"]]], "fields": ["unit": ["name", "version"]]]).arrayValue ?? []
        #expect(rpms.count == 3 && rpms.allSatisfy { $0["unit_type_id"] == "rpm" }, "\(rpms)")
        let names = rpms.compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(names == names.sorted(by: >), "\(names)")
        #expect(rpms.first?["metadata"]?.objectValue.map { Set($0.keys) } == ["name", "version", "_id", "_content_type_id"])
        let page = try search(["type_ids": ["rpm", "srpm"], "limit": 2, "skip": 3]).arrayValue ?? []
        let whole = try search(["type_ids": ["rpm", "srpm"]]).arrayValue ?? []
        #expect(page.count == 2 && page.map { $0["unit_id"] } == Array(whole[3..<5]).map { $0["unit_id"] })
        // Pages read alone from the store and written straight to JSON (no filter, no sort) equal the same pages
        // of the in-memory search (a filter that holds for every unit), record for record, with and without
        // fields; a unit with user metadata that needs escaping among them.
        let tagged = try #require(rpm["unit_id"]?.stringValue)
        let userMetadata: JSONValue = ["note": "a \"quoted\"\nline\u{1}", "ünïcode": ["n": 1.5, "list": [true, .null]]]
        _ = try curl(["-s", "-X", "PUT", server.base + "content/units/rpm/\(tagged)/pulp_user_metadata/", "-d", userMetadata.serialized()])
        let everything: JSONValue = ["association": ["created": ["$gte": "2000-01-01T00:00:00Z"]]]
        for fields: JSONValue in [.null, ["unit": ["name", "pulp_user_metadata", "repodata"]], ["unit": ["name"], "association": ["created"]]] {
            let inMemory = try search(["filters": everything, "fields": fields]).arrayValue ?? []
            #expect(inMemory.count == 9)
            #expect(inMemory.contains { $0["metadata"]?["pulp_user_metadata"] == userMetadata } == (fields == .null || fields["unit"]?.arrayValue?.count == 3))
            for skip in 0..<9 {
                let paged = try search(["limit": 2, "skip": .int(skip), "fields": fields]).arrayValue ?? []
                #expect(paged == Array(inMemory[skip..<min(skip + 2, 9)]), "skip \(skip), fields \(fields)")
            }
        }
        let byIn = try search(["filters": ["unit": ["name": ["$in": ["pulpform-app"]]]], "type_ids": ["srpm"]]).arrayValue ?? []
        #expect(byIn.count == 1 && byIn.first?["metadata"]?["arch"] == "src", "\(byIn)")
        let recent = try search(["filters": ["association": ["created": ["$gte": "2000-01-01T00:00:00Z"]]]]).arrayValue ?? []
        #expect(recent.count == 9)
        #expect((try search(["filters": ["association": ["created": ["$lt": "2000-01-01T00:00:00Z"]]]]).arrayValue ?? []).isEmpty)
        #expect((try search(["type_ids": ["iso"]]).arrayValue ?? []).isEmpty, "a type the repository lacks: no units")

        // Bad input: Pulp's error bodies, nothing changed.
        let unknownRepo = try YumContentTests.json(["-X", "POST", server.base + "repositories/nope/search/units/", "-d", "{}"])
        #expect(unknownRepo["http_status"] == 404 && unknownRepo["error"]?["code"] == "PLP0009", "\(unknownRepo)")
        for bad: JSONValue in [["nope": 1], ["type_ids": "rpm"], ["filters": ["units": [:]]], ["filters": ["unit": ["$where": "x"]]],
                               ["limit": 0], ["sort": ["unit": "name"]], ["fields": ["unit": [1]]], "criteria"] {
            let r = try search(bad)
            #expect(r["http_status"] == 400 && r["error"]?["code"] == "PLP0015", "\(bad): \(r)")
        }

        // Units by type, with the repositories that hold them; one unit; a missing one.
        func post(_ path: String, _ body: JSONValue) throws -> JSONValue {
            try YumContentTests.json(["-X", "POST", server.base + path, "-H", "Content-Type: application/json", "-d", body.serialized()])
        }
        let byType = try post("content/units/rpm/search/", ["criteria": ["filters": ["name": "pulpform-app"]], "include_repos": true])
        let app = try #require(byType.arrayValue?.first, "\(byType)")
        #expect(byType.arrayValue?.count == 1 && app["repository_memberships"] == ["zoo"] && app["children"] == [:], "\(app)")
        #expect(app["_href"]?.stringValue == "/pulp/api/v2/content/units/rpm/\(app["_id"]?.stringValue ?? "")/")
        #expect(app["_last_updated"]?.stringValue?.hasSuffix("Z") == true, "an ISO time here, not an int")
        let listed = try YumContentTests.json([server.base + "content/units/srpm/"]).arrayValue ?? []
        #expect(listed.count == 3 && listed.allSatisfy { $0["repository_memberships"] == nil })
        let queried = try YumContentTests.json([server.base + "content/units/rpm/search/?include_repos=true&field=name&limit=2"]).arrayValue ?? []
        #expect(queried.count == 2 && queried.allSatisfy { $0["repository_memberships"] == ["zoo"] && $0["version"] == nil }, "\(queried)")
        #expect(try post("content/units/nope/search/", [:]) == [], "an unknown type has no units")
        let one = try YumContentTests.json([server.base + "content/units/rpm/\(app["_id"]?.stringValue ?? "")/"])
        #expect(one["name"] == "pulpform-app" && one["_content_type_id"] == "rpm", "\(one)")
        let missing = try curl(["-s", "-w", " %{http_code}", server.base + "content/units/rpm/nope/"])
        #expect(missing.out == "\"No content unit resource: nope\" 404", "\(missing.out)")
        let wrongType = try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", server.base + "content/units/srpm/\(app["_id"]?.stringValue ?? "")/"])
        #expect(wrongType.out == "404")
        let badCriteria = try post("content/units/rpm/search/", ["criteria": ["sort": "x"]])
        #expect(badCriteria["http_status"] == 400, "\(badCriteria)")
        #expect(server.stop() == 0)
    }
}
