import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import Reconciler

/// The streaming decoder must give exactly what the tree decoder gives, or give up.
@Suite("Streaming manifest decoder")
struct StreamingDecoderTests {
    static let env = ["PROXY_PW": "s3cret", "FEED_TOKEN": "t0ken"]

    /// Loads `dir` both ways; returns (manifest or diagnostics) of each.
    func both(_ dir: ManifestDir) -> (fast: Result<Manifest, ManifestErrors>, tree: Result<Manifest, ManifestErrors>) {
        func run(_ streaming: Bool) -> Result<Manifest, ManifestErrors> {
            let loader = ManifestLoader(secrets: SecretResolver(environment: Self.env, baseDirectory: dir.path), streaming: streaming)
            do throws(ManifestErrors) {
                return .success(try loader.load(paths: [dir.path]))
            } catch {
                return .failure(error)
            }
        }
        return (run(true), run(false))
    }

    func expectSame(_ dir: ManifestDir, sourceLocation: SourceLocation = #_sourceLocation) {
        let (fast, tree) = both(dir)
        switch (fast, tree) {
        case (.success(let a), .success(let b)):
            #expect(a.repositories == b.repositories, sourceLocation: sourceLocation)
            #expect(a.consumers == b.consumers, sourceLocation: sourceLocation)
            #expect(a.users == b.users && a.roles == b.roles, sourceLocation: sourceLocation)
            #expect(a.files == b.files, sourceLocation: sourceLocation)
        case (.failure(let a), .failure(let b)):
            #expect(a.diagnostics == b.diagnostics, sourceLocation: sourceLocation)
        default:
            Issue.record("one path failed and the other did not: \(fast) vs \(tree)", sourceLocation: sourceLocation)
        }
    }

    func fastPathTaken(_ text: String, file: String = "m.yaml") -> Bool {
        let loader = ManifestLoader(secrets: SecretResolver(environment: Self.env, baseDirectory: "/tmp"))
        switch StreamingDecoder.decode(Array(text.utf8), file: file, loader: loader) {
        case .success: return true
        case .failure(let bail):
            print("fast path gave up: \(bail.reason)")
            return false
        }
    }

    static let plain = """
        # Every feature the fast path reads.
        repositories:
          - id: zoo
            display_name: "Zoo: the repository"
            description: |
              Block text
              over two lines.
            notes: {team: content, level: 3, nested: {a: [1, "2", ~]}, flag: true}
            importer:
              type: yum_importer
              config:
                feed: https://cdn.example.com/zoo/
                ssl_validation: false
                max_downloads: 7
                max_speed: 1.5
                proxy_password: {env: PROXY_PW}
                query_auth_token: {file: token.txt}
                skip: [drpm, erratum]
            sync_schedules:
              - schedule: "2024-01-01T02:00:00Z/P1D"
                failure_threshold: 3
                enabled: false
                override_config: {validate: true}
              - schedule: PT6H
            distributors:
              - id: yum
                type: yum_distributor
                auto_publish: true
                config:
                  relative_url: 'zoo'
                  http: false
                  https: true
                publish_schedules:
                  - schedule: R3/2026-01-01T00:00:00Z/PT1H
                    failure_threshold: ~
              - id: iso
                type: iso_distributor
          - id: "7"
            display_name: ~
            protect: true
          - {id: flow, importer: {type: iso_importer, config: {feed: "http://x/"}}}
        consumers:
          - id: c1
            schedules:
              install:
                - schedule: PT1H
                  units: [{type_id: rpm, unit_key: {name: zsh}}]
        users:
          - login: alice
            password: {file: token.txt}
        roles:
          - id: readers
            permissions: {/v2/repositories/: [read]}
            members: [alice]
        ---
        ---
        repositories:
          - id: second-document
        """

    @Test("a plain manifest takes the fast path and decodes exactly as the tree decoder does")
    func plainManifest() throws {
        let dir = try ManifestDir(["m.yaml": Self.plain, "token.txt": "abc\n"])
        #expect(fastPathTaken(Self.plain, file: dir.path("m.yaml")))
        expectSame(dir)
        let m = try #require(try? both(dir).fast.get())
        #expect(m.repositories.map(\.id) == ["zoo", "7", "flow", "second-document"])
        #expect(m.repositories.map(\.protect) == [false, true, false, false] && m.repositories[1].protectMark?.line != nil)
        #expect(m.users.map(\.login) == ["alice"] && m.roles.first?.permissions == ["/v2/repositories/": ["READ"]])
        #expect(m.repositories[0].importer?.config["proxy_password"] == .secret(.env("PROXY_PW")))
        #expect(m.repositories[0].importer?.config["query_auth_token"] == .secret(.file(dir.path("token.txt"))))
        #expect(m.repositories[0].importer?.config["max_speed"] == .plain(1.5))
        #expect(m.repositories[0].syncSchedules.map(\.mark.line) == [20, 24])
        #expect(m.repositories[0].distributors.map(\.id) == ["yum", "iso"])
        #expect(m.consumers.map(\.id) == ["c1"])
    }

