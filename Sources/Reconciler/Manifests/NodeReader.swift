import Foundation
import PulpModel

/// Typed reads of YAML nodes that record a diagnostic for every problem.
struct NodeReader {
    var diagnostics: [Diagnostic] = []
    /// Bytes of manifest read so far, which `ManifestLimits.expandedNodes` allows on top.
    var bytesRead = 0
    /// Repositories that matrices expanded to, and nodes the decoded repositories hold (see `ManifestLimits`).
    var matrixRepositories = 0
    var expandedNodes = 0
    var expansionExhausted = false

    mutating func error(_ mark: SourceMark, _ message: String) {
        diagnostics.append(Diagnostic(mark, message))
    }

    /// The manifest files at a path: the file itself, or every `*.yaml`/`*.yml` below a directory, sorted.
    mutating func files(at path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            error(SourceMark(file: path, line: 1, column: 1), "no such file or directory")
            return []
        }
        guard isDir.boolValue else { return [path] }
        var out: [String] = []
        let base = URL(fileURLWithPath: path)
        if let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey],
                                                     options: [.skipsHiddenFiles]) {
            for case let url as URL in e where ["yaml", "yml"].contains(url.pathExtension) {
                let rel = String(url.path.dropFirst(base.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                out.append((path as NSString).appendingPathComponent(rel))
            }
        }
        if out.isEmpty { error(SourceMark(file: path, line: 1, column: 1), "no *.yaml or *.yml files in this directory") }
        return out.sorted()
    }

    /// A mapping's entries by key; unknown keys (when `allowed` is given) are reported with a suggestion.
    mutating func mapping(_ node: YAMLNode, allowed: [String]?, what: String) -> [String: YAMLNode]? {
        guard let entries = node.mapping else {
            error(node.mark, "\(what) must be a mapping, not \(node.kindName)")
            return nil
        }
        var out: [String: YAMLNode] = [:]
        for (k, v) in entries {
            guard let name = k.scalarText else { continue }
            if let allowed, !allowed.contains(name) {
                error(k.mark, "unknown key \(ManifestLimits.shown(name)) in \(what)" + NodeReader.suggestion(name, allowed))
                continue
            }
            out[name] = v
        }
        return out
    }

    mutating func sequence(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard let items = node.sequence else {
            error(node.mark, "\(what) must be a list, not \(node.kindName)")
            return nil
        }
        return items
    }

    mutating func string(_ node: YAMLNode?, required: Bool = false, what: String, at parent: SourceMark? = nil) -> String? {
        guard let node, node.value != .null else {
            if required, let parent { error(parent, "missing \(what)") }
            return nil
        }
        guard node.scalarText != nil else {
            error(node.mark, "\(what) must be a string, not \(node.kindName)")
            return nil
        }
        // Ids and names are text even when they look like numbers (`id: 7`).
        return node.scalarText
    }

    mutating func bool(_ node: YAMLNode?, what: String) -> Bool? {
        guard let node else { return nil }
        guard case .bool(let b) = node.value else {
            error(node.mark, "\(what) must be true or false, not \(node.kindName)")
            return nil
        }
        return b
    }

    mutating func positiveInt(_ node: YAMLNode?, what: String) -> Int? {
        guard let node, node.value != .null else { return nil }
        guard case .int(let n) = node.value, n > 0 else {
            error(node.mark, "\(what) must be a whole number above 0")
            return nil
        }
        return n
    }

    mutating func object(_ node: YAMLNode?, what: String) -> JSONObject? {
        guard let node, node.value != .null else { return nil }
        guard case .object(let o) = node.value else {
            error(node.mark, "\(what) must be a mapping, not \(node.kindName)")
            return nil
        }
        return o
    }

    /// An ISO 8601 interval, checked with the server's parser.
    mutating func schedule(_ node: YAMLNode?, at parent: SourceMark) -> String? {
        guard let node else {
            error(parent, "missing schedule")
            return nil
        }
        guard let text = node.scalarText, case .string = node.value else {
            error(node.mark, "schedule must be an ISO 8601 interval string, not \(node.kindName)")
            return nil
        }
        do {
            _ = try ISOInterval.parse(text)
        } catch {
            guard case .invalid(let why) = error else { return nil }
            self.error(node.mark, "invalid schedule \(ManifestLimits.shown(text)): \(ManifestLimits.cut(why, to: 160))")
            return nil
        }
        return text
    }

    /// `{env: NAME}` or `{file: PATH}`, or nil when the node is not a secret reference.
    mutating func secret(_ node: YAMLNode) -> SecretSource? {
        guard let entries = node.mapping, entries.count == 1, let key = entries[0].key.scalarText,
              key == "env" || key == "file"
        else { return nil }
        guard let name = entries[0].value.scalarText, !name.isEmpty else {
            error(entries[0].value.mark, "\(key) must name \(key == "env" ? "an environment variable" : "a file")")
            return nil
        }
        if key == "env" { return .env(name) }
        // A relative path is taken from the manifest's own directory.
        if name.hasPrefix("/") { return .file(name) }
        let dir = (entries[0].value.mark.file as NSString).deletingLastPathComponent
        return .file(dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name))
    }

    /// `; did you mean "x"?` for the closest candidate within two edits, or nothing (always nothing for a long word).
    static func suggestion(_ word: String, _ candidates: [String]) -> String {
        guard word.utf8.count <= ManifestLimits.suggestedCharacters else { return "" }
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return "" }
        return "; did you mean \"\(best.0)\"?"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
