import CYAML
public import PulpModel

/// A place in a manifest file (1-based line and column).
public struct SourceMark: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceMark, b: SourceMark) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// A YAML node that keeps where it came from.
public struct YAMLNode: Sendable {
    public enum ScalarStyle: Sendable { case plain, quoted, block }

    public enum Kind: Sendable {
        case scalar(String, ScalarStyle, tag: String?)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    public var kind: Kind
    public var mark: SourceMark

    public init(_ kind: Kind, mark: SourceMark) {
        self.kind = kind
        self.mark = mark
    }

    /// The entries of a mapping, or nil.
    public var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let m) = kind { return m }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let s) = kind { return s }
        return nil
    }

    /// The text of a scalar, or nil.
    public var scalarText: String? {
        if case .scalar(let s, _, _) = kind { return s }
        return nil
    }

    /// What kind of thing this is, for messages.
    public var kindName: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch value {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .double: return "a number"
            default: return "a string"
            }
        }
    }

    /// The node as JSON, with YAML 1.2 core-schema typing of plain scalars:
    /// `null`/`~`/empty, `true`/`false`, integers, floats; quoted and block scalars are strings.
    public var value: JSONValue {
        switch kind {
        case .scalar(let text, let style, let tag):
            if let tag {
                switch tag {
                case "tag:yaml.org,2002:str": return .string(text)
                case "tag:yaml.org,2002:int": return Int(text).map(JSONValue.int) ?? .string(text)
                case "tag:yaml.org,2002:bool": return text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text)
                case "tag:yaml.org,2002:null": return .null
                case "tag:yaml.org,2002:float": return Double(text).map(JSONValue.double) ?? .string(text)
                default: break
                }
            }
            guard style == .plain else { return .string(text) }
            return YAMLNode.resolvePlain(text)
        case .mapping(let entries):
            var o = JSONObject()
            for (k, v) in entries { o[k.scalarText ?? k.value.serialized()] = v.value }
            return .object(o)
        case .sequence(let items):
            return .array(items.map(\.value))
        }
    }

    static func resolvePlain(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN": return .string(text)
        default: break
        }
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) || first == UInt8(ascii: ".")
        else { return .string(text) }
        if text.hasPrefix("0x"), let i = Int(text.dropFirst(2), radix: 16) { return .int(i) }
        if text.hasPrefix("0o"), let i = Int(text.dropFirst(2), radix: 8) { return .int(i) }
        if text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }),
           let i = Int(text)
        {
            return .int(i)
        }
        let isFloatText = text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E")
        }
        if isFloatText, let d = Double(text), d.isFinite { return .double(d) }
        return .string(text)
    }
}

/// A YAML syntax error, with where it was found.
public struct YAMLSyntaxError: Error, Sendable {
    public var mark: SourceMark
    public var message: String
}

