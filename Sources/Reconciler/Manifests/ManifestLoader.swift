import Foundation
public import PulpModel

/// Reads manifests: a file or a directory tree of `*.yaml`/`*.yml`, several documents per file.
///
/// Each document is a mapping with any of `defaults`, `repositories`, `matrix`, `consumers`, `users` and `roles`.
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
        if let background {
            manifest.fingerprints = background.finish()
            manifest.fingerprintCatalog = catalog
        }
        return try checked(manifest, reader: &reader)
    }

    /// Decodes one file's bytes as if it were the only manifest: the entry point for fuzzing.
    public func decode(_ bytes: [UInt8], file: String) throws(ManifestErrors) -> Manifest {
        var reader = NodeReader()
        var manifest = Manifest()
        manifest.files = [file]
        decodeFile(bytes, file: file, into: &manifest, reader: &reader, background: nil)
        return try checked(manifest, reader: &reader)
    }

    /// The manifest once the checks across files pass, or every problem found, sorted by place.
    func checked(_ manifest: Manifest, reader: inout NodeReader) throws(ManifestErrors) -> Manifest {
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
            manifest.users += decoded.users
            manifest.roles += decoded.roles
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

    static let documentKeys = ["defaults", "repositories", "matrix", "consumers", "users", "roles", "sync_after_create"]
    static let repositoryKeys = ["id", "display_name", "description", "notes", "importer", "distributors", "sync_schedules", "protect",
                                 "ignore_changes"]
    static let importerKeys = ["type", "config", "sync_after_create"]
    static let distributorKeys = ["id", "type", "auto_publish", "config", "publish_schedules"]
    static let scheduleKeys = ["schedule", "enabled", "failure_threshold", "override_config"]
    static let consumerKeys = ["id", "display_name", "description", "notes", "schedules", "protect"]
    static let consumerScheduleKeys = ["schedule", "enabled", "failure_threshold", "units", "options"]
    static let matrixKeys = ["vars", "exclude", "include", "repository"]

    /// What an `ignore_changes` path that names no field is told. `repo`: the repository it was written for (else it
    /// came from `defaults`).
    func unmatchedIgnore(_ path: String, _ repo: DesiredRepository?) -> String {
        "ignore_changes path \(ManifestLimits.shown(path)) names no field of "
            + (repo.map { "repository \($0.id)" } ?? "any repository in this document")
            + "; paths are the plan's: display_name, description, notes.KEY, importer.config.KEY, distributor.ID.config.KEY, "
            + "distributor.ID.auto_publish" + (repo.map { NodeReader.suggestion(path, IgnoredFields.candidates($0, catalog: catalog)) } ?? "")
    }

    /// Whether a repository node's importer sets `sync_after_create` itself.
    static func importerSaysSyncAfterCreate(_ repository: YAMLNode) -> Bool {
        let importer = repository.mapping?.first { $0.key.scalarText == "importer" }?.value
        return importer?.mapping?.contains { $0.key.scalarText == "sync_after_create" } ?? false
    }

    func decodeDocument(_ doc: YAMLNode, into manifest: inout Manifest, reader: inout NodeReader) {
        if case .scalar = doc.kind, doc.value == .null { return }  // an empty document
        guard let top = reader.mapping(doc, allowed: Self.documentKeys, what: "a manifest document") else { return }
        let defaults = top["defaults"].flatMap { node -> YAMLNode? in
            guard reader.mapping(node, allowed: Self.repositoryKeys.filter { $0 != "id" }, what: "defaults") != nil else { return nil }
            return node
        }
        // The document's default for importers that do not say (`sync_after_create` at the top level).
        let syncAfterCreate = reader.bool(top["sync_after_create"], what: "sync_after_create")
        // `ignore_changes` under defaults add to each repository's own, and need only name a field of one repository
        // they reach; a repository's own paths must each name one of its fields.
        let defaultIgnores: [(path: String, mark: SourceMark)] = (defaults?.mapping?.first { $0.key.scalarText == "ignore_changes" }?
            .value.sequence ?? []).compactMap { n in n.scalarText.map { ($0, n.mark) } }
        let defaultMarks = Set(defaultIgnores.map(\.mark))
        var unmatchedDefaults = defaultMarks
        var repositoriesSeen = false
        func decode(_ node: YAMLNode, reader: inout NodeReader) {
            guard var repo = decodeRepository(node, reader: &reader) else { return }
            repositoriesSeen = true
            if let syncAfterCreate, repo.importer != nil, !Self.importerSaysSyncAfterCreate(node) {
                repo.importer?.syncAfterCreate = syncAfterCreate
            }
            for (path, mark) in defaultIgnores where !repo.ignoreMarks.contains(mark) && !repo.ignoreChanges.contains(path) {
                repo.ignoreChanges.append(path)
                repo.ignoreMarks.append(mark)
            }
            for (path, mark) in zip(repo.ignoreChanges, repo.ignoreMarks) {
                let named = IgnoredFields.namesAField(path, of: repo, catalog: catalog)
                if named {
                    unmatchedDefaults.remove(mark)
                } else if !defaultMarks.contains(mark) {
                    reader.error(mark, unmatchedIgnore(path, repo))
                }
            }
            manifest.repositories.append(repo)
        }
        if let list = top["repositories"], let items = reader.sequence(list, what: "repositories") {
            for item in items {
                guard let node = expanded(merge(defaults, item), reader: &reader) else { break }
                decode(node, reader: &reader)
            }
        }
        if let list = top["matrix"], let items = reader.sequence(list, what: "matrix") {
            for item in items {
                for node in expandMatrix(item, reader: &reader) {
                    guard let node = expanded(merge(defaults, node), reader: &reader) else { break }
                    decode(node, reader: &reader)
                }
            }
        }
        for (path, mark) in defaultIgnores where repositoriesSeen && unmatchedDefaults.contains(mark) {
            reader.error(mark, unmatchedIgnore(path, nil))
        }
        if let list = top["consumers"], let items = reader.sequence(list, what: "consumers") {
            for item in items {
                if let c = decodeConsumer(item, reader: &reader) { manifest.consumers.append(c) }
            }
        }
        if let list = top["users"], let items = reader.sequence(list, what: "users") {
            for item in items {
                if let u = decodeUser(item, reader: &reader) { manifest.users.append(u) }
            }
        }
        if let list = top["roles"], let items = reader.sequence(list, what: "roles") {
            for item in items {
                if let r = decodeRole(item, reader: &reader) { manifest.roles.append(r) }
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
        Self.unique(manifest.repositories.map { ($0.id, $0.mark) }, "repository", &reader)
        Self.unique(manifest.consumers.map { ($0.id, $0.mark) }, "consumer", &reader)
        Self.unique(manifest.users.map { ($0.login, $0.mark) }, "user", &reader)
        Self.unique(manifest.roles.map { ($0.id, $0.mark) }, "role", &reader)
    }

    /// Reports every declaration of a name after its first.
    static func unique(_ declared: [(name: String, mark: SourceMark)], _ kind: String, _ reader: inout NodeReader) {
        var first: [String: SourceMark] = Dictionary(minimumCapacity: declared.count)
        for (name, mark) in declared {
            if let earlier = first[name] {
                reader.error(mark, "\(kind) \(name) is declared twice: here and at \(earlier)")
            } else {
                first[name] = mark
            }
        }
    }
}
