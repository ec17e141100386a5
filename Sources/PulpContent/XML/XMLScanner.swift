/// Why XML could not be read.
public struct XMLError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A start tag's attributes, in document order. Elements carry a handful, so a list searched in order costs
/// less than a dictionary's hashing (primary has several per package).
public struct XMLAttributes: Equatable, Sendable, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (k, v) in elements { self[k] = v }
    }

    /// The value of `name`; setting one that exists replaces it (the last one of a repeated name wins).
    public subscript(name: String) -> String? {
        get { pairs.first { $0.name == name }?.value }
        set {
            if let i = pairs.firstIndex(where: { $0.name == name }) {
                if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                pairs.append((name, newValue))
            }
        }
    }

    public var isEmpty: Bool { pairs.isEmpty }

    public static func == (a: XMLAttributes, b: XMLAttributes) -> Bool {
        a.pairs.count == b.pairs.count && a.pairs.allSatisfy { b[$0.name] == $0.value }
    }
}

/// One event of `XMLScanner`.
public enum XMLEvent: Equatable, Sendable {
    /// A start tag (`empty` when it closes itself, `<a/>`; no `end` follows then).
    case start(name: String, attributes: XMLAttributes, empty: Bool)
    case end(name: String)
    /// Character data, entities and CDATA decoded. Whitespace-only runs are reported too.
    case text(String)
}

