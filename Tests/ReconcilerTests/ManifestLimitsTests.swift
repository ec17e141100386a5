import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import Reconciler
@testable import ManifestFuzzing

#if canImport(Glibc)
import Glibc
#endif

/// Notes nested `depth` collections deep inside a repository of a `repositories` list: the document's mapping,
/// the list and the repository take three levels, `notes` the fourth.
private func nested(depth: Int) -> String {
    let inner = depth - 4
    return "{a: " + String(repeating: "[", count: inner) + String(repeating: "]", count: inner) + "}"
}

private func loaded(_ text: String, limits: ManifestLimits = ManifestLimits(), streaming: Bool = true) -> Result<Manifest, ManifestErrors> {
    var loader = ManifestLoader(secrets: SecretResolver(environment: [:], baseDirectory: "/tmp"), streaming: streaming)
    loader.limits = limits
    do {
        return .success(try loader.decode(Array(text.utf8), file: "m.yaml"))
    } catch {
        return .failure(error)
    }
}

private func messages(_ r: Result<Manifest, ManifestErrors>) -> [String] {
    guard case .failure(let e) = r else { return [] }
    return e.diagnostics.map(\.description)
}

@Suite("Manifest limits")
struct ManifestLimitsTests {
    @Test("nesting: 128 levels decode, 129 are a located error, the same on the fast path, the tree and in pieces")
    func depth() throws {
        for streaming in [true, false] {
            let ok = loaded("repositories:\n  - {id: r, notes: \(nested(depth: 128))}\n", streaming: streaming)
            #expect(messages(ok).isEmpty || messages(ok).allSatisfy { !$0.contains("nest") }, "\(messages(ok))")
            let m = messages(loaded("repositories:\n  - {id: r, notes: \(nested(depth: 129))}\n", streaming: streaming))
            // The 129th collection is the 125th `[`, after the 23 characters of `  - {id: r, notes: {a: `.
            #expect(m == ["m.yaml:2:148: collections nest deeper than 128 levels"])
        }
        // A file large enough to be cut into pieces: the deep repository is one item among thousands.
        var big = "repositories:\n"
        for i in 0..<6000 { big += "  - id: repo-\(i)\n    display_name: Repository number \(i) of the estate\n" }
        let okBig = loaded(big + "  - {id: deep, notes: \(nested(depth: 128))}\n")
        #expect(messages(okBig).allSatisfy { !$0.contains("nest") })
        let m = messages(loaded(big + "  - {id: deep, notes: \(nested(depth: 129))}\n"))
        #expect(m.count == 1 && m[0].hasPrefix("m.yaml:12002:") && m[0].hasSuffix("collections nest deeper than 128 levels"), "\(m)")
    }

    @Test("a 10,000-deep value inside a matrix template is an error, not a crash")
    func deepMatrix() {
        let d = 10_000
        let text = "matrix:\n  - vars: {v: [1]}\n    repository: {id: r, notes: " + String(repeating: "[", count: d)
            + String(repeating: "]", count: d) + "}\n"
        let m = messages(loaded(text))
        #expect(m.count == 1 && m[0].hasPrefix("m.yaml:3:") && m[0].hasSuffix("collections nest deeper than 128 levels"), "\(m)")
    }

