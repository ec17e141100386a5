import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// Secrets at rest through the binary: a feed that needs Basic auth is synced with a sealed password, before and
/// after `pulpform keys rotate`; rotation is no drift; without the key file nothing is sent to the feed.
@Suite("secrets at rest through the binary")
struct SecretsCLITests {
    /// A feed that answers only requests with this Basic login:password (401 otherwise), logging each request's
    /// status.
    static let basicAuthFeed = """
        import base64, functools, http.server, sys
        directory, credentials = sys.argv[1], sys.argv[2]
        expected = "Basic " + base64.b64encode(credentials.encode()).decode()
        class Handler(http.server.SimpleHTTPRequestHandler):
            def check(self):
                if self.headers.get("Authorization") == expected:
                    return True
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="feed"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False
            def do_GET(self):
                if self.check(): super().do_GET()
            def do_HEAD(self):
                if self.check(): super().do_HEAD()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=directory))
        print("port", server.server_address[1], flush=True)
        server.serve_forever()
        """

    @Test("a sealed feed password syncs before and after keys rotate; rotation shows no drift; a store without its key file sends nothing")
    func rotateAndSync() async throws {
        let tmp = try TempDir("pulpform-secrets-cli")
        let password = "hunter2-feed-\(UUID().uuidString.prefix(8))"
        try ISOContentTests.feed(tmp.path("feed"), ["one.iso": "first image\n", "two.iso": "second image\n"])
        try Self.basicAuthFeed.write(toFile: tmp.path("feed.py"), atomically: true, encoding: .utf8)
        let feed = try YumContentTests.FeedServer(directory: tmp.path("feed"), tmp: tmp,
                                                  script: (tmp.path("feed.py"), ["feedbot:\(password)"]))
        let db = tmp.path("p.db")
        try """
            repositories:
              - id: isos
                importer:
                  type: iso_importer
                  config:
                    feed: \(feed.url)
                    basic_auth_username: feedbot
                    basic_auth_password: {env: FEED_PASSWORD}
            """.write(toFile: tmp.path("m.yaml"), atomically: true, encoding: .utf8)
        let env = ["FEED_PASSWORD": password]
        let state = ["--state", tmp.path("state.json")]
        let apply = try CLI.run(["apply", "--auto-approve", "--store", db] + state + [tmp.path("m.yaml")], environment: env)
        #expect(apply.status == 0, "\(apply.stderr)")
        let keyFile = db + ".key"
        let mode = (try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "the key file is made 0600 with the first secret")

        let first = try CLI.run(["sync", "--store", db, "isos"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(!feed.logText.contains(" 401 "), "the feed got the password: \(feed.logText)")

        let listed = try CLI.run(["keys", "list", "--store", db])
        let oldKey = String(listed.stdout.prefix(8))
        #expect(listed.status == 0 && listed.stdout.contains("\tencrypts\t1 secrets"), "\(listed)")
        let rotated = try CLI.run(["keys", "rotate", "--store", db])
        #expect(rotated.status == 0 && rotated.stdout.contains("1 secret encrypted again") && rotated.stdout.contains("still in \(keyFile): \(oldKey)"),
                "\(rotated)")
        let plan = try CLI.run(["plan", "--detailed-exitcode", "--store", db] + state + [tmp.path("m.yaml")], environment: env)
        #expect(plan.status == 0 && plan.stdout.contains("No changes."), "rotation is no drift: \(plan.stdout)")
        let drift = try CLI.run(["drift", "--store", db] + state + [tmp.path("m.yaml")], environment: env)
        #expect(drift.status == 0, "\(drift.stdout)\n\(drift.stderr)")
        let removed = try CLI.run(["keys", "rotate", "--remove-old", "--store", db])
        #expect(removed.status == 0 && removed.stdout.contains("removed from \(keyFile): ") && removed.stdout.contains(oldKey), "\(removed)")
        try FileManager.default.removeItem(atPath: tmp.path("feed/two.iso"))
        try ISOContentTests.feed(tmp.path("feed"), ["one.iso": "first image\n", "three.iso": "third\n"])
        let second = try CLI.run(["sync", "--store", db, "isos"])
        #expect(second.status == 0, "the rotated key decrypts the password: \(second.stdout)\n\(second.stderr)")
        #expect(!feed.logText.contains(" 401 "))

        // Without the key file: the sync fails saying why, the feed sees no request, serve will not start.
        try FileManager.default.moveItem(atPath: keyFile, toPath: tmp.path("kept.key"))
        let requestsBefore = feed.logText.split(separator: "\n").count
        let lost = try CLI.run(["sync", "--store", db, "isos"])
        #expect(lost.status == 1 && (lost.stdout + lost.stderr).contains("which the key file \(keyFile) does not hold"), "\(lost.stdout)\n\(lost.stderr)")
        #expect(feed.logText.split(separator: "\n").count == requestsBefore, "no request reached the feed")
        let serve = try CLI.run(["serve", "--store", db, "--bind", "127.0.0.1:0", "--auth", "none"])
        #expect(serve.status == 1 && serve.stderr.contains("does not hold, so no sync could authenticate to its feed"), "\(serve.stderr)")
        let withKey = try CLI.run(["sync", "--store", db, "--key-file", tmp.path("kept.key"), "isos"])
        #expect(withKey.status == 0, "\(withKey.stderr)")

        // No clear password in the store's files, in any output, or in the key file.
        for suffix in ["", "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: db + suffix))) ?? Data()
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(db + suffix) holds the password in clear")
        }
        for o in [apply, first, listed, rotated, plan, drift, removed, second, lost, serve, withKey] {
            #expect(!o.stdout.contains(password) && !o.stderr.contains(password))
        }
    }
}