/// A small pull scanner for the XML that yum repositories carry (repomd, primary, filelists, other,
/// updateinfo, comps): tags, attributes, text, the five named entities, character references, CDATA; comments,
/// processing instructions and the doctype are skipped. It reads a buffer already in memory (a file's one element
/// at a time, cut by `ElementSplitter`), never crashes on bad input and throws `XMLError` at the first problem.
/// Namespaces are not resolved: names keep their prefix (`rpm:entry`).
public struct XMLScanner {
    private let bytes: [UInt8]
    private var pos: Int
    private var depth = 0
    /// Open elements, to check that ends match.
    private var open: [String] = []

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        pos = 0
    }

    public init(_ text: String) { self.init(Array(text.utf8)) }

    /// The next event, or nil at the end of the input.
    public mutating func next() throws -> XMLEvent? {
        while pos < bytes.count {
            if bytes[pos] != UInt8(ascii: "<") {
                return .text(try readText())
            }
            // Markup.
            guard pos + 1 < bytes.count else { throw XMLError("unexpected end of input after '<'") }
            let c = bytes[pos + 1]
            if c == UInt8(ascii: "?") {
                try skip(past: Array("?>".utf8))
                continue
            }
            if c == UInt8(ascii: "!") {
                if starts(with: "<!--") {
                    try skip(past: Array("-->".utf8))
                    continue
                }
                if starts(with: "<![CDATA[") {
                    return .text(try readText())
                }
                // <!DOCTYPE ...> (with an internal subset in brackets).
                try skipDoctype()
                continue
            }
            if c == UInt8(ascii: "/") {
                pos += 2
                let name = try readName()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ">") else { throw XMLError("malformed end tag </\(name)") }
                pos += 1
                guard let last = open.popLast(), last == name else { throw XMLError("end tag </\(name)> does not match") }
                return .end(name: name)
            }
            pos += 1
            let name = try readName()
            var attributes = XMLAttributes()
            while true {
                skipSpace()
                guard pos < bytes.count else { throw XMLError("unexpected end of input in <\(name)") }
                if bytes[pos] == UInt8(ascii: ">") {
                    pos += 1
                    open.append(name)
                    return .start(name: name, attributes: attributes, empty: false)
                }
                if bytes[pos] == UInt8(ascii: "/") {
                    guard pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: ">") else { throw XMLError("malformed tag <\(name)") }
                    pos += 2
                    return .start(name: name, attributes: attributes, empty: true)
                }
                let attr = try readName()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "=") else { throw XMLError("attribute \(attr) of <\(name)> has no value") }
                pos += 1
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") else {
                    throw XMLError("attribute \(attr) of <\(name)> is not quoted")
                }
                let quote = bytes[pos]
                pos += 1
                let start = pos
                while pos < bytes.count && bytes[pos] != quote { pos += 1 }
                guard pos < bytes.count else { throw XMLError("unterminated attribute \(attr) of <\(name)>") }
                attributes[attr] = try Self.decode(bytes[start..<pos])
                pos += 1
            }
        }
        if let unclosed = open.last { throw XMLError("unexpected end of input: <\(unclosed)> is not closed") }
        return nil
    }

    /// Whether every element opened has been closed.
    public var isBalanced: Bool { open.isEmpty }

    // MARK: -

    private func starts(with s: String) -> Bool {
        let u = Array(s.utf8)
        guard pos + u.count <= bytes.count else { return false }
        for i in 0..<u.count where bytes[pos + i] != u[i] { return false }
        return true
    }

    private mutating func skip(past end: [UInt8]) throws {
        var i = pos
        while i + end.count <= bytes.count {
            var match = true
            for j in 0..<end.count where bytes[i + j] != end[j] {
                match = false
                break
            }
            if match {
                pos = i + end.count
                return
            }
            i += 1
        }
        throw XMLError("unexpected end of input in markup")
    }

    private mutating func skipDoctype() throws {
        var bracket = 0
        while pos < bytes.count {
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: "[") { bracket += 1 }
            else if b == UInt8(ascii: "]") { bracket -= 1 }
            else if b == UInt8(ascii: ">") && bracket <= 0 { return }
        }
        throw XMLError("unexpected end of input in <!DOCTYPE")
    }

    private mutating func skipSpace() {
        while pos < bytes.count, Self.isSpace(bytes[pos]) { pos += 1 }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    private mutating func readName() throws -> String {
        let start = pos
        while pos < bytes.count {
            let b = bytes[pos]
            if Self.isSpace(b) || b == UInt8(ascii: ">") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") || b == UInt8(ascii: "<") { break }
            pos += 1
        }
        guard pos > start else { throw XMLError("expected a name") }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    /// Text up to the next tag, CDATA sections included.
    private mutating func readText() throws -> String {
        var out: [UInt8] = []
        while pos < bytes.count {
            if bytes[pos] == UInt8(ascii: "<") {
                if starts(with: "<![CDATA[") {
                    pos += 9
                    let start = pos
                    try skip(past: Array("]]>".utf8))
                    out.append(contentsOf: bytes[start..<(pos - 3)])
                    continue
                }
                break
            }
            let start = pos
            while pos < bytes.count && bytes[pos] != UInt8(ascii: "<") { pos += 1 }
            out.append(contentsOf: try Self.decodeBytes(bytes[start..<pos]))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes entities and character references.
    public static func decode(_ slice: ArraySlice<UInt8>) throws -> String {
        String(decoding: try decodeBytes(slice), as: UTF8.self)
    }

    static func decodeBytes(_ slice: ArraySlice<UInt8>) throws -> [UInt8] {
        guard slice.contains(UInt8(ascii: "&")) else { return Array(slice) }
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var i = slice.startIndex
        while i < slice.endIndex {
            let b = slice[i]
            guard b == UInt8(ascii: "&") else {
                out.append(b)
                i += 1
                continue
            }
            guard let semi = slice[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw XMLError("unterminated entity") }
            let name = String(decoding: slice[(i + 1)..<semi], as: UTF8.self)
            switch name {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                var value: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { value = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { value = UInt32(name.dropFirst(), radix: 10) }
                guard let v = value, let scalar = Unicode.Scalar(v) else { throw XMLError("unknown entity &\(name.prefix(10));") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            i = semi + 1
        }
        return out
    }

    /// Escapes text for element content or a double-quoted attribute.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

extension XMLScanner {
    /// Walks a whole document, keeping the path and each element's text, for the readers of repodata elements.
    /// - `start` sees each start tag with its depth (0 for the root) and its parent's name. An element that closes
    ///   itself (`<a/>`) is seen by `start` only.
    /// - `end` sees each element that closes, with its attributes, its own text (trimmed), its depth and its
    ///   parent's name.
    public static func walk(
        _ bytes: [UInt8],
        start: (_ name: String, _ attributes: XMLAttributes, _ depth: Int, _ parent: String?) throws -> Void,
        end: (_ name: String, _ attributes: XMLAttributes, _ text: String, _ depth: Int, _ parent: String?) throws -> Void
    ) throws {
        var scanner = XMLScanner(bytes)
        var open: [(name: String, attributes: XMLAttributes)] = []
        var text = ""
        while let event = try scanner.next() {
            switch event {
            case .start(let name, let attributes, let empty):
                text = ""
                try start(name, attributes, open.count, open.last?.name)
                if !empty { open.append((name, attributes)) }
            case .text(let t):
                text += t
            case .end:
                guard let element = open.popLast() else { break }
                try end(element.name, element.attributes, text.trimmingSpace(), open.count, open.last?.name)
                text = ""
            }
        }
    }
}
