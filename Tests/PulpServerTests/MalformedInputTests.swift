import Foundation
import HTTPTypes
import Testing
import PulpformTestKit
@testable import PulpModel

/// Malformed bodies get a 4xx Pulp error body, never a 5xx or a crash.
@Suite("Malformed input")
struct MalformedInputTests {
    @Test("not JSON, wrong types, huge numbers, deep nesting, very long ids, unknown keys")
    func malformed() async throws {
        try await TestPulp().serve { api in
            try await api.harnessRepo()
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let longId = String(repeating: "a", count: 100_000)
            // Each malformed body gets its own 400 and Pulp code: not JSON is PLP1009, not an object PLP1015,
            // a bad value PLP0015 (or PLP1010 for a wrong type, PLP0016 for a missing one), an unknown key PLP0017.
            let bodies: [(String, String, String)] = [
                ("repositories/", "{not json", "PLP1009"),
                ("repositories/", "", "PLP0015"),
                ("repositories/", "null", "PLP1015"),
                ("repositories/", "42", "PLP1015"),
                ("repositories/", #"{"id": 5}"#, "PLP0015"),
                ("repositories/", #"{"id": ["a"]}"#, "PLP0015"),
                ("repositories/", #"{"id": "a", "notes": "x"}"#, "PLP0015"),
                ("repositories/", #"{"id": "a", "distributors": [{"distributor_type_id": 7}]}"#, "PLP0015"),
                ("repositories/", #"{"id": 1e999}"#, "PLP1009"),
                ("repositories/", #"{"id": 123456789012345678901234567890}"#, "PLP0015"),
                ("repositories/", deep, "PLP1009"),
                ("repositories/", #"{"id": "\#(longId)!"}"#, "PLP0015"),
                ("repositories/", "\u{FEFF}{}", "PLP1009"),
                ("repositories/", #"{"id": "\ud800"}"#, "PLP1009"),
                ("repositories/search/", #"{"criteria": {"filters": {"id": {"$where": "1"}}}}"#, "PLP0015"),
                ("repositories/search/", #"{"criteria": {"limit": 1e400}}"#, "PLP1009"),
                ("repositories/search/", #"{"criteria": {"limit": 99999999999999999999}}"#, "PLP0015"),
                ("repositories/harness_repo_1/actions/sync/", #"{"override_config": "x"}"#, "PLP1010"),
                ("repositories/harness_repo_1/actions/publish/", #"{"id": {"x": 1}}"#, "PLP0015"),
                ("repositories/harness_repo_1/importers/", #"{"importer_type_id": ["x"]}"#, "PLP0015"),
                ("repositories/harness_repo_1/importers/harness_importer/schedules/sync/", #"{"schedule": "PT1H", "failure_threshold": 1e300}"#, "PLP0015"),
                ("repositories/harness_repo_1/importers/harness_importer/schedules/sync/", #"{"schedule": "P99999999999999999999Y/2014-01-01T00:00:00Z"}"#, "PLP0015"),
                ("repositories/harness_repo_1/importers/harness_importer/schedules/sync/", #"{"schedule": "PT1H", "mystery": true}"#, "PLP0017"),
                ("repositories/harness_repo_1/distributors/", #"{"distributor_type_id": "yum_distributor", "distributor_id": "\#(longId)"}"#, "PLP0015"),
                ("consumers/", #"{"id": null}"#, "PLP0016"),
                ("consumers/", #"{"id": {"a": 1}}"#, "PLP0015"),
                ("tasks/search/", #"{"criteria": []}"#, "PLP0015"),
            ]
            for (path, body, code) in bodies {
                let r = try await api.call(.post, path, raw: body)
                #expect(r.status == 400, "\(path) \(body.prefix(60)): \(r.status) \(r.text.prefix(200))")
                #expect(r.object["http_status"] == 400, "\(path) \(body.prefix(60))")
                #expect(r.object["error"]?["code"]?.stringValue == code, "\(path) \(body.prefix(60)): \(r.text.prefix(200))")
            }
            // A long id works up to 512 characters; past that it is refused, and a long path segment is a 404.
            let long = String(repeating: "b", count: 512)
            #expect(try await api.post("repositories/", ["id": .string(long)]).status == 201)
            expectErrorBody(try await api.post("repositories/", ["id": .string(long + "b")]), status: 400, code: "PLP0015")
            #expect(try await api.get("repositories/\(long)/").status == 200)
            #expect(try await api.get("repositories/\(String(repeating: "c", count: 5_000))/").status == 404)
            for (method, path) in [(HTTPRequest.Method.put, "repositories/harness_repo_1/"), (.put, "repositories/harness_repo_1/distributors/dist_1/"),
                                   (.put, "repositories/harness_repo_1/importers/harness_importer/"), (.put, "consumers/me/")] {
                let r = try await api.call(method, path, raw: "[1, 2]")
                #expect((400..<500).contains(r.status), "\(path): \(r.status)")
            }
            // The server still answers.
            #expect(try await api.get("repositories/harness_repo_1/").status == 200)
        }
    }
}

@Suite("Methods and encoded paths")
struct MethodAndPathTests {
    @Test("a known path asked with another method is 405 with Allow and Pulp's body; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await TestPulp().serve { api in
            let r = try await api.call(.patch, "repositories/")
            #expect(r.status == 405)
            #expect(r.headers[.allow] == "GET, POST")
            #expect(r.object["http_status"] == 405)
            #expect(r.object["error"]?["code"] == "PLP0000")
            let d = try await api.call(.post, "repositories/zoo/")
            #expect(d.status == 405)
            #expect(d.headers[.allow] == "DELETE, GET, PUT")
            expectErrorBody(try await api.call(.patch, "no/such/path/"), status: 404, code: "PLP0009")
            expectErrorBody(try await api.call(.patch, "repositories/zoo/nothing/"), status: 404, code: "PLP0009")
        }
    }

    @Test("path segments are percent-decoded, as Pulp decodes them")
    func percentDecoded() async throws {
        try await TestPulp().serve { api in
            #expect(try await api.post("repositories/", ["id": "pct.test"]).status == 201)
            let r = try await api.get("repositories/pct%2Etest/")
            #expect(r.status == 200)
            #expect(r.object["id"] == "pct.test")
            expectErrorBody(try await api.get("repositories/pct%ZZ/"), status: 404, code: "PLP0009")
        }
    }
}
