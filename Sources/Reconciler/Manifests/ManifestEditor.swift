import CYAML
import Foundation
import PulpModel

/// `import --update`: rewrites the manifest entries of objects whose drift was accepted so that they say what the
/// target has, in place. Only the text of the values that change is touched: comments, order, quoting of other
/// values and blank lines stay, so the git diff shows exactly the accepted change.
///
/// A value is replaced where it is written (a scalar, or a flow collection); a field the manifests lack is added
/// beside its siblings (a line in a block mapping, `, key: value` in a flow one), with the mappings above it when
/// they are missing too; a field the target no longer has is removed. What cannot be edited that way is left
/// for a person, with the reason: objects from a `matrix` entry, values inherited from `defaults` that the target
/// dropped, block scalars and block collections, secrets (their values are never written).
public struct ManifestEditor {
    /// One field rewritten.
    public struct Edit: Sendable, Hashable {
        public var address: String
        public var path: String
        public var mark: SourceMark
    }

    /// A change left for a person.
    public struct Unresolved: Sendable, Hashable, CustomStringConvertible {
        public var address: String
        public var path: String
        public var reason: String
        public var mark: SourceMark?

        public var description: String { (mark.map { "\($0): " } ?? "") + "\(address): \(path): \(reason)" }
    }

    public struct Result: Sendable {
        /// The new text of each file that changes.
        public var files: [String: String] = [:]
        public var edits: [Edit] = []
        public var unresolved: [Unresolved] = []
    }

    public init() {}

