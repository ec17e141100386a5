/// Cuts a stream of XML into the raw bytes of each element with one of the given names (`<package …>…</package>`),
/// as the bytes arrive, holding no more than the element being read. This is how Pulp keeps each package's
/// repodata snippets, and how a large primary is read with flat memory. Elements of those names must not nest.
/// Comments and CDATA sections between elements are passed over.
public struct ElementSplitter {
    private let names: [[UInt8]]
    private var buffer: [UInt8] = []
    /// Where the next search starts in `buffer`.
    private var scan = 0
    /// The start of the element being read, and its name's index, once its start tag was seen.
    private var current: (start: Int, name: Int)?
    /// The limit on one element, so that garbage without an end cannot grow memory without bound.
    public var maxElementBytes: Int
    /// The root element's start tag, once seen (for its attributes).
    public private(set) var rootTag: [UInt8]?

    public init(names: [String], maxElementBytes: Int = 64 << 20) {
        self.names = names.map { Array($0.utf8) }
        self.maxElementBytes = maxElementBytes
    }

    /// Adds bytes and hands each complete element to `body` (its name and raw bytes).
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (String, ArraySlice<UInt8>) throws -> Void) throws {
        buffer.append(contentsOf: chunk)
        try drain(body)
    }

    public mutating func feed(_ chunk: [UInt8], _ body: (String, ArraySlice<UInt8>) throws -> Void) throws {
        try chunk.withUnsafeBytes { try feed($0, body) }
    }

    /// At the end of the stream: an error if an element was left open.
    public func finish() throws {
        if let current {
            throw XMLError("unexpected end of input inside <\(String(decoding: names[current.name], as: UTF8.self))>")
        }
    }

    private mutating func drain(_ body: (String, ArraySlice<UInt8>) throws -> Void) throws {
        while true {
            if let cur = current {
                // Look for the end tag.
                let name = names[cur.name]
                let (found, resume) = findEnd(name, from: scan)
                guard let end = found else {
                    // Next time, scan again from where a tag may straddle the chunks.
                    scan = max(cur.start, resume)
                    if buffer.count - cur.start > maxElementBytes {
                        throw XMLError("an element <\(String(decoding: name, as: UTF8.self))> is larger than \(maxElementBytes) bytes")
                    }
                    return
                }
                try body(String(decoding: name, as: UTF8.self), buffer[cur.start..<end])
                current = nil
                scan = end
                continue
            }
            // Look for the next start tag of one of the names.
            guard let (start, nameIndex, tagEnd, selfClosing) = try findStart(from: scan) else {
                compact(keepFrom: scan)
                return
            }
            if selfClosing {
                try body(String(decoding: names[nameIndex], as: UTF8.self), buffer[start..<tagEnd])
                scan = tagEnd
                continue
            }
            // Drop what came before the element, so the buffer holds it alone.
            let shift = start > 1 << 16 || start > buffer.count / 2 ? start : 0
            if shift > 0 { buffer.removeSubrange(0..<shift) }
            current = (start - shift, nameIndex)
            scan = tagEnd - shift
        }
    }

    /// Drops what has been handed out, so the buffer holds at most one element and a partial tag.
    private mutating func compact(keepFrom index: Int) {
        guard index > 0 else { return }
        if index >= buffer.count {
            buffer.removeAll(keepingCapacity: true)
            scan = 0
        } else if index > 1 << 16 || index > buffer.count / 2 {
            buffer.removeSubrange(0..<index)
            scan = 0
        }
    }

    /// The next start tag of one of the names: its start, which name, the index after its `>`, and whether it
    /// closes itself. Nil if none is complete in the buffer yet (`scan` then points where to resume).
    private mutating func findStart(from: Int) throws -> (Int, Int, Int, Bool)? {
        var i = from
        let n = buffer.count
        while i < n {
            guard let lt = indexOf(UInt8(ascii: "<"), from: i) else {
                scan = n
                return nil
            }
            // Decide nothing about a tag until its first `>` has arrived: a name, `<!--` or `<![CDATA[` may be cut
            // between chunks.
            guard indexOf(UInt8(ascii: ">"), from: lt) != nil else {
                scan = lt
                return nil
            }
            // Comments and CDATA may hold anything.
            if hasPrefix("<!--", at: lt) || hasPrefix("<![CDATA[", at: lt) {
                let closer: [UInt8] = hasPrefix("<!--", at: lt) ? Array("-->".utf8) : Array("]]>".utf8)
                guard let close = find(closer, from: lt + 4) else {
                    scan = lt
                    return nil
                }
                i = close + closer.count
                continue
            }
            if lt + 1 < n, buffer[lt + 1] != UInt8(ascii: "/"), buffer[lt + 1] != UInt8(ascii: "?"), buffer[lt + 1] != UInt8(ascii: "!"),
               rootTag == nil
            {
                // The first element is the root: remember its start tag.
                guard let gt = tagEnd(from: lt) else {
                    scan = lt
                    return nil
                }
                rootTag = Array(buffer[lt..<gt])
            }
            for (k, name) in names.enumerated() {
                let after = lt + 1 + name.count
                guard hasPrefix(name, at: lt + 1) else { continue }
                guard after < n else {
                    scan = lt
                    return nil
                }
                let c = buffer[after]
                guard XMLScanner.isSpace(c) || c == UInt8(ascii: ">") || c == UInt8(ascii: "/") else { continue }
                guard let gt = tagEnd(from: lt) else {
                    scan = lt
                    return nil
                }
                let selfClosing = gt >= 2 && buffer[gt - 2] == UInt8(ascii: "/")
                return (lt, k, gt, selfClosing)
            }
            i = lt + 1
        }
        scan = n
        return nil
    }

    /// The index after the `>` that ends the tag starting at `lt`, skipping quoted attribute values.
    private func tagEnd(from lt: Int) -> Int? {
        var i = lt + 1
        var quote: UInt8 = 0
        while i < buffer.count {
            let b = buffer[i]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: ">") {
                return i + 1
            }
            i += 1
        }
        return nil
    }

    /// The index after `</name>` (spaces allowed before `>`), searching from `from`; or nil and where to search
    /// again once more bytes arrive (a tag cut between chunks is read again whole).
    private func findEnd(_ name: [UInt8], from: Int) -> (Int?, Int) {
        let cdata = Array("<![CDATA[".utf8)
        let close = Array("</".utf8) + name
        var i = from
        while let lt = indexOf(UInt8(ascii: "<"), from: i) {
            if couldStart(cdata, at: lt) || couldStart(close, at: lt) { return (nil, lt) }
            if hasPrefix(cdata, at: lt) {
                guard let end = find(Array("]]>".utf8), from: lt + cdata.count) else { return (nil, lt) }
                i = end + 3
                continue
            }
            if hasPrefix(close, at: lt) {
                var j = lt + close.count
                while j < buffer.count, XMLScanner.isSpace(buffer[j]) { j += 1 }
                if j >= buffer.count { return (nil, lt) }
                if buffer[j] == UInt8(ascii: ">") { return (j + 1, lt) }
            }
            i = lt + 1
        }
        return (nil, buffer.count)
    }

    /// Whether the buffer ends inside what could still become `p` at `i`.
    private func couldStart(_ p: [UInt8], at i: Int) -> Bool {
        let left = buffer.count - i
        guard left < p.count else { return false }
        for k in 0..<left where buffer[i + k] != p[k] { return false }
        return true
    }

    private func indexOf(_ byte: UInt8, from: Int) -> Int? {
        var i = from
        let n = buffer.count
        return buffer.withUnsafeBufferPointer { p -> Int? in
            while i < n {
                if p[i] == byte { return i }
                i += 1
            }
            return nil
        }
    }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        var i = from
        while let first = indexOf(needle[0], from: i) {
            if hasPrefix(needle, at: first) { return first }
            i = first + 1
        }
        return nil
    }

    private func hasPrefix(_ s: String, at i: Int) -> Bool { hasPrefix(Array(s.utf8), at: i) }

    private func hasPrefix(_ p: [UInt8], at i: Int) -> Bool {
        guard i + p.count <= buffer.count else { return false }
        for k in 0..<p.count where buffer[i + k] != p[k] { return false }
        return true
    }
}
