import CYAML
import Foundation
import PulpModel

/// libyaml's parser, one event at a time. The current event stays valid until the next call.
///
/// The parser and the event live on the heap: libyaml keeps a pointer to its parser (the string input
/// handler's data), so the parser must never move.
struct EventStream {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let current: UnsafeMutablePointer<yaml_event_t>
    private var hasEvent = false
    private var started = false
    /// Lines of the file before the buffer's first line (a piece of a file starts part-way through it).
    var lineOffset = 0
    /// Collections open around the current event, those around the buffer included (a piece of a
    /// `repositories` list starts inside the document's mapping). Past `ManifestLimits.maximumDepth` the fast
    /// path ends, and the tree decoder reports where.
    var depth = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) {
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        current = .allocate(capacity: 1)
        current.initialize(to: yaml_event_t())
        started = yaml_parser_initialize(parser) == 1
        if started { yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count) }
    }

    mutating func close() {
        if hasEvent { yaml_event_delete(current) }
        hasEvent = false
        if started { yaml_parser_delete(parser) }
        started = false
        parser.deallocate()
        current.deallocate()
    }

    private var event: yaml_event_t {
        _read { yield current.pointee }
    }

    var type: yaml_event_type_t { event.type }

    mutating func next() throws(StreamingDecoder.Bail) {
        if hasEvent { yaml_event_delete(current) }
        hasEvent = false
        guard started, yaml_parser_parse(parser, current) == 1 else { throw .init("syntax") }
        hasEvent = true
        switch current.pointee.type {
        case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
            depth += 1
            if depth > ManifestLimits.maximumDepth { throw .init("nested too deep") }
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
            depth -= 1
        default:
            break
        }
    }

    mutating func expect(_ t: yaml_event_type_t) throws(StreamingDecoder.Bail) {
        try next()
        guard event.type == t else { throw .init("unexpected event") }
    }

    func mark(_ file: String) -> SourceMark {
        SourceMark(file: file, line: lineOffset + Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    /// A collection start with no anchor and no tag.
    func plainCollection() throws(StreamingDecoder.Bail) {
        switch event.type {
        case YAML_MAPPING_START_EVENT:
            guard event.data.mapping_start.anchor == nil, event.data.mapping_start.tag == nil else { throw .init("anchor or tag") }
        case YAML_SEQUENCE_START_EVENT:
            guard event.data.sequence_start.anchor == nil, event.data.sequence_start.tag == nil else { throw .init("anchor or tag") }
        default:
            throw .init("not a collection")
        }
    }

    var scalarBytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: event.data.scalar.value, count: Int(event.data.scalar.length))
    }

    var text: String { String(decoding: scalarBytes, as: UTF8.self) }

    var isUntagged: Bool { event.data.scalar.anchor == nil && event.data.scalar.tag == nil }

    var isPlain: Bool { event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE || event.data.scalar.style == YAML_ANY_SCALAR_STYLE }

    var isPlainUntagged: Bool { isUntagged && isPlain }

    /// Moves to the next key of the open mapping: true with the key as the current scalar, false at its end.
    /// Merge keys (`<<`) and keys that are not plain scalars end the fast path.
    mutating func nextKey() throws(StreamingDecoder.Bail) -> Bool {
        try next()
        switch event.type {
        case YAML_MAPPING_END_EVENT: return false
        case YAML_SCALAR_EVENT:
            guard isUntagged else { throw .init("anchor or tag") }
            if keyIs("<<") { throw .init("merge key") }
            return true
        default: throw .init("a key that is not a scalar")
        }
    }

    /// Moves to the next key of the open mapping: its position in `keys`, or nil at the mapping's end. A key
    /// outside `keys`, or one already `seen`, ends the fast path.
    mutating func nextKey(of keys: [StaticString], seen: inout UInt32) throws(StreamingDecoder.Bail) -> Int? {
        guard try nextKey() else { return nil }
        guard let i = keys.firstIndex(where: keyIs) else { throw .init("unknown key") }
        guard seen & (1 << i) == 0 else { throw .init("duplicate key") }
        seen |= 1 << i
        return i
    }

    func keyIs(_ s: StaticString) -> Bool {
        let bytes = scalarBytes
        guard bytes.count == s.utf8CodeUnitCount, let base = bytes.baseAddress else { return bytes.isEmpty && s.utf8CodeUnitCount == 0 }
        return memcmp(base, s.utf8Start, bytes.count) == 0
    }

    /// The next value as text; a plain null (`~`, `null`, nothing) is nil, and a collection ends the fast path.
    mutating func optionalString() throws(StreamingDecoder.Bail) -> String? {
        try next()
        guard event.type == YAML_SCALAR_EVENT, isUntagged else { throw .init("not a string") }
        if isPlain, YAMLNode.resolvePlain(text) == .null { return nil }
        return text
    }

    mutating func bool() throws(StreamingDecoder.Bail) -> Bool {
        try next()
        guard event.type == YAML_SCALAR_EVENT, isPlainUntagged, case .bool(let b) = YAMLNode.resolvePlain(text) else {
            throw .init("not a boolean")
        }
        return b
    }

    /// A mapping as a JSON object, or nil for a plain null.
    mutating func optionalObject() throws(StreamingDecoder.Bail) -> JSONObject? {
        try next()
        switch event.type {
        case YAML_SCALAR_EVENT:
            guard isPlainUntagged, YAMLNode.resolvePlain(text) == .null else { throw .init("not a mapping") }
            return nil
        case YAML_MAPPING_START_EVENT:
            guard case .object(let o) = try currentValue() else { throw .init("not a mapping") }
            return o
        default:
            throw .init("not a mapping")
        }
    }

    /// The next node as JSON.
    mutating func value() throws(StreamingDecoder.Bail) -> JSONValue {
        try next()
        return try currentValue()
    }

    /// The node starting at the current event as JSON, with the tree decoder's typing of scalars.
    mutating func currentValue() throws(StreamingDecoder.Bail) -> JSONValue {
        switch event.type {
        case YAML_SCALAR_EVENT:
            guard isUntagged else { throw .init("anchor or tag") }
            return isPlain ? YAMLNode.resolvePlain(text) : .string(text)
        case YAML_MAPPING_START_EVENT:
            try plainCollection()
            var o = JSONObject()
            while try nextKey() {
                let k = text
                guard o[k] == nil else { throw .init("duplicate key") }
                o[k] = try value()
            }
            return .object(o)
        case YAML_SEQUENCE_START_EVENT:
            try plainCollection()
            var a: [JSONValue] = []
            while true {
                try next()
                if event.type == YAML_SEQUENCE_END_EVENT { return .array(a) }
                a.append(try currentValue())
            }
        default:
            throw .init("alias or unexpected event")
        }
    }

    /// The next node as a tree, for the sections the tree decoder reads (anchors and aliases end the fast path).
    mutating func subtree(file: String) throws(StreamingDecoder.Bail) -> YAMLNode {
        var builder = YAMLParser.Builder(file: file)
        var open = 0
        repeat {
            try next()
            switch event.type {
            case YAML_ALIAS_EVENT: throw .init("alias")
            case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
                try plainCollection()
                open += 1
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT: open -= 1
            case YAML_SCALAR_EVENT: guard isUntagged else { throw .init("anchor or tag") }
            default: break
            }
            do throws(YAMLSyntaxError) {
                try builder.handle(&current.pointee)
            } catch {
                throw .init("syntax")
            }
        } while open > 0
        guard let node = builder.documents.first else { throw .init("empty") }
        return node
    }
}
