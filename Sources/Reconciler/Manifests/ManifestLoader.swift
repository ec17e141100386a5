public import Foundation
public import PulpModel

/// Reads manifests: a file or a directory tree of `*.yaml`/`*.yml`, several documents per file.
///
/// Each document is a mapping with any of `defaults`, `repositories`, `matrix` and `consumers`.
/// `defaults` is a partial repository merged under every repository of its document (mappings merge key
/// by key; the repository's own scalars and lists win). A `matrix` entry expands a repository template
/// over the cartesian product of its `vars`, substituting `${name}` in strings.
///
/// Every problem is collected; `load` throws them all together, sorted by place.
public struct ManifestLoader: Sendable {
    public var catalog: PluginCatalog
    /// Checks that each `{env:}`/`{file:}` secret can be read.
    public var secrets: SecretResolver

    /// Reads plain files straight from libyaml events (`StreamingDecoder`) and the rest through a node tree.
    /// Off, every file goes through the tree (tests compare the two).
    public var streaming = true
    /// Fingerprints secret-free repositories on other cores while the files are read (see `Manifest.fingerprints`).
    public var fingerprinting = false
    /// Bounds on nesting, aliases, matrices and file sizes (manifests may come from untrusted pull requests).
    public var limits = ManifestLimits()

    public init(catalog: PluginCatalog = .builtin, secrets: SecretResolver = SecretResolver(), streaming: Bool = true) {
        self.catalog = catalog
        self.secrets = secrets
        self.streaming = streaming
    }

    public func load(paths: [String]) throws(ManifestErrors) -> Manifest {
        var reader = NodeReader()
        var manifest = Manifest()
        let background = fingerprinting ? BackgroundFingerprints(catalog: catalog) : nil

        for path in paths {
            for file in reader.files(at: path) {
                manifest.files.append(file)
                let bytes: [UInt8]
                switch BoundedFile.contents(of: file, limit: limits.maximumFileBytes) {
                case .success(let b): bytes = b
                case .failure(let failure):
                    let why: String
                    switch failure {
                    case .cannotOpen(let reason): why = "cannot read the file: \(reason)"
                    case .notRegular(let kind): why = "cannot read the file: it is \(kind), not a regular file"
                    case .tooLarge(let size):
                        why = "the file has \(size.formatted) bytes, more than the \(limits.maximumFileBytes.formatted) a manifest may have"
                    }
                    reader.error(SourceMark(file: file, line: 1, column: 1), why)
                    continue
                }
                decodeFile(bytes, file: file, into: &manifest, reader: &reader, background: background)
            }
        }
        checkUnique(manifest, reader: &reader)
        if let background {
            manifest.fingerprints = background.finish()
            manifest.fingerprintCatalog = catalog
        }
        if !reader.diagnostics.isEmpty {
            throw ManifestErrors(diagnostics: Array(Set(reader.diagnostics)).sorted())
        }
        return manifest
    }

    /// Decodes one file's bytes as if it were the only manifest: the entry point for fuzzing.
    public func decode(_ bytes: [UInt8], file: String) throws(ManifestErrors) -> Manifest {
        var reader = NodeReader()
        var manifest = Manifest()
        manifest.files = [file]
        decodeFile(bytes, file: file, into: &manifest, reader: &reader, background: nil)
        checkUnique(manifest, reader: &reader)
        if !reader.diagnostics.isEmpty {
            throw ManifestErrors(diagnostics: Array(Set(reader.diagnostics)).sorted())
        }
        return manifest
    }

