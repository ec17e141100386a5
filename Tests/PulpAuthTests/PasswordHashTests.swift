import Foundation
import Testing
@testable import PulpAuth

@Suite("Password hashes, Basic credentials, the login throttle")
struct PasswordHashTests {
    @Test("new hashes are PBKDF2-HMAC-SHA256 with 600,000 iterations and a fresh 16-byte salt; the right password matches, others do not")
    func pbkdf2() throws {
        let stored = try PasswordHash.make("correct horse battery staple")
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        #expect(parts.count == 5 && parts[1] == "pbkdf2-sha256" && parts[2] == "i=600000", "\(stored)")
        #expect(PasswordHash.unbase64(parts[3])?.count == 16 && PasswordHash.unbase64(parts[4])?.count == 32)
        #expect(!stored.contains("correct"))
        #expect(PasswordHash.verify("correct horse battery staple", against: stored) == .match(needsRehash: false))
        #expect(PasswordHash.verify("correct horse battery stapl", against: stored) == .mismatch)
        #expect(PasswordHash.verify("Correct horse battery staple", against: stored) == .mismatch)
        #expect(try PasswordHash.make("correct horse battery staple") != stored, "a new salt each time")
    }

    @Test("RFC 6070-style vector: PBKDF2-HMAC-SHA256 of 'password'/'salt', 1 and 2 iterations")
    func vectors() {
        let hex = { (b: [UInt8]) in b.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(PasswordHash.derive(Array("password".utf8), salt: Array("salt".utf8), iterations: 1))
            == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
        #expect(hex(PasswordHash.derive(Array("password".utf8), salt: Array("salt".utf8), iterations: 2))
            == "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43")
    }

