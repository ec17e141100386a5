import Foundation

/// An iso repository's `PULP_MANIFEST` (pulp2-content.md §3.1): one CSV row `name,checksum,size` per file, the
/// checksum a sha256 in hex. Read like Python's `csv.reader` (LF or CRLF, quoted fields), written like
/// `csv.writer` (CRLF, fields quoted only where they must be).
public enum ISOManifest {
    public struct Entry: Sendable, Hashable {
        /// A relative path (`sub/file.iso`).
        public var name: String
        public var checksum: String
        public var size: Int

        public init(name: String, checksum: String, size: Int) {
            self.name = name
            self.checksum = checksum
            self.size = size
        }
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "PULP_MANIFEST line \(line): \(message)" }
    }

    /// The entries, in order. A blank line is skipped; any other bad row fails the whole manifest. A name must be
    /// a relative path inside the repository: no leading `/`, no `.` or `..` segment, not `PULP_MANIFEST`.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> [Entry] {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ParseError(line: 1, message: "not UTF-8 text") }
        var entries: [Entry] = []
        var seen: Set<String> = []
        for row in try rows(text) where !(row.fields.count == 1 && row.fields[0].isEmpty) {
            let line = row.line
            guard row.fields.count == 3 else { throw ParseError(line: line, message: "expected name,checksum,size; found \(row.fields.count) fields") }
            let name = row.fields[0], checksum = row.fields[1].lowercased()
            guard isSafeName(name) else { throw ParseError(line: line, message: "\"\(name)\" is not a relative path inside the repository") }
            guard checksum.utf8.count == 64, checksum.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw ParseError(line: line, message: "the checksum of \(name) is not a sha256 in hex")
            }
            guard let size = Int(row.fields[2]), size >= 0 else { throw ParseError(line: line, message: "the size of \(name) is not a number of bytes") }
            guard seen.insert(name).inserted else { throw ParseError(line: line, message: "\(name) is listed twice") }
            entries.append(Entry(name: name, checksum: checksum, size: size))
        }
        return entries
    }

    /// The manifest for these entries, each line ending CRLF.
    public static func render(_ entries: [Entry]) -> String {
        entries.map { e in [e.name, e.checksum, String(e.size)].map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// Whether `name` may name a file of the repository.
    public static func isSafeName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), name != "PULP_MANIFEST", !name.contains("\0"), !name.contains("\\") else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    private static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// CSV rows with the line each starts on.
    private static func rows(_ text: String) throws(ParseError) -> [(line: Int, fields: [String])] {
        var out: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var line = 1, rowLine = 1
        var chars = Array(text.unicodeScalars)[...]
        func endRow() {
            fields.append(field)
            out.append((rowLine, fields))
            fields = []
            field = ""
            wasQuoted = false
        }
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { chars.removeFirst(); field.unicodeScalars.append("\"") } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !wasQuoted:
                quoted = true
                wasQuoted = true
            case ",":
                fields.append(field)
                field = ""
                wasQuoted = false
            case "\r" where chars.first == "\n":
                break
            case "\n":
                endRow()
                line += 1
                rowLine = line
            default:
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw ParseError(line: rowLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return out
    }
}
