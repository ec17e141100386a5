import ChildProcess
import Foundation
import Testing
import PulpformTestKit

#if canImport(Glibc)
import Glibc
#endif

/// The reproducers of hostile manifests, run through the real binary: each must end in exit 1 with a located
/// error, within 2 s and 200 MB of peak RSS, for `validate` and for `plan`.
@Suite("hostile manifests")
struct HardeningTests {
    struct Reproducer: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        /// What the located error must say, and on which line.
        var line: Int
        var message: String
        var description: String { name }
    }

    static var reproducers: [Reproducer] {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let values = "[" + (0..<10).map(String.init).joined(separator: ", ") + "]"
        func bomb(_ levels: Int) -> String {
            var text = "repositories:\n  - id: r\n    notes:\n      a0: &a0 [\"lol\"]\n"
            for i in 1..<levels {
                text += "      a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
            }
            return text
        }
        return [
            Reproducer(name: "10,000-deep value in a matrix template",
                       text: "matrix:\n  - vars: {v: [1]}\n    repository: {id: r, notes: \(deep)}\n",
                       line: 3, message: "collections nest deeper than 128 levels"),
            Reproducer(name: "10,000-deep value in a repository",
                       text: "repositories:\n  - {id: r, notes: \(deep)}\n", line: 2, message: "collections nest deeper than 128 levels"),
            Reproducer(name: "9 × 10 alias bomb", text: bomb(9), line: 9, message: "aliases expand to more than 100,000 nodes"),
            Reproducer(name: "7 × 10 alias bomb", text: bomb(7), line: 9, message: "aliases expand to more than 100,000 nodes"),
            Reproducer(name: "6 × 10 matrix bomb",
                       text: "matrix:\n  - vars: {a: \(values), b: \(values), c: \(values), d: \(values), e: \(values), f: \(values)}\n"
                           + "    repository: {id: 'r-${a}${b}${c}${d}${e}${f}'}\n",
                       line: 2, message: "this matrix expands to 1,000,000 repositories (10 × 10 × 10 × 10 × 10 × 10)"),
            Reproducer(name: "5 MB type",
                       text: "repositories:\n  - id: r\n    importer: {type: \(String(repeating: "x", count: 5_000_000))}\n",
                       line: 3, message: "(5,000,000 bytes)"),
            Reproducer(name: "{file: /dev/zero}",
                       text: "repositories:\n  - id: r\n    importer:\n      type: iso_importer\n"
                           + "      config: {feed: 'https://cdn.example.com/', proxy_password: {file: /dev/zero}}\n",
                       line: 5, message: "it is a character device, not a regular file"),
        ]
    }

    @Test("validate and plan end each reproducer in a located error within 2 s and 200 MB", arguments: reproducers)
    func reproducer(_ r: Reproducer) throws {
        let tmp = try TempDir()
        let file = tmp.path("hostile.yaml")
        try Data(r.text.utf8).write(to: URL(fileURLWithPath: file))
        var env = ProcessInfo.processInfo.environment
        env["PULPFORM_DB"] = tmp.path("pulpform.db")
        env["NO_COLOR"] = "1"
        let binary = try CLI.binary().path
        for command in ["validate", "plan"] {
            let m = try Spawn.run([binary, command, file], environment: env, in: tmp.url.path)
            #expect(m.exitCode == 1, "\(command): exit \(m.exitCode)\n\(m.stderr.prefix(500))")
            let first = m.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("\(file):\(r.line):"), "\(command): \(first.prefix(300))")
            #expect(first.contains(r.message), "\(command): \(first.prefix(300))")
            #expect(m.stderr.utf8.count < 2_000, "\(command): the message echoes \(m.stderr.utf8.count) bytes")
            #expect(m.wall < 2, "\(command): \(m.wall) s")
            #expect(m.peakRSSMegabytes < 200, "\(command): \(m.peakRSSMegabytes) MB")
        }
    }

    @Test("a manifest directory holding a FIFO or a link to a device is refused, not read")
    func specialFiles() throws {
        let tmp = try TempDir()
        let dir = tmp.path("manifests")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("repositories:\n  - id: a\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.yaml"))
        #expect(mkfifo(dir + "/fifo.yaml", 0o600) == 0)
        #expect(symlink("/dev/urandom", dir + "/random.yaml") == 0)
        let r = try CLI.run(["validate", dir], environment: ["PULPFORM_DB": tmp.path("pulpform.db")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(dir)/fifo.yaml:1:1: cannot read the file: it is a FIFO, not a regular file"), "\(r.stderr)")
        #expect(r.stderr.contains("\(dir)/random.yaml:1:1: cannot read the file: it is a character device, not a regular file"))
    }

    @Test("--matrix-limit lifts the matrix limit")
    func matrixLimit() throws {
        let tmp = try TempDir()
        let file = tmp.path("m.yaml")
        try Data("matrix:\n  - vars: {a: [1, 2, 3], b: [1, 2, 3]}\n    repository: {id: 'r-${a}-${b}'}\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        let env = ["PULPFORM_DB": tmp.path("pulpform.db")]
        let refused = try CLI.run(["validate", "--matrix-limit", "8", file], environment: env)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(file):2:11: this matrix expands to 9 repositories (3 × 3), more than the limit of 8"), "\(refused.stderr)")
        let lifted = try CLI.run(["validate", "--matrix-limit", "9", file], environment: env)
        #expect(lifted.status == 0, "\(lifted.stderr)")
        #expect(try CLI.run(["validate", "--matrix-limit", "0", file], environment: env).status != 0)
    }
}