    @Test("a weaker stored hash matches and asks for a rehash; Pulp 2's own scheme is verified (pulp2-auth.md §1.3's vector)")
    func rehash() throws {
        let weak = try PasswordHash.make("s3cret-enough", iterations: 1000)
        #expect(PasswordHash.verify("s3cret-enough", against: weak) == .match(needsRehash: true))
        #expect(PasswordHash.verify("s3cret-enoug", against: weak) == .mismatch)
        let pulp2 = "AQIDBAUGBwg=,HvyMG/p5yYS6dztSNDzFWUs6nf8KUArWwJcooRgMQBc="
        #expect(PasswordHash.verify("admin", against: pulp2) == .match(needsRehash: true))
        #expect(PasswordHash.verify("Admin", against: pulp2) == .mismatch)
        #expect(PasswordHash.verify("admin", against: "$pulp2$i=5000$AQIDBAUGBwg$HvyMG/p5yYS6dztSNDzFWUs6nf8KUArWwJcooRgMQBc")
            == .match(needsRehash: true))
    }

    @Test("bad input: empty and over-long passwords refused; a user without a password, or a stored value of no known form, never logs in")
    func badInput() throws {
        #expect(throws: PasswordHash.Failure.empty) { try PasswordHash.make("") }
        #expect(throws: PasswordHash.Failure.tooLong) { try PasswordHash.make(String(repeating: "x", count: 1025)) }
        let stored = try PasswordHash.make("a-good-password", iterations: 1000)
        #expect(PasswordHash.verify("", against: stored) == .mismatch)
        #expect(PasswordHash.verify(String(repeating: "x", count: 5000), against: stored) == .mismatch)
        #expect(PasswordHash.verify("None", against: nil) == .unusable, "Pulp 2 stored 'None' for a user made without one")
        for junk in ["", "None", "plain-text", "$pbkdf2-sha256$i=0$AAAA$AAAA", "$pbkdf2-sha256$i=x$AAAA$AAAA",
                     "$pbkdf2-sha256$i=1000$!!$AAAA", "$md5$abc", "a,b", "$pulp2$i=1$AQIDBAUGBwg$HvyM"] {
            #expect(PasswordHash.verify("None", against: junk) == .unusable, "\(junk)")
        }
    }

    @Test("Basic credentials as Pulp 2.8 reads them: scheme case, a trailing ', Basic', line breaks, colons in passwords, Latin-1")
    func basic() {
        func header(_ s: String) -> String { "Basic " + Data(s.utf8).base64EncodedString() }
        #expect(Authorization.parse(header("admin:pw")) == .basic(login: "admin", password: "pw"))
        #expect(Authorization.parse("bAsIc " + Data("admin:a:b:c".utf8).base64EncodedString()) == .basic(login: "admin", password: "a:b:c"))
        #expect(Authorization.parse(header("admin:")) == .basic(login: "admin", password: ""))
        #expect(Authorization.parse(header("ci-bot:pfm_x") + ", Basic") == .basic(login: "ci-bot", password: "pfm_x"))
        let wrapped = Data(("u:" + String(repeating: "y", count: 80)).utf8).base64EncodedString(options: .lineLength64Characters)
        #expect(wrapped.contains("\r\n"))
        #expect(Authorization.parse("Basic " + wrapped) == .basic(login: "u", password: String(repeating: "y", count: 80)), "line breaks")
        #expect(Authorization.parse("Basic dTo") == .basic(login: "u", password: ""), "padding left out")
        #expect(Authorization.parse("Basic " + Data([0x75, 0x3A, 0xE9]).base64EncodedString()) == .basic(login: "u", password: "é"),
                "not UTF-8: Latin-1")
        #expect(Authorization.parse(header("üser:pässword")) == .basic(login: "üser", password: "pässword"))
        #expect(Authorization.parse(nil) == .other)
        #expect(Authorization.parse("Bearer abc") == .other)
        #expect(Authorization.parse("OAuth oauth_consumer_key=x") == .other)
        #expect(Authorization.parse("Basic") == .malformed)
        #expect(Authorization.parse("Basic !!!not-base64") == .malformed)
        #expect(Authorization.parse(header("no-colon")) == .malformed)
    }

    @Test("failed logins: free for 5, then 1 s, 2 s, 4 s … at most 15 minutes; a success clears the streak; never a lock-out")
    func throttleStreak() {
        var t = LoginThrottle()
        for i in 0..<4 {
            t.failed(address: "10.0.0.1", login: "admin", now: Double(i))
            #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: Double(i)) == nil, "failure \(i + 1) is free")
        }
        t.failed(address: "10.0.0.1", login: "admin", now: 10)
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 10) == 1)
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 11) == nil, "waited out")
        #expect(t.retryAfter(address: "10.0.0.2", login: "admin", now: 10) == nil, "another address is not refused")
        #expect(t.retryAfter(address: "10.0.0.1", login: "other", now: 10) == nil, "another login is not refused")
        t.failed(address: "10.0.0.1", login: "admin", now: 20)
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 20) == 2)
        t.failed(address: "10.0.0.1", login: "admin", now: 30)
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 30) == 4)
        for i in 0..<20 { t.failed(address: "10.0.0.1", login: "admin", now: 40 + Double(i)) }
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 59) == LoginThrottle.maximumDelay, "capped at 15 minutes")
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 59 + LoginThrottle.maximumDelay) == nil, "then free again")
        t.succeeded(address: "10.0.0.1", login: "admin")
        t.failed(address: "10.0.0.1", login: "admin", now: 2000)
        #expect(t.retryAfter(address: "10.0.0.1", login: "admin", now: 2000) == nil, "a success started the count again")
    }

    @Test("an address guessing many logins is refused for the rest of its 10 minutes; a login failing everywhere is reported")
    func throttleAddressAndLogin() {
        var t = LoginThrottle()
        for i in 0..<31 { t.failed(address: "192.0.2.9", login: "user\(i)", now: 100 + Double(i)) }
        let refused = t.retryAfter(address: "192.0.2.9", login: "fresh", now: 131)
        #expect(refused == 569, "the 10 minutes from its first failure, at 100 s")
        #expect(t.retryAfter(address: "192.0.2.10", login: "fresh", now: 131) == nil)
        #expect(t.retryAfter(address: "192.0.2.9", login: "fresh", now: 700) == nil, "the window is over")
        var warned = 0
        for i in 0..<150 where t.failed(address: "198.51.100.\(i % 250)", login: "root", now: 1000 + Double(i)) { warned += 1 }
        #expect(warned == 1, "reported once, at the 101st failure of the hour")
    }

    @Test("the throttle keeps at most its capacity, dropping what no longer refuses first")
    func throttleBounded() {
        var t = LoginThrottle(capacity: 100)
        for i in 0..<10_000 { t.failed(address: "203.0.113.\(i % 200)", login: "u\(i)", now: Double(i)) }
        #expect(t.entries <= 300, "\(t.entries)")
    }
}
