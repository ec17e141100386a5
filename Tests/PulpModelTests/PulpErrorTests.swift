import Foundation
import Testing
@testable import PulpModel

/// The error bodies of pulp2-compat.md §1a, key for key.
@Suite("Pulp error bodies")
struct PulpErrorTests {
    @Test("404 missing repository")
    func missingRepo() throws {
        let body = PulpError.missingResource(["repository": "nope"]).body(href: "/pulp/api/v2/repositories/nope/", method: "GET")
        let expected = try JSONValue.parse("""
            {"_href": "/pulp/api/v2/repositories/nope/", "http_status": 404, "http_request_method": "GET",
             "error_message": "Missing resource(s): repository=nope", "exception": null, "traceback": null,
             "resources": {"repository": "nope"},
             "error": {"code": "PLP0009", "description": "Missing resource(s): repository=nope",
                       "data": {"resources": {"repository": "nope"}}, "sub_errors": []}}
            """)
        #expect(JSONValue.object(body) == expected)
    }

    @Test("400 invalid repo_id")
    func invalidRepoId() throws {
        let body = PulpError.invalidValue(["repo_id"]).body(href: "/pulp/api/v2/repositories/", method: "POST")
        let expected = try JSONValue.parse("""
            {"_href": "/pulp/api/v2/repositories/", "http_status": 400, "http_request_method": "POST",
             "error_message": "Invalid properties: ['repo_id']", "exception": null, "traceback": null,
             "property_names": ["repo_id"],
             "error": {"code": "PLP0015", "description": "Invalid properties: ['repo_id']",
                       "data": {"property_names": ["repo_id"], "properties": "['repo_id']"}, "sub_errors": []}}
            """)
        #expect(JSONValue.object(body) == expected)
    }

    @Test("409 duplicate")
    func duplicate() throws {
        let body = PulpError.duplicateResource("zoo").body(href: "/pulp/api/v2/repositories/", method: "POST")
        let expected = try JSONValue.parse("""
            {"_href": "/pulp/api/v2/repositories/", "http_status": 409, "http_request_method": "POST",
             "error_message": "Duplicate resource: zoo", "exception": null, "traceback": null, "resource_id": "zoo",
             "error": {"code": "PLP0018", "description": "Duplicate resource: zoo", "data": {"resource_id": "zoo"}, "sub_errors": []}}
            """)
        #expect(JSONValue.object(body) == expected)
    }

    @Test("every code of §1a with its status, message and data")
    func codes() {
        let cases: [(PulpError, String, Int, String)] = [
            (.missingResource(["repo_id": "r", "distributor_id": "d"]), "PLP0009", 404, "Missing resource(s): repo_id=r, distributor_id=d"),
            (.invalidValue(["a", "b"]), "PLP0015", 400, "Invalid properties: ['a', 'b']"),
            (.missingValue(["id"]), "PLP0016", 400, "Missing values for: ['id']"),
            (.unsupportedValue(["x"]), "PLP0017", 400, "Unsupported properties: ['x']"),
            (.duplicateResource("z"), "PLP0018", 409, "Duplicate resource: z"),
            (.conflictingOperation(["busy"]), "PLP0010", 409, "Conflicting operation reasons: [\"busy\"]"),
            (.dataException("bad"), "PLP0000", 400, "bad"),
            (.invalidImporterType("nope"), "PLP1008", 400, "The importer type nope does not exist"),
            (.invalidJSON(), "PLP1009", 400, "The request body does not contain valid JSON"),
            (.invalidType(field: "delta", value: "x", fieldType: "dict"), "PLP1010", 400,
             "Provided value x for field delta must be of type dict."),
            (.invalidPurgeState("running"), "PLP1011", 400, "Invalid task state passed to purge: running."),
            (.noPurgeState(), "PLP1012", 403, "No task state given to parameters list for delete."),
            (.invalidJSONType("dict"), "PLP1015", 400, "The JSON data must be of type 'dict'."),
        ]
        for (e, code, status, message) in cases {
            #expect(e.code == code)
            #expect(e.httpStatus == status)
            #expect(e.message == message)
            let body = e.body(href: "/x/", method: "PUT")
            #expect(body["http_status"] == .int(status))
            #expect(body["error"]?["code"] == .string(code))
            #expect(body["error"]?["description"] == .string(message))
            #expect(body["error"]?["sub_errors"] == [])
            #expect(body["exception"] == .null && body["traceback"] == .null)
        }
        #expect(PulpError.missingValue(["id"]).extra["missing_property_names"] == ["id"])
        #expect(PulpError.unsupportedValue(["x"]).extra["unsupported_property_names"] == ["x"])
        #expect(PulpError.invalidJSONType("dict").data == ["data_type": "dict"])
        #expect(PulpError.invalidJSONType("dict").extra["args"] == [])
        #expect(PulpError.dataException("bad").extra["args"] == ["bad"])
        #expect(PulpError.invalidType(field: "delta", value: "x", fieldType: "dict").data
            == ["value": "x", "field": "delta", "field_type": "dict"])
    }

    @Test("sub-errors render inside error")
    func subErrors() {
        let e = PulpError.invalidValue(["criteria"], subErrors: [.dataException("bad sort")])
        #expect(e.errorDict["sub_errors"] == [["code": "PLP0000", "description": "bad sort", "data": [:], "sub_errors": []]])
    }
}

@Suite("JSON values")
struct JSONValueTests {
    @Test("parses and serialises with sorted keys, keeping ints apart from floats")
    func roundTrip() throws {
        let v = try JSONValue.parse(#"{"b": [1, 2.5, true, null, "x\"\u00e9\n"], "a": {"n": -3, "f": 1390858910.292712}}"#)
        #expect(v["a"]?["n"] == .int(-3))
        #expect(v["a"]?["f"] == .double(1_390_858_910.292712))
        #expect(v.serialized() == #"{"a":{"f":1390858910.292712,"n":-3},"b":[1,2.5,true,null,"x\"é\n"]}"#)
        #expect(try JSONValue.parse(v.serialized()) == v)
        #expect(JSONValue.double(1_390_858_910).serialized() == "1390858910.0")
    }

    @Test("strings with and without escapes, plain or not ASCII")
    func strings() throws {
        let v = try JSONValue.parse(#"["plain", "", "pre\tpost", "été", "\u00e9t\u00e9", "a\"b", "tail\\", "\ud83d\ude00 ok"]"#)
        #expect(v == ["plain", "", "pre\tpost", "été", "été", "a\"b", "tail\\", "😀 ok"])
        #expect(throws: JSONError.self) { try JSONValue.parse(Data([0x22, 0xFF, 0x22])) }
        #expect(throws: JSONError.self) { try JSONValue.parse(Data([0x22, 0x61, 0x5C, 0x6E, 0xFF, 0x22])) }
    }

    @Test("rejects what is not JSON", arguments: ["", "{", "[1,]", "{'a': 1}", "tru", "01", "1.", "\"\\x\"", "[1] 2", "\"\u{01}\"",
                                                 "\"abc", "\"ab\u{01}c\"", "\"ab\\nc"])
    func rejects(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test("huge numbers become doubles or are rejected; deep nesting is rejected")
    func limits() throws {
        #expect(try JSONValue.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(throws: JSONError.self) { try JSONValue.parse("1e999") }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try JSONValue.parse(ok) != .null)
    }

    @Test("surrogate pairs decode; lone surrogates do not")
    func surrogates() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(throws: JSONError.self) { try JSONValue.parse(#""\ud83d""#) }
    }
}
