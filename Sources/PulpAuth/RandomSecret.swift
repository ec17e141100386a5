import Foundation

/// Random bytes from the system's CSPRNG (getrandom), and secrets made of them: salts, generated passwords, API
/// tokens.
public enum RandomSecret {
    public static func bytes(_ count: Int) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// `count` random bytes as base64url without padding (4 characters per 3 bytes).
    public static func base64URL(_ count: Int) -> String {
        Data(bytes(count)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