    /// `levels` anchors, each a list of `width` aliases of the one before.
    static func aliasBomb(levels: Int, width: Int) -> String {
        var text = "repositories:\n  - id: r\n    notes:\n      a0: &a0 [\"lol\"]\n"
        for i in 1..<levels {
            text += "      a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: width).joined(separator: ", ") + "]\n"
        }
        return text
    }

    @Test("aliases: a billion-laughs bomb stops at the alias that crosses the budget; ordinary aliases pass")
    func aliases() {
        for levels in [7, 9] {
            let m = messages(loaded(Self.aliasBomb(levels: levels, width: 10)))
            #expect(m.count == 1, "\(m)")
            #expect(m.first?.contains("aliases expand to more than 100,000 nodes") == true, "\(m)")
            // The alias that crosses 100,000 nodes is on the line of a5 (10^5 lol's), the 9th line.
            #expect(m.first?.hasPrefix("m.yaml:9:") == true, "\(m)")
        }
        // 4 × 10: 11,110 nodes from aliases is fine.
        #expect(messages(loaded(Self.aliasBomb(levels: 4, width: 10))).isEmpty)
        let merged = loaded("""
            repositories:
              - id: a
                importer: &imp {type: iso_importer, config: {feed: "https://cdn.example.com/"}}
              - id: b
                importer: *imp
            """)
        guard case .success(let manifest) = merged else { Issue.record("\(messages(merged))"); return }
        #expect(manifest.repositories.map { $0.importer?.type } == ["iso_importer", "iso_importer"])
    }

    @Test("a matrix larger than the limit is refused at vars with its product; --matrix-limit lifts it")
    func matrix() {
        let values = "[" + (0..<10).map(String.init).joined(separator: ", ") + "]"
        let bomb = "matrix:\n  - vars: {a: \(values), b: \(values), c: \(values), d: \(values), e: \(values), f: \(values)}\n"
            + "    repository: {id: 'r-${a}${b}${c}${d}${e}${f}'}\n"
        #expect(messages(loaded(bomb)) == [
            "m.yaml:2:11: this matrix expands to 1,000,000 repositories (10 × 10 × 10 × 10 × 10 × 10), more than the limit of "
                + "100,000; --matrix-limit raises it",
        ])
        let small = "matrix:\n  - vars: {a: [1, 2, 3, 4], b: [1, 2, 3, 4]}\n    repository: {id: 'r-${a}-${b}'}\n"
        var limits = ManifestLimits()
        limits.matrixRepositories = 10
        #expect(messages(loaded(small, limits: limits)).first?.contains("16 repositories (4 × 4), more than the limit of 10") == true)
        limits.matrixRepositories = 16
        guard case .success(let m) = loaded(small, limits: limits) else { Issue.record("16 fit a limit of 16"); return }
        #expect(m.repositories.count == 16)
        // The limit holds for all matrices together.
        let two = small + "  - vars: {a: [5, 6, 7, 8], b: [1, 2, 3, 4]}\n    repository: {id: 's-${a}-${b}'}\n"
        limits.matrixRepositories = 20
        #expect(messages(loaded(two, limits: limits)).first?.contains("more than the 4 left of the limit of 20 for all matrices") == true,
                "\(messages(loaded(two, limits: limits)))")
    }

    @Test("expanded nodes: large defaults or templates copied into every repository hit the node budget")
    func expansion() {
        // An anchor of 10,000 nodes (within the alias budget), used by defaults under 2,000 repositories.
        let list = "[" + Array(repeating: "x", count: 10_000).joined(separator: ", ") + "]"
        var text = "defaults:\n  notes: {big: \(list)}\nrepositories:\n"
        for i in 0..<2_000 { text += "  - id: r\(i)\n" }
        var limits = ManifestLimits()
        limits.matrixRepositories = 1_000  // 100,000 nodes, plus the file's bytes
        let m = messages(loaded(text, limits: limits))
        #expect(m.count == 1 && m[0].contains("the repositories expand to more than"), "\(m)")
        #expect(ManifestLoader.nodeCount(YAMLNode(.sequence(Array(repeating: YAMLNode(.scalar("x", .plain, tag: nil),
            mark: SourceMark(file: "f", line: 1, column: 1)), count: 5)), mark: SourceMark(file: "f", line: 1, column: 1)), limit: 100) == 6)
        // A matrix template that is large through aliases is refused before a single copy is made.
        let matrix = "matrix:\n  - vars: {a: [" + (0..<1_000).map(String.init).joined(separator: ", ") + "]}\n"
            + "    repository: {id: 'r-${a}', notes: {a: &big \(list), b: *big, c: *big}}\n"
        let mm = messages(loaded(matrix))
        #expect(mm.count == 1 && mm[0].hasPrefix("m.yaml:2:11: this matrix expands to 1,000 copies of a template of"), "\(mm)")
    }

    @Test("long values are cut in messages, and no suggestion is worked out for them")
    func longValues() {
        let type = String(repeating: "x", count: 200_000)
        let m = messages(loaded("repositories:\n  - id: r\n    importer: {type: \(type)}\n"))
        #expect(m.count == 1)
        #expect(m.first.map { $0.utf8.count < 300 } == true, "\(m.first?.prefix(400) ?? "")")
        #expect(m.first?.contains("(200,000 bytes)") == true)
        #expect(NodeReader.suggestion(String(repeating: "yum_importer", count: 10), ["yum_importer"]) == "")
        #expect(NodeReader.suggestion("yum_imprter", ["yum_importer"]) == "; did you mean \"yum_importer\"?")
        let key = String(repeating: "k", count: 10_000)
        let k = messages(loaded("repositories:\n  - id: r\n    \(key): 1\n"))
        #expect(k.count == 1 && k[0].utf8.count < 300, "\(k.first?.prefix(300) ?? "")")
    }

    @Test("{file:} secrets: regular files only, up to a size; devices, FIFOs and directories are refused at once")
    func secretFiles() throws {
        let dir = try ManifestDir(["ok.pem": "secret\n", "big.pem": String(repeating: "a", count: 1024 * 1024 + 1)])
        #expect(mkfifo(dir.path("fifo"), 0o600) == 0)
        let resolver = SecretResolver(environment: [:], baseDirectory: dir.path)
        #expect(resolver.resolve(.file("ok.pem")) == .success("secret"))
        func failure(_ path: String) -> String {
            guard case .failure(let f) = resolver.resolve(.file(path)) else { return "resolved" }
            return f.message
        }
        #expect(failure("/dev/zero") == "secret {file: /dev/zero} cannot be resolved: it is a character device, not a regular file")
        #expect(failure("fifo") == "secret {file: fifo} cannot be resolved: it is a FIFO, not a regular file")
        #expect(failure("/tmp") == "secret {file: /tmp} cannot be resolved: it is a directory, not a regular file")
        #expect(failure("big.pem") == "secret {file: big.pem} cannot be resolved: the file is larger than 1,048,576 bytes")
        #expect(failure("missing.pem") == "secret {file: missing.pem} cannot be resolved: the file cannot be read")
    }

    @Test("a manifest that is a FIFO or a device is refused, not read")
    func manifestFiles() throws {
        let dir = try ManifestDir(["a.yaml": "repositories:\n  - id: a\n"])
        #expect(mkfifo(dir.path("b.yaml"), 0o600) == 0)
        #expect(symlink("/dev/zero", dir.path("c.yaml")) == 0)
        #expect(diagnostics(dir) == [
            "b.yaml:1:1: cannot read the file: it is a FIFO, not a regular file",
            "c.yaml:1:1: cannot read the file: it is a character device, not a regular file",
        ])
    }
}

