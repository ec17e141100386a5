import Crypto
public import Foundation

/// Two-legged OAuth 1.0 as Katello's runcible and pulp-admin sign their requests (pulp2-auth.md §1.6), checked as
/// §5.1 recommends instead of 2.8's python-oauth2: the consumer key compared (in constant time), the timestamp
/// within five minutes either way, each nonce accepted once, HMAC-SHA1 over the RFC 5849 base string.
/// `oauth_body_hash` (runcible's hash of an empty body) is part of the base string and never checked against the
/// body. Off unless a key and secret are configured; an empty or short one is refused.
public struct OAuthConsumer: Sendable {
    public let key: String
    let secret: String

    /// Why a key file does not configure OAuth, in words for the operator (never the secret).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static let minimumKeyLength = 16
    public static let minimumSecretLength = 32
    /// How far a request's timestamp may be from the server's clock, and how long a nonce is remembered.
    public static let timestampWindow: Double = 300
    public static let nonceMemory: Double = 600

    public init(key: String, secret: String) throws {
        guard key.count >= Self.minimumKeyLength else {
            throw Failure(description: "the OAuth key must have at least \(Self.minimumKeyLength) characters")
        }
        guard secret.count >= Self.minimumSecretLength else {
            throw Failure(description: "the OAuth secret must have at least \(Self.minimumSecretLength) characters")
        }
        self.key = key
        self.secret = secret
    }

    /// A key file: JSON `{"key": …, "secret": …}`.
    public init(json data: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let key = object["key"] as? String, let secret = object["secret"] as? String else {
            throw Failure(description: "must be JSON with string fields key and secret")
        }
        try self.init(key: key, secret: secret)
    }

    /// The signed request's `oauth_*` parameters, from an `Authorization: OAuth …` header; nil for another scheme
    /// or a header that does not parse.
    public static func parameters(_ header: String?) -> [String: String]? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "oauth " else { return nil }
        var out: [String: String] = [:]
        for part in header.dropFirst(6).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard let eq = pair.firstIndex(of: "=") else { return nil }
            let name = String(pair[..<eq])
            var value = String(pair[pair.index(after: eq)...])
            guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return nil }
            value = String(value.dropFirst().dropLast())
            guard let decoded = value.removingPercentEncoding else { return nil }
            out[name] = decoded
        }
        return out
    }

    /// What a check came to.
    public enum Verdict: Sendable, Equatable {
        case valid
        case invalid(String)
    }

    /// Checks a request's signature. `url` is the request's scheme, host (with a port other than the scheme's) and
    /// path, without the query; `query` its decoded query parameters.
    public func verify(method: String, url: String, query: [(String, String)], oauth: [String: String], now: Double,
                       nonces: inout NonceLedger) -> Verdict {
        guard oauth["oauth_signature_method"] == "HMAC-SHA1" else { return .invalid("signature method is not HMAC-SHA1") }
        guard let version = oauth["oauth_version"] ?? Optional("1.0"), version == "1.0" else { return .invalid("version is not 1.0") }
        guard let consumer = oauth["oauth_consumer_key"], PasswordHash.equal(Array(consumer.utf8), Array(key.utf8)) else {
            return .invalid("unknown consumer key")
        }
        guard let stamp = oauth["oauth_timestamp"].flatMap(Double.init), abs(stamp - now) <= Self.timestampWindow else {
            return .invalid("timestamp outside ±\(Int(Self.timestampWindow)) s")
        }
        guard let nonce = oauth["oauth_nonce"], !nonce.isEmpty else { return .invalid("no nonce") }
        guard let signature = oauth["oauth_signature"], let given = Data(base64Encoded: signature) else { return .invalid("no signature") }
        let expected = sign(method: method, url: url, query: query, oauth: oauth)
        guard PasswordHash.equal(Array(given), expected) else { return .invalid("bad signature") }
        // Remembered only once the signature holds: nobody fills the ledger with unsigned requests.
        guard nonces.accept(nonce, at: now) else { return .invalid("nonce already used") }
        return .valid
    }

    /// HMAC-SHA1 of the base string, keyed `enc(secret)&` (two-legged: no token secret).
    func sign(method: String, url: String, query: [(String, String)], oauth: [String: String]) -> [UInt8] {
        let base = Self.baseString(method: method, url: url, query: query, oauth: oauth)
        let key = SymmetricKey(data: Array((Self.encode(secret) + "&").utf8))
        return Array(HMAC<Insecure.SHA1>.authenticationCode(for: Array(base.utf8), using: key))
    }

    /// RFC 5849 §3.4.1: the method, the URL and the sorted, encoded parameters (the query's and the `oauth_*` ones
    /// but the signature and the realm).
    static func baseString(method: String, url: String, query: [(String, String)], oauth: [String: String]) -> String {
        var params = query.map { (encode($0.0), encode($0.1)) }
        for (k, v) in oauth where k != "oauth_signature" && k != "realm" { params.append((encode(k), encode(v))) }
        params.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        let normalized = params.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return method.uppercased() + "&" + encode(url) + "&" + encode(normalized)
    }

    /// RFC 5849 §3.6 percent-encoding: everything but unreserved characters.
    static func encode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}

/// The nonces seen in the last ten minutes: each is accepted once. Bounded: the oldest go first.
public struct NonceLedger: Sendable {
    private var seen: [String: Double] = [:]
    public static let capacity = 100_000

    public init() {}

    /// False when the nonce was used within `OAuthConsumer.nonceMemory` seconds.
    public mutating func accept(_ nonce: String, at now: Double) -> Bool {
        if let t = seen[nonce], now - t < OAuthConsumer.nonceMemory { return false }
        if seen.count >= Self.capacity {
            seen = seen.filter { now - $0.value < OAuthConsumer.nonceMemory }
            if seen.count >= Self.capacity, let oldest = seen.min(by: { $0.value < $1.value }) { seen.removeValue(forKey: oldest.key) }
        }
        seen[nonce] = now
        return true
    }
}
