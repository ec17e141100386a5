import Testing
@testable import PulpModel

@Suite("Search criteria (§1e)")
struct SearchTests {
    static let docs: [JSONObject] = [
        ["id": "zoo", "_id": ["$oid": "000000000000000000000001"], "_href": "/z/", "notes": ["team": "a", "tier": 1],
         "tags": ["pulp:repository:zoo", "pulp:action:sync"], "started": "2015-01-01T00:00:00Z", "config": ["relative_url": "zoo"]],
        ["id": "emu", "_id": ["$oid": "000000000000000000000002"], "_href": "/e/", "notes": ["team": "b", "tier": 2],
         "tags": ["pulp:repository:emu", "pulp:action:publish"], "started": "2016-06-01T00:00:00Z", "config": [:]],
        ["id": "owl", "_id": ["$oid": "000000000000000000000003"], "_href": "/o/", "notes": ["team": "a"],
         "tags": ["pulp:repository:owl", "pulp:action:publish"], "started": "2017-01-01T00:00:00Z", "config": ["relative_url": nil]],
        ["id": "ant", "_id": ["$oid": "000000000000000000000004"], "_href": "/a/", "notes": [:], "tags": [],
         "started": "2018-01-01T00:00:00Z", "config": [:]],
        ["id": "bee", "_id": ["$oid": "000000000000000000000005"], "_href": "/b/", "notes": ["team": "c", "tier": 3],
         "tags": ["pulp:action:sync"], "started": "2019-01-01T00:00:00Z", "config": [:]],
    ]
    static let known: Set<String> = ["id", "_id", "_href", "notes", "tags", "started", "config"]

    func ids(_ criteria: JSONValue) throws -> [String] {
        try SearchCriteria.parse(criteria).apply(to: Self.docs, aliases: ["repo_id": "id"], knownFields: Self.known,
                                                 alwaysKept: ["id", "_id", "_href"]).compactMap { $0["id"]?.stringValue }
    }

