import Foundation
import Testing
import PulpformTestKit

/// The layers that the compiler alone cannot hold: which targets may depend on the store, and what the
/// server's sources may touch.
@Suite("layering")
struct LayeringTests {
    static let root = CLI.packageRoot

    /// The dependency list of a target in Package.swift, as written.
    static func dependencies(of target: String) throws -> String {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        guard let start = text.range(of: #"\.target\(\s*name: ""# + target + "\"", options: .regularExpression) else {
            throw CLI.CLIError(message: "no target \(target) in Package.swift")
        }
        let rest = text[start.upperBound...]
        guard let deps = rest.range(of: "dependencies: ["), let end = rest[deps.upperBound...].range(of: "]") else { return "" }
        // A target without dependencies reaches the next target's list: stop at the next `.target(` or similar.
        if let next = rest.range(of: "name: \""), next.lowerBound < deps.lowerBound { return "" }
        return String(rest[deps.upperBound..<end.lowerBound])
    }

    /// Every Swift file of a module, in its folders too.
    static func sources(_ module: String) throws -> [(String, String)] {
        let dir = root.appendingPathComponent("Sources/\(module)")
        let files = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".swift") }
        return try files.sorted().map { ($0, try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) }
    }

    @Test("the contract, the client and the reconciler do not depend on the store, GRDB or PulpCore")
    func storeFree() throws {
        for target in ["PulpContract", "PulpClient", "Reconciler"] {
            let deps = try Self.dependencies(of: target)
            for forbidden in ["\"PulpStore\"", "\"PulpCore\"", "GRDB"] {
                #expect(!deps.contains(forbidden), "\(target) depends on \(forbidden)")
            }
            let files = try Self.sources(target)
            #expect(!files.isEmpty, "\(target) has sources")
            for (file, text) in files {
                for forbidden in ["import PulpStore", "import PulpCore", "import GRDB"] {
                    #expect(!text.contains(forbidden), "\(target)/\(file): \(forbidden)")
                }
            }
        }
        #expect(try Self.dependencies(of: "Reconciler").contains("\"PulpContract\""))
    }

    @Test("the server reaches the store and the engine only through PulpCore's API")
    func serverThroughCore() throws {
        let files = try Self.sources("PulpServer")
        #expect(files.count >= 5)
        for (file, text) in files {
            #expect(!text.contains("import PulpStore") && !text.contains("import GRDB"), "PulpServer/\(file) imports the store")
            #expect(text.range(of: #"\.(store|engine)\b"#, options: .regularExpression) == nil, "PulpServer/\(file) touches .store or .engine")
        }
    }
}
