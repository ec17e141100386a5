import Foundation
import PulpAuth
import Testing
import PulpformTestKit
@testable import PulpModel

/// `pulpform serve` with authentication on, as an operator starts it: bootstrap from the CLI, then curl.
@Suite("pulpform serve with authentication")
struct ServeAuthTests {
    @Test("OAuth 1.0 as runcible signs: requests-oauthlib with pulp-user logs in; a replayed nonce, another key, an unknown user are PLP0028; a short secret is refused at start")
    func oauth() async throws {
        let tmp = try TempDir("pulpform-serve-oauth")
        let db = tmp.path("p.db")
        #expect(try CLI.run(["user", "create", "admin", "--super-user", "--generate-password", "--store", db]).status == 0)
        let secret = "oauth-secret-" + UUID().uuidString
        try #"{"key": "katello-consumer-key", "secret": "\#(secret)"}"#.write(toFile: tmp.path("oauth.json"), atomically: true, encoding: .utf8)
        try #"{"key": "katello-consumer-key", "secret": "short"}"#.write(toFile: tmp.path("weak.json"), atomically: true, encoding: .utf8)
        let weak = try CLI.run(["serve", "--store", db, "--bind", "127.0.0.1:0", "--oauth-key-file", tmp.path("weak.json")])
        #expect(weak.status == 1 && weak.stderr.contains("the OAuth secret must have at least 32 characters"), "\(weak)")

        let server = try ServeProcess(store: db, extra: ["--oauth-key-file", tmp.path("oauth.json")], authenticated: true)
        let python = try PubtoolsTests.python()
        try """
            import sys, requests
            from requests_oauthlib import OAuth1
            url, secret = sys.argv[1], sys.argv[2]
            api = url + "pulp/api/v2/"
            auth = OAuth1("katello-consumer-key", client_secret=secret, signature_type="AUTH_HEADER")
            admin = {"pulp-user": "admin"}
            r = requests.get(api + "repositories/?details=true", auth=auth, headers=admin)
            assert r.status_code == 200, r.text
            r = requests.post(api + "repositories/search/", json={"criteria": {}}, auth=auth, headers=admin)
            assert r.status_code == 200, r.text
            session = requests.Session()
            prepared = requests.Request("GET", api + "users/", headers=admin, auth=auth).prepare()
            assert session.send(prepared).status_code == 200
            replayed = session.send(prepared)
            assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "PLP0028", replayed.text
            assert replayed.json()["auth_error_code"] == "invalid_oauth_credentials", replayed.text
            other = OAuth1("another-consumer-key", client_secret=secret, signature_type="AUTH_HEADER")
            r = requests.get(api + "users/", auth=other, headers=admin)
            assert r.status_code == 401 and r.json()["error"]["code"] == "PLP0028", r.text
            r = requests.get(api + "users/", auth=auth, headers={"pulp-user": "ghost"})
            assert r.status_code == 401 and r.json()["error_message"] == "Authentication with username ghost failed: invalid oauth credentials.", r.text
            r = requests.get(api + "users/", auth=OAuth1("katello-consumer-key", client_secret="wrong-" + secret, signature_type="AUTH_HEADER"), headers=admin)
            assert r.status_code == 401 and r.json()["error"]["code"] == "PLP0028", r.text
            print("oauth ok")
            """.write(toFile: tmp.path("oauth.py"), atomically: true, encoding: .utf8)
        let run = try runTool(["timeout", "120", python, tmp.path("oauth.py"), "http://127.0.0.1:\(server.port)/", secret])
        #expect(run.status == 0 && run.out.contains("oauth ok"), "\(run.out)\n\(run.err.suffix(2000))")
        #expect(server.stop() == 0)
        #expect(!server.output.contains(secret))
    }

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
        let proxy = try CLI.run(["serve", "--store", db, "--trusted-proxy", "10.0.0.0/33"])
        #expect(proxy.status == 64 && proxy.stderr.contains("is not an IP address or a CIDR network"), "\(proxy)")
    }

    @Test("curl with a CLI-made user; a user made while serving logs in within seconds; 1,000 wrong passwords from one address are throttled, other addresses unaffected; no password in the log")
    func curlAndBruteForce() async throws {
        let tmp = try TempDir("pulpform-serve-auth")
        let db = tmp.path("p.db")
        let made = try CLI.run(["user", "create", "admin", "--super-user", "--generate-password", "--store", db])
        let password = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(made.status == 0 && password.count == 24)
        let server = try ServeProcess(store: db, extra: ["--trusted-proxy", "127.0.0.3"], authenticated: true)
        let api = server.base

        let status = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", api + "status/"])
        #expect(status.out == "200")
        // The trusted proxy (127.0.0.3) names the user; the same header from another address counts for nothing.
        let viaProxy = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.0.3",
                                    "-H", "X-Remote-User: admin", api + "repositories/"])
        #expect(viaProxy.out == "200", "\(viaProxy)")
        let forged = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Remote-User: admin", api + "repositories/"])
        #expect(forged.out == "401", "\(forged)")
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
        // The server reloads within a second of each change: the user and the token may arrive in two reloads.
        var seen = false, withToken = false
        for _ in 0..<50 where !(seen && withToken) {
            if !seen {
                seen = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "bob:\(bobPassword)", api + "repositories/"]).out == "200"
            }
            if !withToken {
                withToken = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "bob:\(token)", api + "repositories/"]).out == "200"
            }
            if !(seen && withToken) { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(seen, "a user made by the CLI logs in to the running server")
        #expect(withToken, "so does their token, made by another CLI process")

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
        #expect(log.contains("login failed") && log.contains("peer=127.0.0.2"), "failures are logged with the address: \(log.suffix(500))")
        for secret in [password, bobPassword, carolPassword, token, "wrong-1"] { #expect(!log.contains(secret), "the log holds no secret") }
        for path in [db, db + "-wal"] {
            guard let file = try? Data(contentsOf: URL(fileURLWithPath: path)) else { continue }
            for secret in [password, bobPassword, token] { #expect(file.range(of: Data(secret.utf8)) == nil, "\(path) holds no clear secret") }
        }
    }
}

@Suite("pulpform serve over TLS")
struct ServeTLSTests {
    @Test("https with a client CA: curl, pubtools-pulplib with a password, requests with a token, published content; a foreign client certificate fails the handshake")
    func https() async throws {
        let tmp = try TempDir("pulpform-tls")
        let pki = try TestPKI(tmp)
        let db = tmp.path("p.db")
        let made = try CLI.run(["user", "create", "admin", "--super-user", "--generate-password", "--store", db])
        let password = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try CLI.run(["token", "create", "admin", "--store", db]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // Bad TLS files: clear errors at start.
        let noKey = try CLI.run(["serve", "--store", db, "--tls-cert", pki.cert])
        #expect(noKey.status == 64 && noKey.stderr.contains("--tls-cert and --tls-key go together"))
        let wrongKey = try CLI.run(["serve", "--store", db, "--bind", "127.0.0.1:0", "--tls-cert", pki.cert, "--tls-key", tmp.path("client.key")])
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("do not make a TLS server"), "\(wrongKey)")
        #expect(!wrongKey.stderr.contains("PRIVATE KEY"))

        let server = try ServeProcess(store: db, extra: ["--tls-cert", pki.cert, "--tls-key", pki.key, "--client-ca", pki.ca], authenticated: true)
        #expect(server.scheme == "https")
        let api = server.base
        let ok = try runTool(["curl", "-s", "-w", "\n%{http_code}", "--cacert", pki.ca, "-u", "admin:\(password)", api + "repositories/"])
        #expect(ok.out == "[]\n200", "\(ok)")
        let untrusted = try runTool(["curl", "-s", "-o", "/dev/null", api + "status/"])
        #expect(untrusted.status == 60, "curl does not trust the server without its CA")
        let plain = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/pulp/api/v2/status/"])
        #expect(plain.out != "200", "no plain HTTP on the TLS port")
        #expect(try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.ca,
                             "https://127.0.0.1:\(server.port)/pulp/repos/none/"]).out == "404", "published content is served on https")
        let own = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.ca, "--cert", tmp.path("client.pem"),
                               "--key", tmp.path("client.key"), "-u", "admin:\(password)", api + "repositories/"])
        #expect(own.out == "200", "a certificate of the client CA connects")
        let foreign = try runTool(["curl", "-s", "-o", "/dev/null", "--cacert", pki.ca, "--cert", tmp.path("foreign.pem"),
                                   "--key", tmp.path("foreign.key"), "-u", "admin:\(password)", api + "repositories/"])
        #expect([35, 56].contains(foreign.status), "a certificate of another CA fails the handshake: curl exit \(foreign.status)")

        // Real clients: pubtools-pulplib with auth=(login, password), requests with an API token, both verifying the CA.
        let python = try PubtoolsTests.python()
        let script = """
            import sys, requests
            from pubtools.pulplib import Client
            url, ca, password, token = sys.argv[1:5]
            client = Client(url, auth=("admin", password), verify=ca)
            repos = client.search_repository().result()
            assert list(repos) == [], repos
            r = requests.get(url + "pulp/api/v2/users/admin/", auth=("admin", token), verify=ca)
            assert r.status_code == 200 and r.json()["roles"] == ["super-users"], r.text
            r = requests.get(url + "pulp/api/v2/users/admin/", auth=("admin", "wrong"), verify=ca)
            assert r.status_code == 401 and r.json()["auth_error_code"] == "invalid_username_or_password", r.text
            assert r.headers["WWW-Authenticate"].startswith("Basic"), r.headers
            print("clients ok")
            """
        try script.write(toFile: tmp.path("clients.py"), atomically: true, encoding: .utf8)
        // requests lets REQUESTS_CA_BUNDLE override a session's `verify` (which pulplib sets): the CA must be the one passed.
        let clients = try runTool(["env", "-u", "REQUESTS_CA_BUNDLE", "-u", "CURL_CA_BUNDLE", "PUBTOOLS_PULPLIB_RETRY_ATTEMPTS=1",
                                   "timeout", "120", python, tmp.path("clients.py"), "https://127.0.0.1:\(server.port)/", pki.ca, password, token])
        #expect(clients.status == 0 && clients.out.contains("clients ok"), "\(clients.out)\n\(clients.err.suffix(2000))")

        // The reconciler's --target over https, with Basic credentials from the environment.
        let target = ["--target", "https://127.0.0.1:\(server.port)/", "--ca-bundle", pki.ca, "--state", tmp.path("state.json")]
        let env = ["PULPFORM_USERNAME": "admin", "PULPFORM_PASSWORD": password]
        let apply = try CLI.run(["apply", "--auto-approve"] + target + ["examples/quickstart"], environment: env, cwd: CLI.packageRoot)
        #expect(apply.status == 0, "\(apply.stderr.suffix(1500))")
        let again = try CLI.run(["plan", "--detailed-exitcode"] + target + ["examples/quickstart"], environment: env, cwd: CLI.packageRoot)
        #expect(again.status == 0, "\(again.stdout.suffix(1500))")
        let wrong = try CLI.run(["plan"] + target + ["examples/quickstart"], environment: ["PULPFORM_USERNAME": "admin", "PULPFORM_PASSWORD": "wrong"],
                                cwd: CLI.packageRoot)
        #expect(wrong.status == 1 && wrong.stderr.contains("invalid username or password"), "\(wrong.stderr.suffix(800))")
        for o in [apply.stdout, apply.stderr, again.stdout, wrong.stderr] { #expect(!o.contains(password)) }

        #expect(server.stop() == 0)
        #expect(!server.output.contains(password) && !server.output.contains(token))
    }

    @Test("login certificates over https: curl and pubtools-pulplib log in with one; a self-renewal is refused; a new password revokes it within seconds")
    func loginCertificates() async throws {
        let tmp = try TempDir("pulpform-login-cert")
        let pki = try TestPKI(tmp)
        let db = tmp.path("p.db")
        let password = try CLI.run(["user", "create", "admin", "--super-user", "--generate-password", "--store", db]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let noCA = try CLI.run(["serve", "--store", db, "--tls-cert", pki.cert, "--tls-key", pki.key, "--client-ca-key", pki.caKey])
        #expect(noCA.status == 64 && noCA.stderr.contains("--client-ca-key needs --client-ca"), "\(noCA)")
        let wrongKey = try CLI.run(["serve", "--store", db, "--bind", "127.0.0.1:0", "--tls-cert", pki.cert, "--tls-key", pki.key,
                                    "--client-ca", pki.ca, "--client-ca-key", tmp.path("other-ca.key")])
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("is not the private key of the client CA"), "\(wrongKey)")
        #expect(!wrongKey.stderr.contains("PRIVATE KEY-----"))

        let server = try ServeProcess(store: db, extra: ["--tls-cert", pki.cert, "--tls-key", pki.key, "--client-ca", pki.ca,
                                                         "--client-ca-key", pki.caKey], authenticated: true)
        let api = server.base
        let tls = ["--cacert", pki.ca]
        // pulp-admin's `login`: a key and certificate, kept together in one PEM file.
        let login = try runTool(["curl", "-s", "-f"] + tls + ["-u", "admin:\(password)", "-X", "POST", api + "actions/login/"])
        #expect(login.status == 0, "\(login)")
        let issued = try JSONValue.parse(login.out)
        let key = issued["key"]?.stringValue ?? "", certificate = issued["certificate"]?.stringValue ?? ""
        try (key + certificate).write(toFile: tmp.path("user-cert.pem"), atomically: true, encoding: .utf8)
        try certificate.write(toFile: tmp.path("login.crt"), atomically: true, encoding: .utf8)
        try key.write(toFile: tmp.path("login.key"), atomically: true, encoding: .utf8)
        let text = try runTool(["openssl", "x509", "-in", tmp.path("login.crt"), "-noout", "-text"]).out
        #expect(text.contains("Signature Algorithm: ecdsa-with-SHA256") && text.contains("Public-Key: (2048 bit)")
                && text.contains("TLS Web Client Authentication") && text.contains("CA:FALSE") && text.contains("Subject: CN = admin:admin:"), "\(text)")
        #expect(try runTool(["openssl", "verify", "-CAfile", pki.ca, tmp.path("login.crt")]).status == 0)

        func get(_ args: [String], _ path: String = "users/admin/") throws -> (code: String, body: String) {
            let r = try runTool(["curl", "-s", "-w", "\n%{http_code}"] + tls + args + [api + path])
            let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
            return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
        }
        #expect(try get(["--cert", tmp.path("user-cert.pem")]).code == "200", "the combined PEM, as pulp-admin keeps it")
        #expect(try get(["--cert", tmp.path("login.crt"), "--key", tmp.path("login.key")]).code == "200")
        let renew = try get(["--cert", tmp.path("user-cert.pem"), "-X", "POST"], "actions/login/")
        #expect(renew.code == "403" && renew.body.contains("a login certificate cannot renew itself"), "\(renew)")
        let unissued = try get(["--cert", tmp.path("client.pem"), "--key", tmp.path("client.key")])
        #expect(unissued.code == "401" && unissued.body.contains("\"invalid_ssl_certificate\"")
                && unissued.body.contains("Authentication with username admin failed: invalid SSL certificate."), "\(unissued)")

        // An expired certificate fails the handshake with the alert pulp-admin turns into "use login".
        let authority = try LoginCertificateAuthority(certificatePEM: try String(contentsOfFile: pki.ca, encoding: .utf8),
                                                      keyPEM: try String(contentsOfFile: pki.caKey, encoding: .utf8))
        let old = try authority.issue(login: "admin", oid: "0", now: Date().addingTimeInterval(-8 * 24 * 3600))
        try (old.keyPEM + old.certificatePEM).write(toFile: tmp.path("expired.pem"), atomically: true, encoding: .utf8)
        let expired = try runTool(["curl", "-sS", "-o", "/dev/null"] + tls + ["--cert", tmp.path("expired.pem"), api + "users/admin/"])
        #expect([35, 56].contains(expired.status) && expired.err.contains("expired"), "\(expired)")

        // pubtools-pulplib with cert=(crt, key).
        let python = try PubtoolsTests.python()
        try """
            import sys
            from pubtools.pulplib import Client
            url, ca, crt, key = sys.argv[1:5]
            assert list(Client(url, cert=(crt, key), verify=ca).search_repository().result()) == []
            print("pulplib cert ok")
            """.write(toFile: tmp.path("cert.py"), atomically: true, encoding: .utf8)
        let pulplib = try runTool(["env", "-u", "REQUESTS_CA_BUNDLE", "-u", "CURL_CA_BUNDLE", "PUBTOOLS_PULPLIB_RETRY_ATTEMPTS=1",
                                   "timeout", "120", python, tmp.path("cert.py"), "https://127.0.0.1:\(server.port)/", pki.ca,
                                   tmp.path("login.crt"), tmp.path("login.key")])
        #expect(pulplib.status == 0 && pulplib.out.contains("pulplib cert ok"), "\(pulplib.out)\n\(pulplib.err.suffix(2000))")

        // The reconciler's --target with the login certificate as its client certificate, and no password.
        let target = ["--target", "https://127.0.0.1:\(server.port)/", "--ca-bundle", pki.ca, "--client-cert", tmp.path("login.crt"),
                      "--client-key", tmp.path("login.key"), "--state", tmp.path("state.json")]
        let apply = try CLI.run(["apply", "--auto-approve"] + target + ["examples/quickstart"], cwd: CLI.packageRoot)
        #expect(apply.status == 0, "\(apply.stderr.suffix(1500))")
        let plan = try CLI.run(["plan", "--detailed-exitcode"] + target + ["examples/quickstart"], cwd: CLI.packageRoot)
        #expect(plan.status == 0, "\(plan.stdout.suffix(1500))\n\(plan.stderr.suffix(800))")

        // A new password, set from the CLI (another process), revokes the certificate in the running server.
        let passwd = try CLI.run(["user", "passwd", "admin", "--generate-password", "--store", db])
        #expect(passwd.status == 0, "\(passwd)")
        var revoked = (code: "", body: "")
        for _ in 0..<50 {
            revoked = try get(["--cert", tmp.path("user-cert.pem")])
            if revoked.code == "401" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(revoked.code == "401" && revoked.body.contains("PLP0027"), "\(revoked)")
        #expect(server.stop() == 0)
        #expect(!server.output.contains(password) && !server.output.contains("PRIVATE KEY"))
    }

    @Test("users and roles from manifests over --target https: the declared user logs in with the manifest's password and has the role's grants; drift and import see them; the password is nowhere")
    func accessOverTarget() async throws {
        let tmp = try TempDir("pulpform-access-target")
        let pki = try TestPKI(tmp)
        let db = tmp.path("p.db")
        let admin = try CLI.run(["user", "create", "admin", "--super-user", "--generate-password", "--store", db]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try ServeProcess(store: db, extra: ["--tls-cert", pki.cert, "--tls-key", pki.key], authenticated: true)
        let password = "alice's long manifest password"
        try """
            users:
              - login: alice
                name: Alice Example
                password: {env: ALICE_PASSWORD}
              - login: ci-bot
            roles:
              - id: readers
                permissions:
                  /v2/repositories/: [read]
                members: [alice, ci-bot]
              - id: super-users
                members: [admin]
            """.write(toFile: tmp.path("access.yaml"), atomically: true, encoding: .utf8)
        let target = ["--target", "https://127.0.0.1:\(server.port)/", "--ca-bundle", pki.ca, "--state", tmp.path("state.json")]
        let env = ["PULPFORM_USERNAME": "admin", "PULPFORM_PASSWORD": admin, "ALICE_PASSWORD": password]
        let apply = try CLI.run(["apply", "--auto-approve"] + target + [tmp.path("access.yaml")], environment: env)
        #expect(apply.status == 0 && apply.stdout.contains("+ user.alice") && apply.stdout.contains("password = (sensitive value)"),
                "\(apply.stdout.suffix(1500))\n\(apply.stderr.suffix(1500))")

        func get(_ user: String, _ secret: String, _ path: String) throws -> String {
            try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.ca, "-u", "\(user):\(secret)",
                         server.base + path]).out
        }
        #expect(try get("alice", password, "repositories/") == "200", "the role's READ on /v2/repositories/")
        let users = try runTool(["curl", "-s", "--cacert", pki.ca, "-u", "alice:\(password)", server.base + "users/"]).out
        #expect(users.contains("\"auth_error_code\": \"permission_denied\"") || users.contains("\"auth_error_code\":\"permission_denied\""),
                "no grant on /v2/users/ (Pulp answers 401 permission_denied): \(users)")
        #expect(try get("alice", "wrong", "repositories/") == "401")

        let plan = try CLI.run(["plan", "--detailed-exitcode"] + target + [tmp.path("access.yaml")], environment: env)
        #expect(plan.status == 0, "\(plan.stdout.suffix(1500))")
        #expect(try CLI.run(["drift"] + target + [tmp.path("access.yaml")], environment: env).status == 0)

        // A change made through the API is drift outside pulpform.
        let removed = try runTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.ca, "-u", "admin:\(admin)",
                                   "-X", "DELETE", server.base + "roles/readers/users/ci-bot/"])
        #expect(removed.out == "200")
        let drift = try CLI.run(["drift"] + target + [tmp.path("access.yaml")], environment: env)
        #expect(drift.status == 3 && drift.stdout.contains("outside: role.readers"), "\(drift.stdout)")

        // import writes the users (without passwords) and roles.
        let imported = try CLI.run(["import"] + target, environment: env)
        #expect(imported.status == 0 && imported.stdout.contains("- login: \"alice\"") && imported.stdout.contains("\"/v2/repositories/\": [\"read\"]"),
                "\(imported.stdout.suffix(1200))\n\(imported.stderr)")

        let state = try String(contentsOfFile: tmp.path("state.json"), encoding: .utf8)
        #expect(state.contains("\"user:alice\"") && state.contains("hmac-sha256:"))
        for o in [apply.stdout, apply.stderr, plan.stdout, drift.stdout, imported.stdout, imported.stderr, state] {
            #expect(!o.contains(password))
        }
        #expect(server.stop() == 0)
        #expect(!server.output.contains(password))
        let storeBytes = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(storeBytes.range(of: Data(password.utf8)) == nil, "the store keeps a hash only")
    }
}