    @Test("a backtracking $regex is refused once the search's matching budget is spent; ordinary ones are not")
    func regexBudget() throws {
        let evil: [JSONObject] = (0..<50).map { ["id": .string(String(repeating: "a", count: 60) + ".\($0)")] }
        let criteria = try SearchCriteria.parse(["filters": ["id": ["$regex": "^(a+)+$"]]])
        #expect(throws: PulpError.invalidValue(["filters"])) {
            try criteria.apply(to: evil, knownFields: ["id"], alwaysKept: ["id"])
        }
        // Each search has its own budget: the next one still matches.
        let many: [JSONObject] = (0..<20_000).map { ["id": .string("rhel-\($0)-x86_64")] }
        let found = try SearchCriteria.parse(["filters": ["id": ["$regex": "^rhel-1[0-9]*-x86_64$"]]])
            .apply(to: many, knownFields: ["id"], alwaysKept: ["id"])
        #expect(found.count == 11_111)
        #expect(try ids(["filters": ["id": ["$regex": "^(z+)+o"]]]) == ["zoo"])
    }

    @Test("operators, dotted paths and array membership")
    func operators() throws {
        #expect(try ids(["filters": ["id": "zoo"]]) == ["zoo"])
        #expect(try ids(["filters": ["repo_id": "zoo"]]) == ["zoo"], "aliases")
        #expect(try ids(["filters": ["id": ["$in": ["zoo", "owl", "nope"]]]]) == ["zoo", "owl"])
        #expect(try ids(["filters": ["id": ["$nin": ["zoo", "owl"]]]]) == ["emu", "ant", "bee"])
        #expect(try ids(["filters": ["id": ["$ne": "zoo"]]]).count == 4)
        #expect(try ids(["filters": ["notes.team": "a"]]) == ["zoo", "owl"])
        #expect(try ids(["filters": ["notes.tier": ["$gte": 2]]]) == ["emu", "bee"])
        #expect(try ids(["filters": ["notes.tier": ["$gt": 1, "$lt": 3]]]) == ["emu"])
        #expect(try ids(["filters": ["notes.tier": ["$lte": 1]]]) == ["zoo"])
        #expect(try ids(["filters": ["notes.tier": ["$exists": false]]]) == ["owl", "ant"])
        #expect(try ids(["filters": ["config.relative_url": ["$exists": true]]]) == ["zoo", "owl"])
        #expect(try ids(["filters": ["tags": ["$eq": "pulp:action:publish"]]]) == ["emu", "owl"])
        #expect(try ids(["filters": ["tags": "pulp:action:sync"]]) == ["zoo", "bee"])
        #expect(try ids(["filters": ["tags": ["$all": ["pulp:repository:zoo", "pulp:action:sync"]]]]) == ["zoo"])
        #expect(try ids(["filters": ["tags": ["$size": 0]]]) == ["ant"])
        #expect(try ids(["filters": ["tags": ["$elemMatch": ["$regex": "^pulp:repository:[eo]"]]]]) == ["emu", "owl"])
        #expect(try ids(["filters": ["id": ["$regex": "^[a-e]"]]]) == ["emu", "ant", "bee"])
        #expect(try ids(["filters": ["id": ["$regex": "^Z", "$options": "i"]]]) == ["zoo"])
        #expect(try ids(["filters": ["id": ["$not": "^[a-e]"]]]) == ["zoo", "owl"])
        #expect(try ids(["filters": ["notes.tier": ["$not": ["$gt": 1]]]]) == ["zoo", "owl", "ant"])
        #expect(try ids(["filters": ["$or": [["id": "zoo"], ["notes.team": "c"]]]]) == ["zoo", "bee"])
        #expect(try ids(["filters": ["$and": [["notes.team": "a"], ["notes.tier": 1]]]]) == ["zoo"])
        #expect(try ids(["filters": ["$nor": [["notes.team": "a"], ["notes.team": "b"]]]]) == ["ant", "bee"])
        #expect(try ids(["filters": ["_id": "000000000000000000000002"]]) == ["emu"], "_id strings are ObjectIds")
        #expect(try ids(["filters": ["nonexistent": "x"]]).isEmpty, "unknown filter fields match nothing")
        #expect(try ids(["filters": ["notes": ["team": "a", "tier": 1]]]) == ["zoo"], "whole-object equality")
    }

    @Test("$date compares as a datetime anywhere, including inside $and/$or")
    func dates() throws {
        #expect(try ids(["filters": ["started": ["$lt": ["$date": "2016-01-01T00:00:00Z"]]]]) == ["zoo"])
        #expect(try ids(["filters": ["$or": [["started": ["$lt": ["$date": "2016-01-01T00:00:00Z"]]],
                                              ["started": ["$gte": ["$date": "2019-01-01T00:00:00+00:00"]]]]]]) == ["zoo", "bee"])
        #expect(try ids(["filters": ["$and": [["started": ["$gt": ["$date": "2016-01-01T00:00:00Z"]]],
                                               ["started": ["$lt": ["$date": "2018-06-01T00:00:00Z"]]]]]]) == ["emu", "owl", "ant"])
    }

    @Test("sort, stable and complete paging, fields")
    func paging() throws {
        #expect(try ids(["sort": [["id", "ascending"]]]) == ["ant", "bee", "emu", "owl", "zoo"])
        #expect(try ids(["sort": [["id", "descending"]]]) == ["zoo", "owl", "emu", "bee", "ant"])
        #expect(try ids(["sort": [["notes.tier", "-1"]]]) == ["bee", "emu", "zoo", "owl", "ant"])
        var seen: [String] = []
        for skip in [0, 2, 4] { seen += try ids(["limit": 2, "skip": .int(skip)]) }
        #expect(seen == ["zoo", "emu", "owl", "ant", "bee"], "every document exactly once")
        #expect(try ids(["limit": "1", "skip": "1"]) == ["emu"], "numeric strings")
        let projected = try SearchCriteria.parse(["fields": ["notes"], "limit": 1]).apply(
            to: Self.docs, knownFields: Self.known, alwaysKept: ["id", "_id", "_href"])
        #expect(Set(projected.first?.keys.map { $0 } ?? []) == ["id", "_id", "_href", "notes"])
        #expect(try ids([:]).count == 5, "empty criteria return everything")
    }

    @Test("bad criteria are InvalidValue naming the key")
    func invalid() {
        let cases: [(JSONValue, [String])] = [
            (["bogus": 1], ["bogus"]),
            (["limit": 0], ["limit"]), (["limit": true], ["limit"]), (["skip": -1], ["skip"]), (["skip": false], ["skip"]),
            (["sort": "id"], ["sort"]), (["sort": [["id", "sideways"]]], ["sort"]), (["sort": [[1, "ascending"]]], ["sort"]),
            (["fields": "id"], ["fields"]), (["fields": [1]], ["fields"]), (["filters": "x"], ["filters"]),
            (["filters": ["id": ["$bogus": 1]]], ["filters"]), (["filters": ["id": ["$regex": "("]]], ["filters"]),
            (["sort": [["unknown_field", "ascending"]]], ["sort"]), (["fields": ["unknown_field"]], ["fields"]),
            ("not an object", ["criteria"]),
        ]
        for (criteria, names) in cases {
            #expect(throws: PulpError.invalidValue(names), "\(criteria)") { _ = try ids(criteria) }
        }
    }

    @Test("the GET form behaves like the POST form")
    func getForm() throws {
        let c = try SearchCriteria.parse(query: [("filters", #"{"id": {"$in": ["zoo", "emu"]}}"#), ("field", "id"), ("field", "notes"),
                                                 ("limit", "1"), ("sort", #"[["id", "ascending"]]"#), ("details", "true")])
        #expect(c.limit == 1 && c.fields == ["id", "notes"] && c.sort.first?.field == "id")
        #expect(throws: PulpError.invalidValue(["filters"])) { _ = try SearchCriteria.parse(query: [("filters", "{not json")]) }
        #expect(throws: PulpError.invalidValue(["sort"])) { _ = try SearchCriteria.parse(query: [("sort", "[[")]) }
    }
}
