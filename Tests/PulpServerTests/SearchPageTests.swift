import Foundation
import Testing
@testable import PulpModel
@testable import PulpServer

/// Pages in id or creation order are read from the store a page at a time; they must equal what the full
/// search (every document, then sort, skip and limit) returns.
@Suite("Search pages")
struct SearchPageTests {
    @Test("a page read from the store equals the same page of the full search")
    func pagesMatchFullSearch() async throws {
        try await Served().run { api in
            // Created out of id order, so creation order and id order differ.
            let ids = (0..<23).map { "repo-\(String(($0 * 7) % 23).count == 1 ? "0" : "")\(($0 * 7) % 23)" }
            for id in ids {
                #expect(try await api.post("repositories/", ["id": .string(id), "importer_type_id": "yum_importer",
                                                             "notes": ["n": .int(id.count)]]).status == 201)
            }
            // A filter that matches everything sends the same criteria down the full path.
            let everything: JSONValue = ["id": ["$in": .array(ids.map(JSONValue.string))]]
            let cases: [JSONObject] = [
                [:],
                ["limit": 5],
                ["skip": 20, "limit": 5],
                ["sort": [["id", "ascending"]], "limit": 7, "skip": 3],
                ["sort": [["id", "descending"]], "limit": 4],
                ["sort": [["repo_id", "descending"]], "skip": 22],
                ["sort": [["id", "ascending"]], "fields": ["notes"], "limit": 3],
                ["skip": 30],
            ]
            for criteria in cases {
                for include in [false, true] {
                    var slow = criteria
                    slow["filters"] = everything
                    let fast = try await api.post("repositories/search/", ["criteria": .object(criteria), "importers": .bool(include)])
                    let full = try await api.post("repositories/search/", ["criteria": .object(slow), "importers": .bool(include)])
                    #expect(fast.status == 200)
                    #expect(fast.json == full.json, "criteria \(criteria)")
                }
            }
            let ascending = try await api.post("repositories/search/", ["criteria": ["sort": [["id", "ascending"]], "limit": 3]])
            #expect(ascending.json.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(ids.sorted().prefix(3)))
            let created = try await api.post("repositories/search/", ["criteria": ["limit": 3]])
            #expect(created.json.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(ids.prefix(3)))
            // Bad criteria are still refused before any read.
            expectErrorBody(try await api.post("repositories/search/", ["criteria": ["sort": [["nope", "ascending"]]]]),
                            status: 400, code: "PLP0015")
        }
    }
}
