import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import Reconciler

@Suite("ManifestEditor: in-place manifest rewrites")
struct ManifestEditorTests {
    @Test("adds, removes and replaces in block mappings, creates missing mappings, and leaves what it cannot write with a reason")
    func edits() throws {
        let tmp = try TempDir("pulpform-editor")
        let file = tmp.path("m.yaml")
        try """
            defaults:
              description: shared
            repositories:
              - id: zoo
                # who owns it
                display_name: 'Zoo'
                description: |
                  a block
                importer:
                  type: yum_importer
                  config:
                    feed: https://cdn.example.com/zoo/
                    proxy_password: {env: PROXY}
                    ssl_validation: true
                distributors:
                  - id: yum
                    type: yum_distributor
                    config: {relative_url: zoo, http: true, https: false, checksum_type: sha256}
              - id: emu
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let changes = [
            AcceptedDrift(address: "repository.zoo", kind: .outside, changes: [
                FieldChange(path: "display_name", before: "Zoo", after: "Zoo: the sequel"),
                FieldChange(path: "description", before: "a block\n", after: "other"),
                FieldChange(path: "importer.config.ssl_validation", before: true, after: nil),
                FieldChange(path: "importer.config.max_speed", before: nil, after: 1000),
                FieldChange(path: "importer.config.proxy_password", before: nil, after: nil, sensitive: true, hadValue: true, willHaveValue: true),
                FieldChange(path: "distributor.yum.config.relative_url", before: "zoo", after: "zoo/new"),
                FieldChange(path: "distributor.yum.config.checksum_type", before: "sha256", after: nil),
                FieldChange(path: "notes.owner", before: nil, after: "ops"),
            ]),
            AcceptedDrift(address: "repository.emu", kind: .outside, changes: [FieldChange(path: "description", before: "shared", after: nil)]),
            AcceptedDrift(address: "repository.made-by-matrix", kind: .outside, changes: [FieldChange(path: "display_name", before: "a", after: "b")]),
        ]
        let result = ManifestEditor().update(files: [file], changes: changes)
        #expect(result.files[file] == """
            defaults:
              description: shared
            repositories:
              - id: zoo
                # who owns it
                display_name: "Zoo: the sequel"
                description: |
                  a block
                importer:
                  type: yum_importer
                  config:
                    feed: https://cdn.example.com/zoo/
                    proxy_password: {env: PROXY}
                    max_speed: 1000
                distributors:
                  - id: yum
                    type: yum_distributor
                    config: {relative_url: zoo/new, http: true, https: false}
                notes: {owner: ops}
              - id: emu
            """)
        #expect(result.edits.map(\.path) == ["display_name", "importer.config.ssl_validation", "importer.config.max_speed",
                                             "distributor.yum.config.relative_url", "distributor.yum.config.checksum_type", "notes.owner"])
        let left = result.unresolved.map { "\($0.address) \($0.path)" }
        #expect(left == ["repository.zoo description", "repository.zoo importer.config.proxy_password", "repository.emu description",
                         "repository.made-by-matrix display_name"], "\(result.unresolved)")
        #expect(result.unresolved[0].reason.contains("block scalar") && result.unresolved[0].mark?.line == 7, "\(result.unresolved[0])")
        #expect(result.unresolved[1].reason.contains("secret"))
        #expect(result.unresolved[2].reason.contains("inherited from defaults"))
        #expect(result.unresolved[3].reason.contains("matrix"))
        // The result loads, and says what the target has.
        try result.files[file]?.write(toFile: file, atomically: true, encoding: .utf8)
        let m = try ManifestLoader(secrets: SecretResolver(environment: ["PROXY": "pw"], baseDirectory: tmp.path(""))).load(paths: [file])
        #expect(m.repositories.first?.displayName == "Zoo: the sequel")
    }
}
