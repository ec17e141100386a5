public import Foundation
import Reconciler

/// What fuzzing asks of the manifest decoders, for any bytes at all: they end in a manifest or in diagnostics
/// that each point at a place in the file, with messages of readable length, and the fast path and the tree
/// decoder agree. (Time and memory are bounded by the fuzzer's own limits.)
public enum ManifestFuzzing {
    /// The name the input is decoded under.
    public static let file = "fuzz.yaml"
    /// The longest message a diagnostic may have: values are echoed cut (`ManifestLimits.shown`).
    public static let longestMessage = 1_000

    public struct Violation: Error, CustomStringConvertible {
        public var description: String
    }

    /// Secrets resolve against an empty environment and a directory that holds nothing.
    static let secrets = SecretResolver(environment: [:], baseDirectory: "/nonexistent-pulpform-fuzz")

    static func decode(_ bytes: [UInt8], streaming: Bool) -> Result<Manifest, ManifestErrors> {
        let loader = ManifestLoader(secrets: secrets, streaming: streaming)
        do {
            return .success(try loader.decode(bytes, file: file))
        } catch {
            return .failure(error)
        }
    }

    /// Checks one input; a violation says what was wrong.
    public static func check(_ bytes: [UInt8]) throws(Violation) {
        // libyaml also breaks lines at CR, NEL, LS and PS: count every byte that may end one (an upper bound).
        let lines = bytes.reduce(1) { $0 + ([0x0A, 0x0D, 0x85, 0xA8, 0xA9].contains($1) ? 1 : 0) }
        try verify(fast: decode(bytes, streaming: true), tree: decode(bytes, streaming: false), lines: lines)
    }

    /// The rules `check` holds the two decoders' results of a file of at most `lines` lines to.
    static func verify(fast: Result<Manifest, ManifestErrors>, tree: Result<Manifest, ManifestErrors>, lines: Int) throws(Violation) {
        for result in [fast, tree] {
            guard case .failure(let errors) = result else { continue }
            guard !errors.diagnostics.isEmpty else { throw Violation(description: "a failure with no diagnostic") }
            for d in errors.diagnostics {
                guard d.mark.file == file, d.mark.line >= 1, d.mark.line <= lines + 1, d.mark.column >= 1 else {
                    throw Violation(description: "a diagnostic outside the file (\(lines) lines): \(d.description.prefix(300))")
                }
                guard !d.message.isEmpty, d.message.utf8.count <= longestMessage else {
                    throw Violation(description: "a message of \(d.message.utf8.count) bytes: \(d.description.prefix(300))")
                }
            }
        }
        switch (fast, tree) {
        case (.success(let a), .success(let b)):
            guard a.repositories == b.repositories, a.consumers == b.consumers else {
                throw Violation(description: "the fast path and the tree decoder decode different manifests")
            }
        case (.failure(let a), .failure(let b)):
            guard a.diagnostics == b.diagnostics else {
                throw Violation(description: "the fast path and the tree decoder disagree: \(a.description.prefix(300)) / \(b.description.prefix(300))")
            }
        default:
            throw Violation(description: "one decoder accepts what the other refuses")
        }
    }

    // MARK: - A deterministic mutator, for runs without libFuzzer

    /// Pieces of YAML and of manifests that mutations insert (also `Fuzz/manifest.dict` for libFuzzer).
    public static let tokens: [String] = [
        "[", "]", "{", "}", ": ", "- ", ", ", "&a ", "*a", "&b ", "*b", "<<: ", "<<: *a", "${v}", "${", "!!str ", "!!int ", "!!map ",
        "'", "\"", "\n", "  ", "    ", "---\n", "...\n", "~", "null", "true", "1e999", "-1", "0x1F", "#", "|\n  x\n", ">\n  x\n",
        "repositories:\n", "matrix:\n", "consumers:\n", "defaults:\n", "vars: {v: [1, 2]}", "repository: ", "include:", "exclude:",
        "id: r", "importer: {type: iso_importer}", "type: yum_importer", "config: ", "feed: https://x/", "distributors:\n",
        "sync_schedules:\n  - schedule: PT1H\n", "publish_schedules:", "notes: {a: b}", "{env: X}", "{file: /dev/zero}",
        "{file: x.pem}", "auto_publish: true", "failure_threshold: 0", "schedule: R1/2024-01-01T00:00:00Z/P1D", "override_config: ",
        "schedules:\n  update:\n", "units: [{}]", "\u{FEFF}", "\t", "\r\n", "\u{0}",
    ]