/// Parses YAML text with libyaml's event API into one node per document.
///
/// Manifests come from pull requests nobody has reviewed yet, so the tree is bounded: collections nest at
/// most `ManifestLimits.maximumDepth` deep, and aliases may add at most `ManifestLimits.aliasNodes(forBytes:)`
/// nodes (each use of an alias counts every node below its anchor), which stops "billion laughs" bombs at the
/// alias that crosses the line instead of after gigabytes.
public enum YAMLParser {
    public static func parse(_ bytes: [UInt8], file: String,
                             limits: ManifestLimits = ManifestLimits()) throws(YAMLSyntaxError) -> [YAMLNode] {
        var builder = Builder(file: file, aliasBudget: limits.aliasNodes(forBytes: bytes.count))
        var failure: YAMLSyntaxError?
        bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                failure = YAMLSyntaxError(mark: SourceMark(file: file, line: 1, column: 1), message: "cannot start the YAML parser")
                return
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
                    let context = parser.context.map { String(cString: $0) + ": " } ?? ""
                    let mark = SourceMark(file: file, line: Int(parser.problem_mark.line) + 1,
                                          column: Int(parser.problem_mark.column) + 1)
                    failure = YAMLSyntaxError(mark: mark, message: "YAML syntax error: \(context)\(problem)")
                    return
                }
                let done = event.type == YAML_STREAM_END_EVENT
                do throws(YAMLSyntaxError) {
                    try builder.handle(&event)
                } catch {
                    failure = error
                    yaml_event_delete(&event)
                    return
                }
                yaml_event_delete(&event)
                if done { break }
            }
        }
        if let failure { throw failure }
        return builder.documents
    }

    /// Turns events into nodes: a stack of open collections, anchors, and `<<` merge keys.
    struct Builder {
        let file: String
        var documents: [YAMLNode] = []
        /// Anchored nodes, with the number of nodes each stands for.
        var anchors: [String: (node: YAMLNode, nodes: Int)] = [:]

        enum Open {
            case mapping(SourceMark, anchor: String?, entries: [(key: YAMLNode, value: YAMLNode)], pendingKey: YAMLNode?)
            case sequence(SourceMark, anchor: String?, items: [YAMLNode])
        }

        var stack: [Open] = []
        /// The node count when each open collection started: its own nodes are those counted since.
        var counted: [Int] = []
        /// Nodes counted so far, each use of an alias counting the nodes below its anchor.
        var nodes = 0
        /// Nodes that aliases may add.
        let aliasBudget: Int
        var aliasNodes = 0

        init(file: String, aliasBudget: Int = .max) {
            self.file = file
            self.aliasBudget = aliasBudget
        }

        mutating func open(_ collection: Open, at m: SourceMark) throws(YAMLSyntaxError) {
            guard stack.count < ManifestLimits.maximumDepth else {
                throw YAMLSyntaxError(mark: m, message: "collections nest deeper than \(ManifestLimits.maximumDepth) levels")
            }
            nodes += 1
            stack.append(collection)
            counted.append(nodes)
        }

        /// The nodes of the collection just closed, itself included.
        mutating func closed() -> Int {
            nodes - (counted.popLast() ?? nodes) + 1
        }

        func mark(_ m: yaml_mark_t) -> SourceMark {
            SourceMark(file: file, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }

        static func string(_ p: UnsafeMutablePointer<yaml_char_t>?, _ length: Int? = nil) -> String? {
            guard let p else { return nil }
            if let length {
                return String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self)
            }
            return String(cString: p)
        }

        mutating func handle(_ event: inout yaml_event_t) throws(YAMLSyntaxError) {
            let m = mark(event.start_mark)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                anchors = [:]
            case YAML_MAPPING_START_EVENT:
                try open(.mapping(m, anchor: Builder.string(event.data.mapping_start.anchor), entries: [], pendingKey: nil), at: m)
            case YAML_SEQUENCE_START_EVENT:
                try open(.sequence(m, anchor: Builder.string(event.data.sequence_start.anchor), items: []), at: m)
            case YAML_MAPPING_END_EVENT:
                guard case .mapping(let start, let anchor, let entries, _)? = stack.popLast() else { return }
                let size = closed()
                let node = YAMLNode(.mapping(try Builder.applyMerges(entries)), mark: start)
                if let anchor { anchors[anchor] = (node, size) }
                try add(node)
            case YAML_SEQUENCE_END_EVENT:
                guard case .sequence(let start, let anchor, let items)? = stack.popLast() else { return }
                let size = closed()
                let node = YAMLNode(.sequence(items), mark: start)
                if let anchor { anchors[anchor] = (node, size) }
                try add(node)
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = Builder.string(s.value, Int(s.length)) ?? ""
                let style: YAMLNode.ScalarStyle
                switch s.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .quoted
                case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: style = .block
                default: style = .plain
                }
                var tag = Builder.string(s.tag)
                if tag == "!" { tag = "tag:yaml.org,2002:str" }
                let node = YAMLNode(.scalar(text, style, tag: tag), mark: m)
                nodes += 1
                if let anchor = Builder.string(s.anchor) { anchors[anchor] = (node, 1) }
                try add(node)
            case YAML_ALIAS_EVENT:
                let name = Builder.string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else {
                    throw YAMLSyntaxError(mark: m, message: "unknown alias *\(ManifestLimits.shown(name))")
                }
                aliasNodes += target.nodes
                nodes += target.nodes
                guard aliasNodes <= aliasBudget else {
                    throw YAMLSyntaxError(mark: m, message: "aliases expand to more than \(aliasBudget.formatted) nodes, "
                        + "the limit for a file of this size (each use of an alias counts every node below its anchor)")
                }
                try add(target.node)
            default:
                break
            }
        }

        mutating func add(_ node: YAMLNode) throws(YAMLSyntaxError) {
            guard let top = stack.popLast() else {
                documents.append(node)
                return
            }
            switch top {
            case .sequence(let start, let anchor, var items):
                items.append(node)
                stack.append(.sequence(start, anchor: anchor, items: items))
            case .mapping(let start, let anchor, var entries, let pendingKey):
                if let key = pendingKey {
                    if key.scalarText != "<<", let dup = entries.first(where: { $0.key.scalarText != nil && $0.key.scalarText == key.scalarText }) {
                        throw YAMLSyntaxError(mark: key.mark, message: "duplicate key \(ManifestLimits.shown(key.scalarText ?? "")) (first at line \(dup.key.mark.line))")
                    }
                    entries.append((key, node))
                    stack.append(.mapping(start, anchor: anchor, entries: entries, pendingKey: nil))
                } else {
                    guard node.scalarText != nil else {
                        throw YAMLSyntaxError(mark: node.mark, message: "a mapping key must be a scalar")
                    }
                    stack.append(.mapping(start, anchor: anchor, entries: entries, pendingKey: node))
                }
            }
        }

        /// `<<: *base` or `<<: [*a, *b]`: keys of the merged mappings that the mapping does not set itself.
        static func applyMerges(_ entries: [(key: YAMLNode, value: YAMLNode)]) throws(YAMLSyntaxError) -> [(key: YAMLNode, value: YAMLNode)] {
            guard entries.contains(where: { $0.key.scalarText == "<<" && $0.key.kindIsPlain }) else { return entries }
            var own = entries.filter { !($0.key.scalarText == "<<" && $0.key.kindIsPlain) }
            var present = Set(own.compactMap { $0.key.scalarText })
            for merge in entries where merge.key.scalarText == "<<" && merge.key.kindIsPlain {
                let sources: [YAMLNode]
                switch merge.value.kind {
                case .mapping: sources = [merge.value]
                case .sequence(let items): sources = items
                case .scalar: throw YAMLSyntaxError(mark: merge.value.mark, message: "<< must merge a mapping or a list of mappings")
                }
                for source in sources {
                    guard let m = source.mapping else {
                        throw YAMLSyntaxError(mark: source.mark, message: "<< must merge a mapping or a list of mappings")
                    }
                    for e in m where !present.contains(e.key.scalarText ?? "") {
                        own.append(e)
                        present.insert(e.key.scalarText ?? "")
                    }
                }
            }
            return own
        }
    }
}

extension YAMLNode {
    var kindIsPlain: Bool {
        if case .scalar(_, .plain, _) = kind { return true }
        return false
    }
}
