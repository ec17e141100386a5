import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import Reconciler

/// A large file is cut into pieces decoded on all cores; the result must be exactly the one-core result.
@Suite("Manifest pieces")
struct ManifestPiecesTests {
    static let env = ["PROXY_PW": "s3cret"]

    /// About 1 KB of YAML per repository; `extra(i)` adds lines to repository i.
    static func estate(_ count: Int, head: String = "# an estate\nrepositories:\n", indent: String = "  ",
                       extra: (Int) -> String = { _ in "" }) -> String
    {
        var text = head
        for i in 0..<count {
            let p = indent + "  "
            text += """
                \(indent)- id: repo-\(i)
                \(p)display_name: "Repository \(i)"
                \(p)notes: {product: rhel-\(i % 7), arch: x86_64}
                \(p)importer:
                \(p)  type: yum_importer
                \(p)  config:
                \(p)    feed: https://cdn.example.com/content/dist/\(i)/os/
                \(p)    ssl_validation: true
                \(p)    max_downloads: \(i % 10 + 1)
                \(p)    proxy_password: {env: PROXY_PW}
                \(p)distributors:
                \(p)  - id: yum_distributor
                \(p)    type: yum_distributor
                \(p)    auto_publish: true
                \(p)    config: {relative_url: "content/\(i)", http: false, https: true}
                \(p)    publish_schedules: [{schedule: "2026-01-01T00:00:00Z/P1D"}]
                \(p)sync_schedules:
                \(p)  - schedule: "2026-01-01T00:00:00Z/PT6H"
                \(p)  - {schedule: PT1H, enabled: false, failure_threshold: 3}

                """ + extra(i)
        }
        return text
    }

    func loader(_ dir: String) -> ManifestLoader {
        ManifestLoader(secrets: SecretResolver(environment: Self.env, baseDirectory: dir))
    }

    func pieces(_ text: String, count: Int = 8) -> [ManifestPieces.Piece]? {
        Array(text.utf8).withUnsafeBufferPointer { ManifestPieces.cut($0, count: count) }
    }

    @Test("a large list is cut at its item lines, and each piece knows the file line it starts on")
    func cutsAtItems() throws {
        let text = Self.estate(400)
        let bytes = Array(text.utf8)
        #expect(bytes.count >= ManifestPieces.minimumBytes)
        let cut = try #require(pieces(text))
        #expect(cut.count == 8)
        #expect(cut.first?.range.lowerBound == Array("# an estate\nrepositories:\n".utf8).count)
        #expect(cut.last?.range.upperBound == bytes.count)
        for (a, b) in zip(cut, cut.dropFirst()) { #expect(a.range.upperBound == b.range.lowerBound) }
        for piece in cut {
            let start = piece.range.lowerBound
            #expect(Array(bytes[start..<start + 10]) == Array("  - id: re".utf8))
            #expect(piece.lineOffset == bytes[..<start].filter { $0 == UInt8(ascii: "\n") }.count)
        }
    }

    @Test("line feeds are counted exactly at every alignment")
    func newlineCount() {
        let bytes = Array("a\n\nbc\n\n\n\ndefgh\nij\n\n\nk\u{e9}\n\n".utf8)
        bytes.withUnsafeBufferPointer { buffer in
            for from in 0..<bytes.count {
                for to in from...bytes.count {
                    #expect(ManifestPieces.newlines(in: buffer, from..<to) == bytes[from..<to].filter { $0 == 10 }.count)
                }
            }
        }
    }

    @Test("pieces decode to exactly the one-core result, places included",
          arguments: ["# an estate\nrepositories:\n", "---\nrepositories:\n\n# items\n"], ["  ", ""])
    func sameAsOneCore(head: String, indent: String) throws {
        let text = Self.estate(500, head: head, indent: indent)
        let dir = try ManifestDir(["m.yaml": text])
        let file = dir.path("m.yaml")
        let bytes = Array(text.utf8)
        let parallel = try #require(ManifestPieces.decode(bytes, file: file, loader: loader(dir.path)))
        let one = try StreamingDecoder.decode(bytes, file: file, loader: loader(dir.path)).get().repositories
        #expect(parallel.count == 500)
        #expect(parallel == one)
        // A repository late in the file has its own line, not its piece's.
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasSuffix("- id: repo-377") }
        #expect(parallel[377].mark.line == (line ?? -1) + 1)
        var tree = loader(dir.path)
        tree.streaming = false
        #expect(try tree.load(paths: [dir.path]).repositories == parallel)
    }

