import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import Reconciler

/// Runs scripts/check_json_schema.py (Python's jsonschema; .ci/run installs it).
func checkSchema(_ schema: String, _ documents: [JSONValue]) throws -> (Int32, String) {
    let tmp = try TempDir()
    var paths: [String] = []
    for (i, d) in documents.enumerated() {
        let p = tmp.path("doc\(i).json")
        try d.serializedData().write(to: URL(fileURLWithPath: p))
        paths.append(p)
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", CLI.packageRoot.appendingPathComponent("scripts/check_json_schema.py").path,
                   CLI.packageRoot.appendingPathComponent(schema).path] + paths
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Every YAML document of the manifests under a directory, as JSON.
func manifestDocuments(_ dir: String) throws -> [JSONValue] {
    let root = CLI.packageRoot.appendingPathComponent(dir)
    var docs: [JSONValue] = []
    for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? .init()
    where ["yaml", "yml"].contains(url.pathExtension) {
        docs += try YAMLParser.parse([UInt8](try Data(contentsOf: url)), file: url.path).map(\.value)
    }
    return docs
}

@Suite("JSON Schemas")
struct SchemaTests {
    @Test("schemas/manifest.schema.json is generated from the catalog (PULPFORM_RECORD=1 re-records it)")
    func manifestSchemaIsCurrent() throws {
        let url = CLI.packageRoot.appendingPathComponent("schemas/manifest.schema.json")
        let generated = ManifestSchema.generate().pretty()
        if ProcessInfo.processInfo.environment["PULPFORM_RECORD"] == "1" {
            try Data(generated.utf8).write(to: url)
        }
        let committed = try String(contentsOf: url, encoding: .utf8)
        #expect(committed == generated, "run PULPFORM_RECORD=1 swift test --filter SchemaTests to re-record")
    }

    @Test("every example validates against the manifest schema", arguments: ["examples/quickstart", "examples/rhui"])
    func examplesValidate(_ dir: String) throws {
        let docs = try manifestDocuments(dir)
        #expect(!docs.isEmpty)
        let (status, output) = try checkSchema("schemas/manifest.schema.json", docs)
        #expect(status == 0, "\(output)")
    }

    @Test("the schema rejects what the loader rejects: unknown keys and wrong config types")
    func schemaRejects() throws {
        let bad: [JSONValue] = [
            ["repositories": [["id": "a", "importr": [:]]]],
            ["repositories": [["id": "a", "importer": ["type": "yum_importer", "config": ["ssl_validaton": true]]]]],
            ["repositories": [["id": "a", "importer": ["type": "yum_importer", "config": ["max_downloads": "five"]]]]],
            ["repositories": [["id": "a", "importer": ["type": "yum_importer", "config": ["proxy_password": "inline"]]]]],
            ["users": [["login": "alice", "password": "inline"]]],
            ["roles": [["id": "ops", "permissions": ["/v2/": ["raed"]]]]],
        ]
        let (status, output) = try checkSchema("schemas/manifest.schema.json", bad)
        #expect(status == 1)
        #expect(output.split(separator: "\n").count >= 6, "\(output)")
        let good: JSONValue = ["repositories": [["id": "a", "importer": ["type": "yum_importer",
                                                                          "config": ["proxy_password": ["env": "P"], "max_downloads": 3]]]]]
        #expect(try checkSchema("schemas/manifest.schema.json", [good]).0 == 0)
    }

    @Test("plan JSON validates against schemas/plan.schema.json: creates, updates, replaces, deletes, syncs")
    func planValidates() throws {
        let w = try Workspace()
        w.env.merge(exampleEnvironment) { $1 }
        var plans: [JSONValue] = []
        for example in ["examples/quickstart", "examples/rhui"] {
            let r = try CLI.run(["plan", "--format", "json", example], environment: w.env)
            #expect(r.status == 0, "\(r.stderr)")
            plans.append(try JSONValue.parse(r.stdout))
        }
        try w.write("m.yaml", secretManifest)
        w.env["PROXY_PASSWORD"] = "x"
        try w.write("basic-auth.txt", "y")
        #expect(try w.run(["apply", "--auto-approve", "m.yaml"]).status == 0)
        w.env["PROXY_PASSWORD"] = "rotated"
        try w.write("m2.yaml", """
            repositories:
              - id: zoo
                importer:
                  type: iso_importer
                  sync_after_create: true
                  config:
                    feed: https://cdn.example.com/zoo/
                    proxy_password: {env: PROXY_PASSWORD}
            """)
        let changed = try w.run(["plan", "--format", "json", "--prune", "m2.yaml"])
        let json = try JSONValue.parse(changed.stdout)
        plans.append(json)
        let actions = Set((json["resource_changes"]?.arrayValue ?? []).compactMap { $0["change"]?["actions"]?.serialized() })
        #expect(actions == ["[\"delete\",\"create\"]", "[\"delete\"]", "[\"sync\"]"], "a replace, deletions and a sync after create")
        let (status, output) = try checkSchema("schemas/plan.schema.json", plans)
        #expect(status == 0, "\(output)")
    }
}
