import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import Reconciler

/// Manifest files written into a fresh directory.
typealias ManifestDir = TempDir

func load(_ dir: ManifestDir, env: [String: String] = [:]) throws -> Manifest {
    try ManifestLoader(secrets: SecretResolver(environment: env, baseDirectory: dir.path)).load(paths: [dir.path])
}

func diagnostics(_ dir: ManifestDir, env: [String: String] = [:]) -> [String] {
    do {
        _ = try load(dir, env: env)
        return []
    } catch let e as ManifestErrors {
        return e.diagnostics.map { "\(($0.mark.file as NSString).lastPathComponent):\($0.mark.line):\($0.mark.column): \($0.message)" }
    } catch {
        return ["unexpected \(error)"]
    }
}

@Suite("Manifests")
struct ManifestTests {
    @Test("YAML scalars are typed by the core schema; quoted scalars stay strings")
    func scalars() throws {
        let docs = try YAMLParser.parse(Array("""
            a: 5
            b: "5"
            c: true
            d: ~
            e: 1.5
            f: yes
            g: 0x1F
            h: |
              text
            """.utf8), file: "x.yaml")
        let v = try #require(docs.first).value
        #expect(v["a"] == 5)
        #expect(v["b"] == "5")
        #expect(v["c"] == true)
        #expect(v["d"] == .null)
        #expect(v["e"] == 1.5)
        #expect(v["f"] == "yes", "YAML 1.2: yes is a string")
        #expect(v["g"] == 31)
        #expect(v["h"] == "text", "clip chomping, no final newline in the input")
    }