    @Test("the benchmark's estate shape takes the fast path", arguments: [1, 50])
    func estateShape(count: Int) throws {
        var text = "repositories:\n"
        for i in 0..<count {
            text += """
                  - id: rhel-8-server-rpms-x86_64-\(i)
                    display_name: "RHEL 8 Server RPMs x86_64 \(i)"
                    notes:
                      product: rhel-8
                      arch: x86_64
                    importer:
                      type: yum_importer
                      config:
                        feed: https://cdn.redhat.com/content/dist/rhel8/\(i)/os/
                        ssl_validation: true
                        ssl_ca_cert: /etc/pki/rhui/cdn.crt
                        max_downloads: 10
                        remove_missing: true
                        download_policy: on_demand
                    distributors:
                      - id: yum_distributor
                        type: yum_distributor
                        auto_publish: true
                        config: {relative_url: "content/\(i)", http: false, https: true, protected: true, checksum_type: sha256}
                    sync_schedules:
                      - schedule: "2026-01-01T00:00:00Z/PT6H"

                """
        }
        #expect(fastPathTaken(text))
        expectSame(try ManifestDir(["estate.yaml": text]))
    }

    /// Each is valid or invalid, but not the fast path's: it gives up and the tree decoder reads the file.
    static let other: [String] = [
        "defaults: {importer: {type: yum_importer}}\nrepositories:\n  - id: a\n",
        "matrix:\n  - vars: {v: [a, b]}\n    repository: {id: 'r-${v}'}\n",
        "repositories:\n  - &base {id: a, description: x}\n  - {<<: *base, id: b}\n",
        "repositories:\n  - id: !!str 5\n",
        "repositories:\n  - id: a\n    id: b\n",
        "repositories:\n  - id: a\n    colour: red\n",
        "repositories:\n  - id: 'bad id'\n",
        "repositories:\n  - id: a\n    notes: {pulpform_managed: 'true'}\n",
        "repositories:\n  - id: a\n    importer: {type: nope}\n",
        "repositories:\n  - id: a\n    importer: {type: yum_importer, config: {feed: 5}}\n",
        "repositories:\n  - id: a\n    importer: {type: yum_importer, config: {proxy_password: inline}}\n",
        "repositories:\n  - id: a\n    importer: {type: yum_importer, config: {proxy_password: {env: MISSING}}}\n",
        "repositories:\n  - id: a\n    importer: {type: yum_importer, config: {feed: ~}}\n",
        "repositories:\n  - id: a\n    sync_schedules: [{schedule: PT1H}]\n",
        "repositories:\n  - id: a\n    importer: {type: yum_importer}\n    sync_schedules: [{schedule: P1X}]\n",
        "repositories:\n  - id: a\n    importer: {type: yum_importer}\n    sync_schedules: [{schedule: PT1H, failure_threshold: 0}]\n",
        "repositories:\n  - id: a\n    distributors: [{id: d, type: yum_distributor, config: {http: true}}]\n",
        "repositories:\n  - id: a\n    distributors: [{id: d, type: iso_distributor}, {id: d, type: iso_distributor}]\n",
        "repositories:\n  - id: a\n    distributors: [{id: d, type: iso_distributor, auto_publish: 'yes'}]\n",
        "repositories: [a, b]\n",
        "repositories:\n  - id: a\n    importer:\n",
        "- just a list\n",
        "repositories:\n  - id: a\n    description: [x]\n",
        "repositories:\n  - {id: a\n",
        "consumers:\n  - id: c\n    schedules: {install: [{schedule: PT1H}]}\n",
    ]

    @Test("anything else falls back to the tree decoder, with the same result or the same diagnostics",
          arguments: Array(other.indices))
    func fallback(index: Int) throws {
        let text = Self.other[index]
        #expect(!fastPathTaken(text), "the fast path must give up on: \(text)")
        expectSame(try ManifestDir(["m.yaml": text]))
    }

    @Test("checks across repositories and files apply to both paths")
    func crossChecks() throws {
        let twice = "repositories:\n  - id: a\n  - id: a\n"
        #expect(fastPathTaken(twice))
        expectSame(try ManifestDir(["m.yaml": twice]))
        expectSame(try ManifestDir(["a.yaml": "repositories:\n  - id: a\n", "b.yaml": "repositories:\n  - {id: a}\n"]))
        #expect(!diagnostics(try ManifestDir(["a.yaml": "repositories:\n  - id: a\n", "b.yaml": "repositories:\n  - {id: a}\n"])).isEmpty)
    }