@Suite("Manifest fuzzing")
struct ManifestFuzzingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the seed corpus and 3,000 deterministic mutations of it end in manifests or located diagnostics, both decoders agreeing")
    func mutations() throws {
        let seeds = ManifestFuzzing.seeds(root: Self.root)
        #expect(seeds.count >= 9)
        do {
            let n = try ManifestFuzzing.run(seeds: seeds, iterations: 3_000, seed: 42)
            #expect(n == 3_000)
        } catch {
            Issue.record("\(error): \(String(decoding: error.input.prefix(500), as: UTF8.self))")
        }
    }

    @Test("the checker refuses diagnostics outside the file, long messages and decoders that disagree")
    func checkerFails() {
        let mark = SourceMark(file: ManifestFuzzing.file, line: 1, column: 1)
        func errors(_ d: Diagnostic...) -> Result<Manifest, ManifestErrors> { .failure(ManifestErrors(diagnostics: d)) }
        let ok = errors(Diagnostic(mark, "unknown key \"x\""))
        #expect(throws: Never.self) { try ManifestFuzzing.verify(fast: ok, tree: ok, lines: 1) }
        let outside = errors(Diagnostic(SourceMark(file: ManifestFuzzing.file, line: 4, column: 1), "x"))
        #expect(throws: ManifestFuzzing.Violation.self) { try ManifestFuzzing.verify(fast: outside, tree: outside, lines: 2) }
        let long = errors(Diagnostic(mark, String(repeating: "x", count: 1_001)))
        #expect(throws: ManifestFuzzing.Violation.self) { try ManifestFuzzing.verify(fast: long, tree: long, lines: 1) }
        #expect(throws: ManifestFuzzing.Violation.self) { try ManifestFuzzing.verify(fast: .success(Manifest()), tree: ok, lines: 1) }
        let other = errors(Diagnostic(mark, "another message"))
        #expect(throws: ManifestFuzzing.Violation.self) { try ManifestFuzzing.verify(fast: ok, tree: other, lines: 1) }
        #expect(throws: ManifestFuzzing.Violation.self) { try ManifestFuzzing.verify(fast: errors(), tree: errors(), lines: 1) }
        // The mutator is deterministic.
        var a = ManifestFuzzing.Generator(seed: 9), b = ManifestFuzzing.Generator(seed: 9)
        let input = Array("repositories:\n  - id: r\n".utf8)
        #expect(ManifestFuzzing.mutate(input, other: input, using: &a) == ManifestFuzzing.mutate(input, other: input, using: &b))
    }
}