    @Test("syntax errors carry their place; anchors and << merges work")
    func syntax() throws {
        #expect {
            _ = try YAMLParser.parse(Array("a: [1, 2\nb: 3\n".utf8), file: "bad.yaml")
        } throws: { e in
            guard let e = e as? YAMLSyntaxError else { return false }
            return e.mark.file == "bad.yaml" && e.mark.line >= 1 && e.message.contains("YAML syntax error")
        }
        #expect(throws: YAMLSyntaxError.self) { _ = try YAMLParser.parse(Array("a: 1\na: 2\n".utf8), file: "dup.yaml") }
        let docs = try YAMLParser.parse(Array("""
            base: &b {x: 1, y: 2}
            other:
              <<: *b
              y: 3
            ---
            second: doc
            """.utf8), file: "m.yaml")
        #expect(docs.count == 2)
        #expect(docs[0].value["other"] == ["x": 1, "y": 3])
        #expect(docs[1].value["second"] == "doc")
    }

    @Test("several errors are reported together, each with its line and column")
    func manyErrors() throws {
        let dir = try ManifestDir(["repos.yaml": """
            repositories:
              - id: ok-repo
                importer:
                  type: yum_importer
                  config:
                    feed: https://cdn.example.com/a/
                    ssl_validaton: true
                    max_downloads: "five"
              - id: bad id
                dispaly_name: Bad
                sync_schedules:
                  - schedule: P1M
              - id: ok-repo
                importer:
                  type: yum_importr
            """])
        let found = diagnostics(dir)
        #expect(found == [
            "repos.yaml:7:9: yum_importer has no config key \"ssl_validaton\"; did you mean \"ssl_validation\"?",
            "repos.yaml:8:24: config key max_downloads must be an integer, not a string",
            "repos.yaml:9:9: repository id \"bad id\" may only contain letters, digits, '.', '-' and '_'",
            "repos.yaml:10:5: unknown key \"dispaly_name\" in a repository; did you mean \"display_name\"?",
            "repos.yaml:12:7: sync_schedules need an importer",
            "repos.yaml:12:19: invalid schedule \"P1M\": Intervals with year and month values are not valid without a start time",
            "repos.yaml:13:5: repository ok-repo is declared twice: here and at \(dir.path("repos.yaml")):2:5",
            "repos.yaml:15:13: unknown importer type \"yum_importr\"; did you mean \"yum_importer\"?",
        ], "\(found.joined(separator: "\n"))")
    }

    @Test("catalog checks: required keys, value types, inline secrets")
    func catalogChecks() throws {
        let dir = try ManifestDir(["a.yaml": """
            repositories:
              - id: r
                importer:
                  type: harness_importer
                  config:
                    num_units: 5
                distributors:
                  - id: yum
                    type: yum_distributor
                    config: {http: false}
                  - id: yum
                    type: iso_distributor
              - id: s
                importer:
                  type: yum_importer
                  config:
                    proxy_password: hunter2
            """])
        let found = diagnostics(dir)
        #expect(found.contains("a.yaml:6:20: config key num_units must be a string, not an integer; quote it"))
        #expect(found.contains("a.yaml:10:17: yum_distributor needs config key relative_url (path under the publish root)"))
        #expect(found.contains("a.yaml:10:17: yum_distributor needs config key https (serve over HTTPS)"))
        #expect(found.contains { $0.hasPrefix("a.yaml:11:9: distributor yum is declared twice in repository r") })
        #expect(found.contains("a.yaml:17:25: config key proxy_password is a secret: give it as {env: NAME} or {file: PATH}, not inline"))
        #expect(!found.joined().contains("hunter2"), "a secret is never echoed")
    }

    @Test("secrets come from the environment or a file, and unresolvable ones are errors")
    func secrets() throws {
        let dir = try ManifestDir([
            "a.yaml": """
                repositories:
                  - id: r
                    importer:
                      type: yum_importer
                      config:
                        feed: https://x/
                        proxy_password: {env: PROXY_PASSWORD}
                        basic_auth_password: {file: secrets/basic}
                        ssl_client_key: {file: missing.pem}
                """,
            "secrets/basic": "s3cret\n",
        ])
        #expect(diagnostics(dir) == [
            "a.yaml:7:25: secret {env: PROXY_PASSWORD} cannot be resolved: PROXY_PASSWORD is not set",
            "a.yaml:9:25: secret {file: \(dir.path("missing.pem"))} cannot be resolved: the file cannot be read",
        ])
        try Data("KEY".utf8).write(to: dir.url.appendingPathComponent("missing.pem"))
        let m = try load(dir, env: ["PROXY_PASSWORD": "pw"])
        let config = try #require(m.repositories.first?.importer?.config)
        #expect(config["proxy_password"] == .secret(.env("PROXY_PASSWORD")))
        #expect(config["basic_auth_password"] == .secret(.file(dir.path("secrets/basic"))), "relative to the manifest")
        #expect(SecretResolver(environment: [:], baseDirectory: dir.path).resolve(.file("secrets/basic")) == .success("s3cret"))
    }

    @Test("defaults and a matrix declare 12 repositories in a few lines")
    func matrix() throws {
        let dir = try ManifestDir(["rhel.yaml": """
            defaults:
              importer:
                type: yum_importer
                config:
                  ssl_validation: true
              sync_schedules:
                - schedule: 2024-01-01T01:00:00Z/P1D
                  failure_threshold: 3
            matrix:
              - vars:
                  version: [7, 8, 9]
                  arch: [x86_64, aarch64]
                  kind: [baseos, appstream]
                exclude:
                  - {version: 7, kind: appstream}
                include:
                  - {version: 7, arch: x86_64, kind: optional}
                repository:
                  id: rhel-${version}-${arch}-${kind}
                  display_name: RHEL ${version} ${kind} (${arch})
                  importer:
                    config:
                      feed: https://cdn.example.com/rhel${version}/${arch}/${kind}/
            """])
        let m = try load(dir)
        #expect(m.repositories.count == 11)
        let ids = m.repositories.map(\.id)
        #expect(ids.contains("rhel-9-aarch64-appstream"))
        #expect(ids.contains("rhel-7-x86_64-optional"))
        #expect(!ids.contains("rhel-7-x86_64-appstream"))
        let r = try #require(m.repositories.first { $0.id == "rhel-8-x86_64-baseos" })
        #expect(r.displayName == "RHEL 8 baseos (x86_64)")
        #expect(r.importer?.type == "yum_importer")
        #expect(r.importer?.config["feed"] == .plain("https://cdn.example.com/rhel8/x86_64/baseos/"))
        #expect(r.importer?.config["ssl_validation"] == .plain(true), "merged from defaults")
        #expect(r.syncSchedules.first?.failureThreshold == 3)

        let bad = try ManifestDir(["m.yaml": """
            matrix:
              - vars: {v: [1]}
                repository:
                  id: r-${vv}
            """])
        #expect(diagnostics(bad) == ["m.yaml:4:11: unknown matrix variable ${vv}; did you mean \"v\"?"])
    }

    @Test("a directory tree of files, several documents each, hidden directories skipped")
    func directories() throws {
        let dir = try ManifestDir([
            "a.yaml": "repositories:\n  - id: a\n---\nrepositories:\n  - id: b\n",
            "sub/c.yml": "consumers:\n  - id: c1\n    schedules:\n      update:\n        - schedule: R1/P1DT\n          units: [{type_id: rpm, unit_key: {name: gofer}}]\n",
            ".github/workflow.yaml": "on: push\n",
            "notes.txt": "ignored",
        ])
        let m = try load(dir)
        #expect(m.repositories.map(\.id) == ["a", "b"])
        #expect(m.consumers.first?.schedules.first?.action == .update)
        #expect(m.files.count == 2)
        #expect(diagnostics(try ManifestDir(["x.yaml": "- just a list\n"])) == ["x.yaml:1:1: a manifest document must be a mapping, not a list"])
    }
}
