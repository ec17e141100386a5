import Crypto
import _CryptoExtras
import Foundation

/// Stored passwords (pulp2-auth.md §5.2): PBKDF2-HMAC-SHA256, 600,000 iterations, a 16-byte salt from the
/// system's CSPRNG and a 32-byte key, kept as a PHC string `$pbkdf2-sha256$i=600000$<salt>$<key>` (base64 without
/// padding). Pulp 2's own scheme (5,000 chained HMAC-SHA256 rounds, "salt,digest") is verified so that users
/// moved from a Pulp 2 server can log in, and reported as needing a rehash.
public enum PasswordHash {
    /// The iterations new hashes get (OWASP's figure for PBKDF2-HMAC-SHA256).
    public static let iterations = 600_000
    /// Longer passwords are refused before any hashing: a KDF over megabytes is a denial of service.
    public static let maximumPasswordBytes = 1024

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case tooLong
        case empty

        public var description: String {
            switch self {
            case .tooLong: "a password is at most \(PasswordHash.maximumPasswordBytes) bytes"
            case .empty: "a password cannot be empty"
            }
        }
    }

    /// What a check of a password against a stored hash found.
    public enum Verdict: Equatable, Sendable {
        /// The password is right; `needsRehash` when the stored form is weaker than new ones (fewer iterations,
        /// Pulp 2's scheme), so that the caller stores `make(password)` in its place.
        case match(needsRehash: Bool)
        case mismatch
        /// The stored value is no password hash pulpform knows (or none): nobody logs in with it.
        case unusable
    }

    /// A new hash of `password`. `iterations` below the default are for tests only.
    public static func make(_ password: String, iterations: Int = iterations) throws(Failure) -> String {
        let bytes = Array(password.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maximumPasswordBytes else { throw .tooLong }
        let salt = RandomSecret.bytes(16)
        let key = derive(bytes, salt: salt, iterations: iterations)
        return "$pbkdf2-sha256$i=\(iterations)$\(base64(salt))$\(base64(key))"
    }

    /// Checks `password` against `stored`, in time that does not depend on where the bytes differ. A hash of fewer
    /// rounds than `iterations` (what new hashes get) needs a rehash.
    public static func verify(_ password: String, against stored: String?, iterations current: Int = iterations) -> Verdict {
        let bytes = Array(password.utf8)
        guard let stored, !bytes.isEmpty, bytes.count <= maximumPasswordBytes else {
            dummyCheck(bytes.prefix(maximumPasswordBytes), iterations: current)
            return stored == nil ? .unusable : .mismatch
        }
        if stored.hasPrefix("$pbkdf2-sha256$") {
            let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
            // "", "pbkdf2-sha256", "i=N", salt, key
            guard parts.count == 5, parts[2].hasPrefix("i="), let n = Int(parts[2].dropFirst(2)), n >= 1, n <= 100_000_000,
                  let salt = unbase64(parts[3]), let key = unbase64(parts[4]), !salt.isEmpty, key.count >= 16
            else { return .unusable }
            let derived = derive(bytes, salt: salt, iterations: n, length: key.count)
            return equal(derived, key) ? .match(needsRehash: n < current || key.count < 32) : .mismatch
        }
        if let (salt, digest) = pulp2(stored) {
            return equal(pulp2Digest(bytes, salt: salt), digest) ? .match(needsRehash: true) : .mismatch
        }
        return .unusable
    }

    /// The work of a check, for a login that does not exist: the answer takes as long as for one that does.
    @discardableResult
    public static func dummyCheck<S: Sequence<UInt8>>(_ password: S, iterations: Int = iterations) -> Bool {
        equal(derive(Array(password), salt: dummySalt, iterations: iterations), dummyKey)
    }

    private static let dummySalt = Array("pulpform-no-such-user".utf8)
    private static let dummyKey = [UInt8](repeating: 0, count: 32)

    static func derive(_ password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) -> [UInt8] {
        // Only fails for parameters pulpform never passes (no output, no rounds); a failure is a mismatch.
        guard let key = try? KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: .sha256, outputByteCount: length,
                                                           unsafeUncheckedRounds: iterations)
        else { return [] }
        return key.withUnsafeBytes { Array($0) }
    }

    /// Pulp 2.8's `_pbkdf_sha256`: r0 = password, r(i) = HMAC-SHA256(key: r(i-1), message: salt), 5,000 times.
    static func pulp2Digest(_ password: [UInt8], salt: [UInt8]) -> [UInt8] {
        var r = password
        for _ in 0..<5000 {
            r = Array(HMAC<SHA256>.authenticationCode(for: salt, using: SymmetricKey(data: r)))
        }
        return r
    }

    /// Pulp 2's stored form, `base64(salt),base64(digest)`, or the same as `$pulp2$i=5000$salt$digest`.
    private static func pulp2(_ stored: String) -> ([UInt8], [UInt8])? {
        let fields: [Substring]
        if stored.hasPrefix("$pulp2$") {
            let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[2] == "i=5000" else { return nil }
            fields = [parts[3], parts[4]]
        } else {
            fields = stored.split(separator: ",", omittingEmptySubsequences: false)
        }
        guard fields.count == 2, let salt = unbase64(fields[0]), let digest = unbase64(fields[1]), !salt.isEmpty, digest.count == 32
        else { return nil }
        return (salt, digest)
    }

    /// Equal lengths and bytes, looking at every byte whatever the first difference (empty never matches): the
    /// comparison of hashes, OAuth keys and signatures.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func base64(_ bytes: [UInt8]) -> String {
        var s = Data(bytes).base64EncodedString()
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func unbase64(_ text: Substring) -> [UInt8]? {
        var s = String(text)
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}
