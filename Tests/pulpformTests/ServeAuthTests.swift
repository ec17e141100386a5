import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `pulpform serve` with authentication on, as an operator starts it: bootstrap from the CLI, then curl.
@Suite("pulpform serve with authentication")
struct ServeAuthTests {
    @Test("serve refuses to start without a super-user, --auth none off loopback, and plain HTTP off loopback unless told")
    func refusals() throws {
        let tmp = try TempDir("pulpform-serve-auth")
        let db = tmp.path("p.db")
        let bare = try CLI.run(["serve", "--store", db, "--bind", "127.0.0.1:0"])
        #expect(bare.status == 1, "\(bare)")
        #expect(bare.stderr.contains("pulpform user create admin --super-user --generate-password --store \(db)"), "\(bare.stderr)")
        let open = try CLI.run(["serve", "--store", db, "--bind", "0.0.0.0:0", "--auth", "none"])
        #expect(open.status == 64 && open.stderr.contains("--auth none is allowed only on a loopback address"), "\(open)")
        let plain = try CLI.run(["serve", "--store", db, "--bind", "0.0.0.0:0"])
        #expect(plain.status == 64 && plain.stderr.contains("--insecure-http"), "\(plain)")
        #expect(try CLI.run(["serve", "--store", db, "--auth", "maybe"]).status == 64)
    }

    @Test("curl with a CLI-made user; a user made while serving logs in within seconds; 1,000 wrong passwords from one address are throttled, other addresses unaffected; no password in the log")
    func curlAndBruteForce() async throws {
        let tmp = try TempDir("pulpform-serve-auth")
        let db = tmp.path("p.db")
        let made = try CLI.run(["user", "create", "admin", "--super-user", "--generate-password", "--store", db])
        let password = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(made.status == 0 && password.count == 24)
        let server = try ServeProcess(store: db, authenticated: true)
        let api = server.base

        let status = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", api + "status/"])
        #expect(status.out == "200")
        let none = try runTool(["curl", "-s", "-i", api + "repositories/"])
        #expect(none.out.hasPrefix("HTTP/1.1 401"), "\(none.out)")
        #expect(none.out.lowercased().contains("www-authenticate: basic realm=\"pulp\", charset=\"utf-8\""), "\(none.out)")
        #expect(none.out.contains("\"PLP0025\""))
        let ok = try runTool(["curl", "-s", "-w", "\n%{http_code}", "-u", "admin:\(password)", api + "repositories/"])
        #expect(ok.out == "[]\n200", "\(ok.out)")

        // Another process adds a user and a token: the running server sees them without a restart.
        let bobPassword = "bob's long passphrase"
        #expect(try CLI.run(["user", "create", "bob", "--super-user", "--password-stdin", "--store", db], stdin: bobPassword + "\n").status == 0)
        let token = try CLI.run(["token", "create", "bob", "--store", db]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("pfm_"))
        var seen = false
        for _ in 0..<50 where !seen {
            let r = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "bob:\(bobPassword)", api + "repositories/"])
            seen = r.out == "200"
            if !seen { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(seen, "a user made by the CLI logs in to the running server")
        let withToken = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "bob:\(token)", api + "repositories/"])
        #expect(withToken.out == "200")

        let carolPassword = "carol's long passphrase"
        #expect(try CLI.run(["user", "create", "carol", "--password-stdin", "--store", db], stdin: carolPassword + "\n").status == 0)

        // Brute force from 127.0.0.2: one curl, 1,000 requests on kept-alive connections.
        var config = ""
        for i in 0..<1_000 { config += "url = \"\(api)repositories/\"\nuser = \"admin:wrong-\(i)\"\nwrite-out = \"%{http_code}\\n\"\noutput = \"/dev/null\"\nnext\n" }
        try config.write(toFile: tmp.path("brute.curlrc"), atomically: true, encoding: .utf8)
        let brute = try runTool(["curl", "-s", "--interface", "127.0.0.2", "-K", tmp.path("brute.curlrc")])
        let codes = brute.out.split(separator: "\n")
        #expect(codes.count == 1_000)
        let refused = codes.filter { $0 == "429" }.count, checked = codes.filter { $0 == "401" }.count
        #expect(checked + refused == 1_000)
        #expect(checked <= 31 && refused >= 969, "\(checked) checked, \(refused) refused")
        // Other users are unaffected, even from that address; so is the attacked user's own client, whose password was
        // verified lately, and the attacked user from elsewhere.
        for (address, login, secret, path) in [("127.0.0.2", "carol", carolPassword, "users/carol/"), ("127.0.0.2", "admin", password, "repositories/"),
                                               ("127.0.0.3", "admin", password, "repositories/")] {
            let r = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", address, "-u", "\(login):\(secret)", api + path])
            #expect(r.out == "200", "\(login) from \(address)")
        }
        // An address that guesses many logins is refused password checks for its window: 429, Retry-After, not checked.
        var spray = ""
        for i in 0..<40 { spray += "url = \"\(api)repositories/\"\nuser = \"guess-\(i):wrong\"\nwrite-out = \"%{http_code}\\n\"\noutput = \"/dev/null\"\nnext\n" }
        try spray.write(toFile: tmp.path("spray.curlrc"), atomically: true, encoding: .utf8)
        let sprayed = try runTool(["curl", "-s", "--interface", "127.0.0.4", "-K", tmp.path("spray.curlrc")]).out.split(separator: "\n")
        #expect(sprayed.prefix(31).allSatisfy { $0 == "401" } && sprayed.suffix(9).allSatisfy { $0 == "429" }, "\(sprayed)")
        let throttled = try runTool(["curl", "-s", "-i", "--interface", "127.0.0.4", "-u", "dave:\(carolPassword)", api + "repositories/"])
        #expect(throttled.out.hasPrefix("HTTP/1.1 429"), "\(throttled.out.prefix(300))")
        #expect(throttled.out.lowercased().contains("retry-after: ") && throttled.out.contains("\"PFM0001\""), "\(throttled.out)")
        #expect(!throttled.out.lowercased().contains("www-authenticate"))
        #expect(try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "bob:\(bobPassword)", api + "repositories/"]).out == "200")

        #expect(server.stop() == 0)
        let log = server.output
        #expect(log.contains("login failed") && log.contains("login throttled"), "failures are logged")
        for secret in [password, bobPassword, carolPassword, token, "wrong-1"] { #expect(!log.contains(secret), "the log holds no secret") }
        for path in [db, db + "-wal"] {
            guard let file = try? Data(contentsOf: URL(fileURLWithPath: path)) else { continue }
            for secret in [password, bobPassword, token] { #expect(file.range(of: Data(secret.utf8)) == nil, "\(path) holds no clear secret") }
        }
    }
}