    /// `files`: the manifest files, as loaded. `changes`: from `Reconciliation.acceptingDrift().accepting`
    /// (`before` the manifests' value, `after` the target's).
    public func update(files: [String], changes: [AcceptedDrift]) -> Result {
        var result = Result()
        var documents: [(file: String, text: [Unicode.Scalar], roots: [SpanNode])] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            let text = Array(String(decoding: data, as: UTF8.self).unicodeScalars)
            guard let roots = SpanParser.parse(Array(data)) else { continue }
            documents.append((file, text, roots))
        }
        for drift in changes {
            let parts = drift.address.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let section = ["repository": "repositories", "consumer": "consumers"][parts[0]] else { continue }
            // The entry that declares the object: an item of the section with that id.
            var found: (doc: Int, item: SpanNode)?
            search: for (i, doc) in documents.enumerated() {
                for root in doc.roots {
                    if let item = root[section]?.items?.first(where: { $0["id"]?.scalar == parts[1] }) {
                        found = (i, item)
                        break search
                    }
                }
            }
            guard let (d, item) = found else {
                for c in drift.changes {
                    result.unresolved.append(Unresolved(address: drift.address, path: c.path, reason: "not written as an entry of its own "
                        + "(a matrix entry makes it): change the manifests by hand to \(Self.shown(c))", mark: nil))
                }
                continue
            }
            let file = documents[d].file
            var edits: [(start: Int, end: Int, text: String, order: Int)] = []
            for c in drift.changes {
                func unresolved(_ why: String, _ node: SpanNode? = nil) {
                    result.unresolved.append(Unresolved(address: drift.address, path: c.path, reason: why,
                                                        mark: (node ?? item).mark(file)))
                }
                if c.sensitive {
                    unresolved("a secret: its value is never written; update where the manifest takes it from")
                    continue
                }
                guard let keys = Self.keys(c.path) else {
                    unresolved("cannot be written back: change the manifests by hand to \(Self.shown(c))")
                    continue
                }
                switch Self.edit(item, keys: keys, to: c.after, text: documents[d].text) {
                case .success(let e):
                    edits.append((e.start, e.end, e.text, edits.count))
                    let line = SpanNode.line(of: e.start, in: documents[d].text)
                    result.edits.append(Edit(address: drift.address, path: c.path, mark: SourceMark(file: file, line: line.line, column: line.column)))
                case .failure(let why):
                    unresolved(why.reason + ": change the manifests by hand to \(Self.shown(c))", why.node)
                }
            }
            // Later edits first, so that the earlier offsets hold; edits of one object never overlap.
            // Two insertions at one place keep the changes' order.
            for e in edits.sorted(by: { ($0.start, $0.order) > ($1.start, $1.order) }) {
                documents[d].text.replaceSubrange(e.start..<e.end, with: Array(e.text.unicodeScalars))
            }
            if !edits.isEmpty {
                var scalars = String.UnicodeScalarView()
                scalars.append(contentsOf: documents[d].text)
                let updated = String(scalars)
                result.files[file] = updated
                // The spans of this document moved: parse it again for the next object.
                if let roots = SpanParser.parse(Array(updated.utf8)) { documents[d].roots = roots }
            }
        }
        return result
    }

    static func shown(_ c: FieldChange) -> String {
        c.after.map { YAMLWriter.value($0) } ?? "(no value)"
    }

    /// The mapping keys of a plan path inside an entry: `importer.config.feed` → importer, config, feed;
    /// `distributor.yum.config.x` → the `distributors` item whose id is yum, then config, x.
    static func keys(_ path: String) -> [Key]? {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = segments.first else { return nil }
        switch first {
        case "display_name", "description":
            return segments.count == 1 ? [.key(first)] : nil
        case "notes":
            return segments.count == 2 ? [.key("notes"), .key(segments[1])] : nil
        case "importer":
            guard segments.count == 3, segments[1] == "config" else { return nil }
            return [.key("importer"), .key("config"), .key(segments[2])]
        case "distributor":
            guard segments.count >= 3 else { return nil }
            let rest = Array(segments[2...])
            if rest == ["auto_publish"] { return [.key("distributors"), .item(segments[1]), .key("auto_publish")] }
            guard rest.count == 2, rest[0] == "config" else { return nil }
            return [.key("distributors"), .item(segments[1]), .key("config"), .key(rest[1])]
        default:
            return nil
        }
    }

    enum Key: Equatable {
        case key(String)
        /// The item of a sequence whose `id` is this.
        case item(String)
    }

    struct Refusal: Error {
        let reason: String
        let node: SpanNode?
    }

    /// The text edit that sets `keys` below `node` to `value` (nil: removes it).
    static func edit(_ node: SpanNode, keys: [Key], to value: JSONValue?, text: [Unicode.Scalar]) -> Swift.Result<(start: Int, end: Int, text: String), Refusal> {
        var current = node
        for (i, key) in keys.enumerated() {
            switch key {
            case .item(let id):
                guard let item = current.items?.first(where: { $0["id"]?.scalar == id }) else {
                    return .failure(Refusal(reason: "no entry with id \(id) here", node: current))
                }
                current = item
            case .key(let name):
                guard case .mapping(let entries, let flow) = current.kind else {
                    return .failure(Refusal(reason: "not a mapping", node: current))
                }
                let last = i == keys.count - 1
                guard let entry = entries.first(where: { $0.key.scalar == name }) else {
                    // Missing: added, with the mappings below it that are missing too.
                    guard let value else { return .failure(Refusal(reason: "inherited from defaults, and the target has no value", node: current)) }
                    guard !keys[(i + 1)...].contains(where: { if case .item = $0 { true } else { false } }) else {
                        return .failure(Refusal(reason: "no such entry", node: current))
                    }
                    var nested = value
                    for k in keys[(i + 1)...].reversed() { if case .key(let n) = k { nested = .object([n: nested]) } }
                    return .success(insert(YAMLWriter.key(name), render(nested, plain: true, flow: flow), into: current, entries: entries,
                                           flow: flow, text: text))
                }
                guard last else {
                    current = entry.value
                    continue
                }
                guard let value else { return .success(remove(entry, from: entries, flow: flow, text: text)) }
                switch entry.value.kind {
                case .scalar(_, let style) where style != .block:
                    return .success((entry.value.start, entry.value.end, render(value, plain: style == .plain, flow: flow)))
                case .mapping(_, true), .sequence(_, true):
                    return .success((entry.value.start, entry.value.end, render(value, plain: true, flow: true)))
                default:
                    return .failure(Refusal(reason: "a block scalar or block collection", node: entry.value))
                }
            }
        }
        return .failure(Refusal(reason: "no field", node: current))
    }

    /// A value as YAML on one line: plain when the original was and the text reads back the same, else JSON.
    static func render(_ value: JSONValue, plain: Bool, flow: Bool) -> String {
        if plain, case .string(let s) = value, plainSafe(s, flow: flow) { return s }
        if case .object(let o) = value {
            return "{" + o.keys.sorted().map { "\(YAMLWriter.key($0)): \(render(o[$0] ?? .null, plain: true, flow: true))" }.joined(separator: ", ") + "}"
        }
        return YAMLWriter.value(value)
    }

    static func plainSafe(_ s: String, flow: Bool) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last, first != " ", last != " " else { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return false }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return false }
        if flow, s.unicodeScalars.contains(where: { ",[]{}".unicodeScalars.contains($0) }) { return false }
        return YAMLNode.resolvePlain(s) == .string(s)
    }

    /// `key: value` added after the mapping's last entry: a line of its own at the entries' indentation (block), or
    /// `, key: value` before the closing brace (flow).
    static func insert(_ key: String, _ value: String, into mapping: SpanNode, entries: [(key: SpanNode, value: SpanNode)], flow: Bool,
                       text: [Unicode.Scalar]) -> (start: Int, end: Int, text: String)
    {
        if flow {
            var close = mapping.end - 1
            while close > mapping.start, text[close] != "}" { close -= 1 }
            var before = close
            while before > mapping.start, text[before - 1] == " " { before -= 1 }
            return (before, before, (entries.isEmpty ? "" : ", ") + "\(key): \(value)")
        }
        guard let lastEntry = entries.last, let firstKey = entries.first?.key else { return (mapping.start, mapping.start, "\(key): \(value)") }
        var end = lastEntry.value.deepEnd
        while end < text.count, text[end] != "\n" { end += 1 }
        let indent = String(repeating: " ", count: firstKey.column)
        // At the start of the next line, so that it never overlaps the removal of the last entry's line.
        guard end < text.count else { return (end, end, "\n\(indent)\(key): \(value)") }
        return (end + 1, end + 1, "\(indent)\(key): \(value)\n")
    }

    /// Removes an entry: its lines (block), or it and one comma (flow).
    static func remove(_ entry: (key: SpanNode, value: SpanNode), from entries: [(key: SpanNode, value: SpanNode)], flow: Bool,
                       text: [Unicode.Scalar]) -> (start: Int, end: Int, text: String)
    {
        if flow {
            var start = entry.key.start, end = entry.value.deepEnd
            var after = end
            while after < text.count, text[after] == " " { after += 1 }
            if after < text.count, text[after] == "," {
                end = after + 1
                while end < text.count, text[end] == " " { end += 1 }
            } else {
                var before = start
                while before > 0, text[before - 1] == " " { before -= 1 }
                if before > 0, text[before - 1] == "," { start = before - 1 }
            }
            return (start, end, "")
        }
        var start = entry.key.start
        while start > 0, text[start - 1] != "\n" { start -= 1 }
        var end = entry.value.deepEnd
        while end < text.count, text[end] != "\n" { end += 1 }
        return (start, min(end + 1, text.count), "")
    }
}

