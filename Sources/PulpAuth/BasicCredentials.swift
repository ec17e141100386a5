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

    public static func parse(_ header: String?) -> Authorization {
        guard var value = header?.trimmingCharacters(in: .whitespaces), value.count >= 5 else { return .other }
        guard value.prefix(5).lowercased() == "basic" else { return .other }
        value = String(value.dropFirst(5))
        if value.lowercased().hasSuffix(", basic") { value = String(value.dropLast(", basic".count)) }
        let encoded = value.filter { !$0.isWhitespace }
        var padded = encoded
        while padded.count % 4 != 0 { padded += "=" }
        guard !encoded.isEmpty, let data = Data(base64Encoded: padded) else { return .malformed }
        let bytes = Array(data)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return .malformed }
        func text(_ part: ArraySlice<UInt8>) -> String {
            String(validating: part, as: UTF8.self) ?? String(part.map { Character(Unicode.Scalar($0)) })
        }
        return .basic(login: text(bytes[..<colon]), password: text(bytes[(colon + 1)...]))
    }
}