    /// A repository as a plain manifest item, in JSON (which is YAML): the shape the fast path takes.
    static func plainItem(_ r: DesiredRepository) -> JSONValue {
        func config(_ c: [String: ConfigValue]) -> JSONValue {
            .object(c.mapValues { value -> JSONValue in
                switch value {
                case .plain(let v): return v
                case .secret(.env(let n)): return ["env": .string(n)]
                case .secret(.file(let p)): return ["file": .string(p)]
                }
            })
        }
        func schedules(_ list: [DesiredSchedule]) -> JSONValue {
            .array(list.map { s in
                var o: JSONObject = ["schedule": .string(s.schedule), "enabled": .bool(s.enabled), "override_config": .object(s.overrideConfig)]
                if let f = s.failureThreshold { o["failure_threshold"] = .int(f) }
                return .object(o)
            })
        }
        var o: JSONObject = ["id": .string(r.id), "notes": .object(r.notes)]
        if let d = r.displayName { o["display_name"] = .string(d) }
        if let d = r.description { o["description"] = .string(d) }
        if let i = r.importer { o["importer"] = ["type": .string(i.type), "config": config(i.config)] }
        o["distributors"] = .array(r.distributors.map { d in
            ["id": .string(d.id), "type": .string(d.type), "auto_publish": .bool(d.autoPublish), "config": config(d.config),
             "publish_schedules": schedules(d.schedules)]
        })
        if !r.syncSchedules.isEmpty { o["sync_schedules"] = schedules(r.syncSchedules) }
        return .object(o)
    }

    @Test("the shipped examples' repositories, written out plain, take the fast path and decode as the tree decoder does")
    func examples() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for example in ["quickstart", "rhui"] {
            let path = root.appendingPathComponent("examples/\(example)").path
            let secrets = SecretResolver(environment: ["RHUI_PROXY_PASSWORD": "pw"], baseDirectory: path)
            // The examples use defaults and matrices, which only the tree decoder reads.
            let original = try ManifestLoader(secrets: secrets, streaming: false).load(paths: [path])
            #expect(original.repositories.count >= 3)
            let text = "repositories:\n" + original.repositories.map { "  - " + Self.plainItem($0).serialized() + "\n" }.joined()
            let file = path + "/plain.yaml"
            let loader = ManifestLoader(secrets: secrets)
            guard case .success(let fast) = StreamingDecoder.decode(Array(text.utf8), file: file, loader: loader) else {
                Issue.record("the fast path gave up on the plain form of \(example)")
                continue
            }
            let tree = try ManifestLoader(secrets: secrets, streaming: false).decode(Array(text.utf8), file: file)
            #expect(fast.repositories == tree.repositories)
            // And both hold what the example declares, places aside.
            func unplaced(_ r: DesiredRepository) -> JSONValue { Self.plainItem(r) }
            #expect(fast.repositories.map(unplaced) == original.repositories.map(unplaced))
        }
    }

    /// Loads `dir` with fingerprints made while loading and without: `count` secret-free repositories are
    /// fingerprinted early, and the plan's hashes are the same either way.
    static func expectEarlyFingerprints(_ dir: ManifestDir, count: Int, sample: String,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        var loader = ManifestLoader(secrets: SecretResolver(environment: env, baseDirectory: dir.path))
        loader.fingerprinting = true
        let early = try loader.load(paths: [dir.path])
        loader.fingerprinting = false
        let plain = try loader.load(paths: [dir.path])
        #expect(early.fingerprints.count == count, "every secret-free repository, and not the one with a secret",
                sourceLocation: sourceLocation)
        let canon = Canonicalizer(catalog: .builtin, fingerprinter: Fingerprinter(salt: "s"), recorded: [:],
                                  secretValues: [.env("PROXY_PW"): "s3cret"])
        let planner = Planner(catalog: .builtin, canon: canon, prune: false)
        #expect(planner.desiredHashes(early) == planner.desiredHashes(plain), sourceLocation: sourceLocation)
        let repo = try #require(plain.repositories.first { $0.id == sample }, sourceLocation: sourceLocation)
        #expect(early.fingerprints[sample] == planner.canonical(repo).hash, sourceLocation: sourceLocation)
    }

    @Test("fingerprints made while loading equal those made after, even when the fast path gives up midway")
    func backgroundFingerprints() throws {
        var text = "repositories:\n"
        for i in 0..<600 { text += "  - {id: r\(i), importer: {type: yum_importer, config: {feed: 'http://x/\(i)'}}}\n" }
        text += "  - {id: secret, importer: {type: yum_importer, config: {proxy_password: {env: PROXY_PW}}}}\n"
        // A `defaults` key after 600 repositories: the streaming decoder has handed two batches over before it
        // gives up, and the tree decoder merges the defaults into every repository.
        let late = text + "defaults: {description: merged}\n"
        for yaml in [text, late] {
            try Self.expectEarlyFingerprints(try ManifestDir(["m.yaml": yaml]), count: 600, sample: "r0")
        }
    }
}