/// A YAML node with the span it was read from (offsets in Unicode scalars, as libyaml counts them), for editing.
/// Built by one parse and only read afterwards.
final class SpanNode: @unchecked Sendable {
    enum Kind {
        case scalar(String, ScalarStyle)
        case mapping([(key: SpanNode, value: SpanNode)], flow: Bool)
        case sequence([SpanNode], flow: Bool)
        case alias
    }

    enum ScalarStyle { case plain, quoted, block }

    var kind: Kind
    let start: Int
    var end: Int
    let line: Int
    let column: Int

    init(_ kind: Kind, start: Int, end: Int, line: Int, column: Int) {
        self.kind = kind
        self.start = start
        self.end = end
        self.line = line
        self.column = column
    }

    subscript(key: String) -> SpanNode? {
        guard case .mapping(let entries, _) = kind else { return nil }
        return entries.first { if case .scalar(let k, _) = $0.key.kind { k == key } else { false } }?.value
    }

    var items: [SpanNode]? { if case .sequence(let items, _) = kind { items } else { nil } }

    /// A scalar's value.
    var scalar: String? { if case .scalar(let s, _) = kind { s } else { nil } }

    func mark(_ file: String) -> SourceMark { SourceMark(file: file, line: line, column: column + 1) }

    /// Where the node's last character ends: a block collection's end event comes only at the next token.
    var deepEnd: Int {
        switch kind {
        case .mapping(let entries, false): entries.last?.value.deepEnd ?? end
        case .sequence(let items, false): items.last?.deepEnd ?? end
        default: end
        }
    }

    static func line(of offset: Int, in text: [Unicode.Scalar]) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for c in text[..<min(offset, text.count)] {
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}

/// libyaml's events into `SpanNode`s: no limits or merges, as the file was already loaded (and checked) whole.
enum SpanParser {
    static func parse(_ bytes: [UInt8]) -> [SpanNode]? {
        var documents: [SpanNode] = []
        var stack: [(node: SpanNode, pendingKey: SpanNode?)] = []
        var ok = true
        bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { ok = false; return }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            func add(_ node: SpanNode) {
                guard var top = stack.popLast() else { documents.append(node); return }
                switch top.node.kind {
                case .sequence(var items, let flow):
                    items.append(node)
                    top.node.kind = .sequence(items, flow: flow)
                case .mapping(var entries, let flow):
                    if let key = top.pendingKey {
                        entries.append((key, node))
                        top.node.kind = .mapping(entries, flow: flow)
                        top.pendingKey = nil
                    } else {
                        top.pendingKey = node
                    }
                default: break
                }
                stack.append(top)
            }
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { ok = false; return }
                defer { yaml_event_delete(&event) }
                let s = event.start_mark, e = event.end_mark
                let (start, end, line, column) = (Int(s.index), Int(e.index), Int(s.line) + 1, Int(s.column))
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_MAPPING_START_EVENT:
                    stack.append((SpanNode(.mapping([], flow: event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE),
                                           start: start, end: end, line: line, column: column), nil))
                case YAML_SEQUENCE_START_EVENT:
                    stack.append((SpanNode(.sequence([], flow: event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE),
                                           start: start, end: end, line: line, column: column), nil))
                case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                    guard let top = stack.popLast() else { continue }
                    top.node.end = end
                    add(top.node)
                case YAML_SCALAR_EVENT:
                    let v = event.data.scalar
                    let text = v.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(v.length)), as: UTF8.self) } ?? ""
                    let style: SpanNode.ScalarStyle = switch v.style {
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: .quoted
                    case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: .block
                    default: .plain
                    }
                    add(SpanNode(.scalar(text, style), start: start, end: end, line: line, column: column))
                case YAML_ALIAS_EVENT:
                    add(SpanNode(.alias, start: start, end: end, line: line, column: column))
                default:
                    break
                }
            }
        }
        return ok ? documents : nil
    }
}
