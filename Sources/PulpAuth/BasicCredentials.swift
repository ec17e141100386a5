import Foundation

/// An `Authorization` header as Pulp 2.8 reads it (pulp2-auth.md §1.2): the scheme compared without case, a
/// trailing `, Basic` (an Apache repo-auth artefact) dropped, the base64 decoded with line breaks tolerated, and
/// the login and password split at the first `:`, so that a password may hold colons and may be empty. The text is
/// UTF-8, or Latin-1 when it is not valid UTF-8.
public enum Authorization: Equatable, Sendable {
    case basic(login: String, password: String)
    /// Another scheme, or none: the next authentication step decides.
    case other
    /// A Basic header that does not decode to `login:password`: a failed login, never a crash.
    case malformed

    /// Read as bytes: every request with credentials comes through here, so no Foundation character sets.
    public static func parse(_ header: String?) -> Authorization {
        guard let header else { return .other }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        func lower(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }
        let all = Array(header.utf8)
        var start = 0, end = all.count
        while start < end, isSpace(all[start]) { start += 1 }
        while end > start, isSpace(all[end - 1]) { end -= 1 }
        let scheme = Array("basic".utf8)
        guard end - start >= scheme.count, (0..<scheme.count).allSatisfy({ lower(all[start + $0]) == scheme[$0] }) else { return .other }
        start += scheme.count
        let artefact = Array(", basic".utf8)
        if end - start >= artefact.count, (0..<artefact.count).allSatisfy({ lower(all[end - artefact.count + $0]) == artefact[$0] }) {
            end -= artefact.count
        }
        var encoded = all[start..<end].filter { !isSpace($0) }
        guard !encoded.isEmpty else { return .malformed }
        while encoded.count % 4 != 0 { encoded.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(encoded)) else { return .malformed }
        let bytes = Array(data)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return .malformed }
        func text(_ part: ArraySlice<UInt8>) -> String {
            String(validating: part, as: UTF8.self) ?? String(part.map { Character(Unicode.Scalar($0)) })
        }
        return .basic(login: text(bytes[..<colon]), password: text(bytes[(colon + 1)...]))
    }
}