    /// Each is large and valid or invalid YAML, but not of the cut's shape, or a cut lands where it cannot hold.
    static let unusual: [(name: String, text: String)] = [
        ("a consumers section after the list", estate(400) + "consumers:\n  - id: c1\n"),
        ("defaults before the list", "defaults: {description: d}\n" + estate(400)),
        ("a second document", estate(200) + "---\n" + estate(200, head: "repositories:\n")),
        ("a duplicate id in another piece", estate(400) + "  - id: repo-3\n"),
        ("a bad repository late in the file", estate(400) + "  - id: 'bad id'\n"),
        ("a syntax error late in the file", estate(400) + "  - {id: x\n"),
        // Lines that look like items inside multi-line quoted scalars and flow collections.
        ("item-like lines in quoted scalars", estate(400) { i in
            "    description: \"first line\n  - id: not-an-item-\(i)\n    still the description\"\n"
        }),
        ("item-like lines in flow collections", estate(400) { i in
            "    notes: {list: [a,\n  - id: in-flow-\(i)\n  ]}\n"
        }),
        ("item-like lines in block scalars", estate(400) { i in
            "    description: |\n      text\n      - id: in-block-\(i)\n"
        }),
    ]

    @Test("anything else gives the one-core result or its diagnostics", arguments: Array(unusual.indices))
    func unusualFiles(index: Int) throws {
        let text = Self.unusual[index].text
        #expect(text.utf8.count >= ManifestPieces.minimumBytes)
        let dir = try ManifestDir(["m.yaml": text])
        if Self.unusual[index].name == "item-like lines in quoted scalars" {
            // Cuts do land inside the quoted scalars, and the pieces then fail and send the file to one core.
            let bytes = Array(text.utf8)
            let inside = (pieces(text) ?? []).filter { !String(decoding: bytes[$0.range.prefix(20)], as: UTF8.self).contains("repo-") }
            #expect(!inside.isEmpty)
            #expect(ManifestPieces.decode(bytes, file: dir.path("m.yaml"), loader: loader(dir.path)) == nil)
        }
        func run(_ streaming: Bool) -> Result<Manifest, ManifestErrors> {
            var l = loader(dir.path)
            l.streaming = streaming
            do throws(ManifestErrors) {
                return .success(try l.load(paths: [dir.path]))
            } catch {
                return .failure(error)
            }
        }
        switch (run(true), run(false)) {
        case (.success(let a), .success(let b)):
            #expect(a.repositories == b.repositories)
            #expect(a.consumers == b.consumers)
        case (.failure(let a), .failure(let b)):
            #expect(a.diagnostics == b.diagnostics)
        case (let a, let b):
            Issue.record("\(Self.unusual[index].name): one path failed and the other did not: \(a) vs \(b)")
        }
    }

    @Test("small files and files of another shape are not cut")
    func notCut() {
        #expect(pieces(Self.estate(20))?.count == 1)
        #expect(pieces("defaults: {}\n" + Self.estate(400)) == nil)
        #expect(pieces("repositories: []\n") == nil)
        #expect(pieces("repositories:  # the list\n  - id: a\n") == nil)
        #expect(pieces("%YAML 1.1\n---\n" + Self.estate(400, head: "repositories:\n")) == nil)
        #expect(pieces(Self.estate(400).replacingOccurrences(of: "\n", with: "\r\n")) == nil)
    }

    @Test("fingerprints made by the pieces equal those made after loading")
    func fingerprints() throws {
        let text = Self.estate(400).replacingOccurrences(of: "proxy_password: {env: PROXY_PW}", with: "proxy_port: 3128")
            + "  - {id: secret, importer: {type: yum_importer, config: {proxy_password: {env: PROXY_PW}}}}\n"
        let dir = try ManifestDir(["m.yaml": text])
        #expect(ManifestPieces.decode(Array(text.utf8), file: dir.path("m.yaml"), loader: loader(dir.path)) != nil, "it is cut")
        try StreamingDecoderTests.expectEarlyFingerprints(dir, count: 400, sample: "repo-399")
    }
}
