import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpServer
@testable import Reconciler

@Suite("schemas/pulp-v2.openapi.yaml")
struct OpenAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the router and the OpenAPI document list the same routes")
    func sameRoutes() throws {
        let url = Self.root.appendingPathComponent("schemas/pulp-v2.openapi.yaml")
        let doc = try #require(try YAMLParser.parse([UInt8](try Data(contentsOf: url)), file: url.path).first).value
        var documented = Set<String>()
        for (path, ops) in doc["paths"]?.objectValue ?? [:] {
            for method in (ops.objectValue ?? [:]).keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        let served = try TestPulp()
        let routed = Set(PulpAPI(pulp: served.pulp).routes.map(\.description))
        #expect(routed.count >= 50)
        #expect(routed.subtracting(documented).isEmpty, "served but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not served: \(documented.subtracting(routed).sorted())")
        #expect(doc["servers"]?.arrayValue?.first?["url"] == "/pulp/api/v2")
    }

    @Test("the document is valid OpenAPI 3 (openapi-spec-validator)")
    func valid() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import sys, yaml
            from openapi_spec_validator import validate
            validate(yaml.safe_load(open(sys.argv[1])))
            """, Self.root.appendingPathComponent("schemas/pulp-v2.openapi.yaml").path]
        let out = Pipe()
        p.standardError = out
        try p.run()
        let err = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(decoding: err, as: UTF8.self).suffix(1500))")
    }
}