    func decodeFile(_ bytes: [UInt8], file: String, into manifest: inout Manifest, reader: inout NodeReader,
                    background: BackgroundFingerprints?) {
        reader.bytesRead += bytes.count
        if streaming, let repositories = ManifestPieces.decode(bytes, file: file, loader: self, background: background) {
            manifest.repositories += repositories
            return
        }
        if streaming, case .success(let decoded) = StreamingDecoder.decode(bytes, file: file, loader: self, background: background) {
            background?.add(decoded.repositories[decoded.handedOff...])
            manifest.repositories += decoded.repositories
            manifest.consumers += decoded.consumers
            return
        }
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parse(bytes, file: file, limits: limits)
        } catch {
            reader.error(error.mark, error.message)
            return
        }
        let before = manifest.repositories.count
        for doc in documents {
            decodeDocument(doc, into: &manifest, reader: &reader)
        }
        background?.add(manifest.repositories[before...])
    }

    // MARK: - Documents

    static let documentKeys = ["defaults", "repositories", "matrix", "consumers"]
    static let repositoryKeys = ["id", "display_name", "description", "notes", "importer", "distributors", "sync_schedules"]
    static let importerKeys = ["type", "config"]
    static let distributorKeys = ["id", "type", "auto_publish", "config", "publish_schedules"]
    static let scheduleKeys = ["schedule", "enabled", "failure_threshold", "override_config"]
    static let consumerKeys = ["id", "display_name", "description", "notes", "schedules"]
    static let consumerScheduleKeys = ["schedule", "enabled", "failure_threshold", "units", "options"]
    static let matrixKeys = ["vars", "exclude", "include", "repository"]

    func decodeDocument(_ doc: YAMLNode, into manifest: inout Manifest, reader: inout NodeReader) {
        if case .scalar = doc.kind, doc.value == .null { return }  // an empty document
        guard let top = reader.mapping(doc, allowed: Self.documentKeys, what: "a manifest document") else { return }
        let defaults = top["defaults"].flatMap { node -> YAMLNode? in
            guard reader.mapping(node, allowed: Self.repositoryKeys.filter { $0 != "id" }, what: "defaults") != nil else { return nil }
            return node
        }
        if let list = top["repositories"], let items = reader.sequence(list, what: "repositories") {
            for item in items {
                guard let node = expanded(merge(defaults, item), reader: &reader) else { break }
                if let repo = decodeRepository(node, reader: &reader) { manifest.repositories.append(repo) }
            }
        }
        if let list = top["matrix"], let items = reader.sequence(list, what: "matrix") {
            for item in items {
                for node in expandMatrix(item, reader: &reader) {
                    guard let node = expanded(merge(defaults, node), reader: &reader) else { break }
                    if let repo = decodeRepository(node, reader: &reader) { manifest.repositories.append(repo) }
                }
            }
        }
        if let list = top["consumers"], let items = reader.sequence(list, what: "consumers") {
            for item in items {
                if let c = decodeConsumer(item, reader: &reader) { manifest.consumers.append(c) }
            }
        }
    }

    /// The repository node, once its nodes (defaults, matrix copies and aliases counted each time they are used)
    /// fit what is left of `ManifestLimits.expandedNodes`; nil once they do not, with one diagnostic.
    func expanded(_ node: YAMLNode, reader: inout NodeReader) -> YAMLNode? {
        guard !reader.expansionExhausted else { return nil }
        let budget = limits.expandedNodes(forBytes: reader.bytesRead)
        let n = Self.nodeCount(node, limit: budget - reader.expandedNodes)
        reader.expandedNodes += n
        guard reader.expandedNodes <= budget else {
            reader.expansionExhausted = true
            reader.error(node.mark, "the repositories expand to more than \(budget.formatted) YAML nodes, counting defaults, "
                + "matrix copies and aliases each time they are used; --matrix-limit raises the limit "
                + "(\(limits.nodesPerRepository) nodes for each repository it allows)")
            return nil
        }
        return node
    }

    /// The nodes of a tree, keys included and aliases counted each time they are used; counting stops past `limit`.
    static func nodeCount(_ node: YAMLNode, limit: Int) -> Int {
        var n = 0
        var stack = [node]
        while let top = stack.popLast() {
            n += 1
            if n > limit { return n }
            switch top.kind {
            case .scalar: break
            case .mapping(let entries):
                n += entries.count
                for e in entries { stack.append(e.value) }
            case .sequence(let items): stack.append(contentsOf: items)
            }
        }
        return n
    }

    /// Deep merge of `base` under `node`: mappings merge; anything else in `node` wins. A mapping whose
    /// `type` differs from the base's (an importer of another type) is not merged at all.
    func merge(_ base: YAMLNode?, _ node: YAMLNode) -> YAMLNode {
        guard let base, let baseEntries = base.mapping, let own = node.mapping else { return node }
        func type(_ entries: [(key: YAMLNode, value: YAMLNode)]) -> String? {
            entries.first { $0.key.scalarText == "type" }?.value.scalarText
        }
        if let mine = type(own), let theirs = type(baseEntries), mine != theirs { return node }
        var entries = own
        for (k, v) in baseEntries {
            if let i = entries.firstIndex(where: { $0.key.scalarText == k.scalarText }) {
                if v.mapping != nil, entries[i].value.mapping != nil {
                    entries[i].value = merge(v, entries[i].value)
                }
            } else {
                entries.append((k, v))
            }
        }
        return YAMLNode(.mapping(entries), mark: node.mark)
    }

    // MARK: - Cross checks

    func checkUnique(_ manifest: Manifest, reader: inout NodeReader) {
        var repos: [String: SourceMark] = [:]
        for r in manifest.repositories {
            if let first = repos[r.id] {
                reader.error(r.mark, "repository \(r.id) is declared twice: here and at \(first)")
            } else {
                repos[r.id] = r.mark
            }
        }
        var consumers: [String: SourceMark] = [:]
        for c in manifest.consumers {
            if let first = consumers[c.id] {
                reader.error(c.mark, "consumer \(c.id) is declared twice: here and at \(first)")
            } else {
                consumers[c.id] = c.mark
            }
        }
    }
}

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

/// Reads `{env:}` and `{file:}` secrets. Values are only fingerprinted and applied, never printed.
public struct SecretResolver: Sendable {
    public var environment: [String: String]
    /// Relative `{file:}` paths are taken from here.
    public var baseDirectory: String
    /// The largest `{file:}` secret read: certificates and keys take a few kilobytes, a CA bundle a few hundred.
    public var maximumFileBytes = 1024 * 1024

    public struct Failure: Error, Sendable, Equatable {
        public var message: String
    }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                baseDirectory: String = FileManager.default.currentDirectoryPath)
    {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    public func resolve(_ source: SecretSource) -> Result<String, Failure> {
        switch source {
        case .env(let name):
            guard let v = environment[name] else {
                return .failure(Failure(message: "secret {env: \(ManifestLimits.cut(name))} cannot be resolved: "
                    + "\(ManifestLimits.cut(name)) is not set"))
            }
            return .success(v)
        case .file(let path):
            let full = path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
            let data: [UInt8]
            switch BoundedFile.contents(of: full, limit: maximumFileBytes) {
            case .success(let bytes): data = bytes
            case .failure(let failure):
                let why: String
                switch failure {
                case .cannotOpen: why = "the file cannot be read"
                case .notRegular(let kind): why = "it is \(kind), not a regular file"
                case .tooLarge: why = "the file is larger than \(maximumFileBytes.formatted) bytes"
                }
                return .failure(Failure(message: "secret {file: \(ManifestLimits.cut(path))} cannot be resolved: \(why)"))
            }
            var text = String(decoding: data, as: UTF8.self)
            // A trailing newline from an editor or `echo` is not part of the secret.
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return .success(text)
        }
    }
}
