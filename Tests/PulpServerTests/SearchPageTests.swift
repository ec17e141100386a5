import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import PulpServer

/// Pages in id or creation order are read from the store a page at a time; they must equal what the full
/// search (every document, then sort, skip and limit) returns.
@Suite("Search pages")
struct SearchPageTests {
    @Test("a page read from the store equals the same page of the full search")
    func pagesMatchFullSearch() async throws {
        try await TestPulp().serve { api in
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

    @Test("a large array is serialized on every core into exactly the bytes of the one-core serializer",
          arguments: [0, 1, 255, 256, 257, 1_001])
    func parallelArray(count: Int) async throws {
        let items: [JSONObject] = (0..<count).map { ["id": .string("r\($0)"), "n": .int($0), "notes": ["a": "\"q\"\n"]] }
        let parallel = jsonArray(items).body
        let single = json(.array(items.map(JSONValue.object))).body
        var a = ByteBuffer(), b = ByteBuffer()
        try await parallel.write(BufferWriter { a.writeImmutableBuffer($0) })
        try await single.write(BufferWriter { b.writeImmutableBuffer($0) })
        #expect(a == b)
        let parsed = try JSONValue.parse(Data(a.readableBytesView))
        #expect(parsed.arrayValue?.count == count)
    }
}

/// Collects what a response body writes.
struct BufferWriter: ResponseBodyWriter {
    let sink: (ByteBuffer) -> Void
    init(_ sink: @escaping (ByteBuffer) -> Void) { self.sink = sink }
    mutating func write(_ buffer: ByteBuffer) async throws { sink(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
