import Foundation
import Testing
@testable import PulpAuth

@Suite("OAuth 1.0 signatures")
struct OAuthTests {
    static let consumer = try! OAuthConsumer(key: "katello-consumer-key", secret: "a-secret-of-at-least-thirty-two-characters")

    /// A request signed as runcible signs it.
    static func signed(method: String = "GET", url: String = "https://pulp.example.com/pulp/api/v2/repositories/",
                       query: [(String, String)] = [("details", "true")], nonce: String = "n-1", timestamp: Double = 1_000_000,
                       key: String? = nil, bodyHash: Bool = false) -> [String: String] {
        var oauth = ["oauth_consumer_key": key ?? consumer.key, "oauth_nonce": nonce, "oauth_signature_method": "HMAC-SHA1",
                     "oauth_timestamp": String(Int(timestamp)), "oauth_version": "1.0"]
        if bodyHash { oauth["oauth_body_hash"] = "2jmj7l5rSw0yVb/vlWAYkK/YBwk=" }
        oauth["oauth_signature"] = Data(consumer.sign(method: method, url: url, query: query, oauth: oauth)).base64EncodedString()
        return oauth
    }

    @Test("a good signature passes once; a replayed nonce, another key, an old or future timestamp, another path or method fail")
    func verify() {
        var ledger = NonceLedger()
        let url = "https://pulp.example.com/pulp/api/v2/repositories/"
        let good = Self.signed()
        #expect(Self.consumer.verify(method: "GET", url: url, query: [("details", "true")], oauth: good, now: 1_000_010, nonces: &ledger) == .valid)
        #expect(Self.consumer.verify(method: "GET", url: url, query: [("details", "true")], oauth: good, now: 1_000_020, nonces: &ledger)
                == .invalid("nonce already used"))
        #expect(Self.consumer.verify(method: "GET", url: url, query: [("details", "false")], oauth: Self.signed(nonce: "n-2"), now: 1_000_000,
                                     nonces: &ledger) == .invalid("bad signature"))
        #expect(Self.consumer.verify(method: "DELETE", url: url, query: [("details", "true")], oauth: Self.signed(nonce: "n-3"), now: 1_000_000,
                                     nonces: &ledger) == .invalid("bad signature"))
        #expect(Self.consumer.verify(method: "GET", url: url + "x/", query: [("details", "true")], oauth: Self.signed(nonce: "n-4"), now: 1_000_000,
                                     nonces: &ledger) == .invalid("bad signature"))
        #expect(Self.consumer.verify(method: "GET", url: url, query: [("details", "true")], oauth: Self.signed(nonce: "n-5", key: "another-consumer-key"),
                                     now: 1_000_000, nonces: &ledger) == .invalid("unknown consumer key"))
        for now in [1_000_301.0, 999_699.0] {
            #expect(Self.consumer.verify(method: "GET", url: url, query: [("details", "true")], oauth: Self.signed(nonce: "n-6"), now: now,
                                         nonces: &ledger) == .invalid("timestamp outside ±300 s"))
        }
        // runcible's oauth_body_hash of an empty body is signed, and never compared with the body.
        #expect(Self.consumer.verify(method: "POST", url: url, query: [], oauth: Self.signed(method: "POST", query: [], nonce: "n-7", bodyHash: true),
                                     now: 1_000_000, nonces: &ledger) == .valid)
        // A nonce is forgotten after ten minutes.
        #expect(Self.consumer.verify(method: "GET", url: url, query: [("details", "true")], oauth: Self.signed(timestamp: 1_000_700), now: 1_000_700,
                                     nonces: &ledger) == .valid)
    }

    @Test("the header parses as Pulp's clients send it; short or empty keys and secrets are refused; the base string is RFC 5849's")
    func parsing() throws {
        let header = #"OAuth realm="", oauth_nonce="a%2Fb", oauth_timestamp="1", oauth_consumer_key="k", oauth_signature_method="HMAC-SHA1", oauth_version="1.0", oauth_signature="c2ln%3D""#
        let p = try #require(OAuthConsumer.parameters(header))
        #expect(p["oauth_nonce"] == "a/b" && p["oauth_signature"] == "c2ln=" && p["realm"] == "")
        #expect(OAuthConsumer.parameters("Basic YTpi") == nil && OAuthConsumer.parameters(#"OAuth oauth_nonce=unquoted"#) == nil)
        #expect(throws: OAuthConsumer.Failure.self) { try OAuthConsumer(key: "", secret: "") }
        #expect(throws: OAuthConsumer.Failure.self) { try OAuthConsumer(key: "katello-consumer-key", secret: "short") }
        #expect(throws: OAuthConsumer.Failure.self) { try OAuthConsumer(json: Data(#"{"key": "k"}"#.utf8)) }
        let base = OAuthConsumer.baseString(method: "get", url: "http://example.com/request", query: [("b5", "=%3D"), ("a3", "a"), ("a3", "2 q")],
                                            oauth: ["oauth_consumer_key": "9djdj82h48djs9d2", "oauth_signature": "x", "realm": "Example"])
        #expect(base == "GET&http%3A%2F%2Fexample.com%2Frequest&a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26oauth_consumer_key%3D9djdj82h48djs9d2")
    }
}