    /// A xorshift generator: the same seed gives the same mutations everywhere.
    public struct Generator: RandomNumberGenerator {
        var state: UInt64
        public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
        public mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    /// One to four random edits of `input`, sometimes splicing in a piece of `other`.
    public static func mutate(_ input: [UInt8], other: [UInt8], using g: inout Generator) -> [UInt8] {
        var out = input
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let at = out.isEmpty ? 0 : Int.random(in: 0...out.count, using: &g)
            switch Int.random(in: 0..<6, using: &g) {
            case 0 where !out.isEmpty:
                out[min(at, out.count - 1)] = UInt8.random(in: 0...255, using: &g)
            case 1:
                out.insert(contentsOf: Array(tokens.randomElement(using: &g)?.utf8 ?? "".utf8), at: at)
            case 2 where !out.isEmpty:
                let end = min(out.count, at + Int.random(in: 1...16, using: &g))
                out.removeSubrange(min(at, end)..<end)
            case 3 where !out.isEmpty:
                let end = min(out.count, at + Int.random(in: 1...64, using: &g))
                out.insert(contentsOf: out[min(at, end)..<end], at: Int.random(in: 0...out.count, using: &g))
            case 4 where !other.isEmpty:
                let from = Int.random(in: 0..<other.count, using: &g)
                let piece = other[from..<min(other.count, from + Int.random(in: 1...128, using: &g))]
                out.insert(contentsOf: piece, at: at)
            default:
                // Deep nesting: the shape of the stack-overflow reproducer.
                let depth = Int.random(in: 100...300, using: &g)
                out.insert(contentsOf: Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8), at: at)
            }
        }
        return out
    }

    /// Checks `iterations` mutations of the seeds, deterministically for a given `seed`; the first violation is
    /// thrown with the input that caused it.
    public static func run(seeds: [[UInt8]], iterations: Int, seed: UInt64,
                           deadline: ContinuousClock.Instant? = nil) throws(Failure) -> Int {
        var g = Generator(seed: seed)
        for s in seeds {
            do throws(Violation) { try check(s) } catch { throw Failure(input: s, violation: error) }
        }
        guard !seeds.isEmpty else { return 0 }
        var done = 0
        while done < iterations {
            if let deadline, ContinuousClock.now >= deadline { break }
            let base = seeds[Int.random(in: 0..<seeds.count, using: &g)]
            let other = seeds[Int.random(in: 0..<seeds.count, using: &g)]
            var input = mutate(base, other: other, using: &g)
            if input.count > 65_536 { input.removeSubrange(65_536...) }
            do throws(Violation) { try check(input) } catch { throw Failure(input: input, violation: error) }
            done += 1
        }
        return done
    }

    public struct Failure: Error, CustomStringConvertible {
        public var input: [UInt8]
        public var violation: Violation
        public var description: String { "\(violation) (input of \(input.count) bytes)" }
    }

    /// The seed corpus: every file of `Fuzz/corpus` and the shipped examples' manifests, under `root`.
    public static func seeds(root: URL) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for dir in ["Fuzz/corpus", "examples"] {
            let base = root.appendingPathComponent(dir)
            guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in e where dir == "Fuzz/corpus" || ["yaml", "yml"].contains(url.pathExtension) {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue,
                      let data = FileManager.default.contents(atPath: url.path) else { continue }
                out.append([UInt8](data))
            }
        }
        return out
    }
}
