import Foundation
import Testing
import PulpformTestKit
import PulpStore
@testable import PulpModel

/// A real feed (rpmbuild, createrepo_c) served on 127.0.0.1, synced and published by `pulpform serve`, and
/// installed from by a real dnf.
@Suite("Real yum content", .serialized)
struct YumContentTests {
    /// A directory served by Python's http.server on an ephemeral port. With `misbehaving`, a threaded server
    /// whose packages can stall or trickle (see `misbehavingServer`).
    final class FeedServer {
        let process = Process()
        private(set) var port = 0
        let log: String

        /// `script`: a Python server (path, extra arguments after the directory) that prints `port N` once bound.
        init(directory: String, tmp: TempDir, misbehaving: Bool = false, script: (path: String, arguments: [String])? = nil) throws {
            log = tmp.path("feed-server-\(UUID().uuidString.prefix(8)).log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            if let script {
                process.arguments = ["python3", "-u", script.path, directory] + script.arguments
            } else if misbehaving {
                let script = tmp.path("misbehaving-feed.py")
                try YumContentTests.misbehavingServer.write(toFile: script, atomically: true, encoding: .utf8)
                process.arguments = ["python3", "-u", script, directory]
            } else {
                process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory]
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            for _ in 0..<300 {
                if let text = try? String(contentsOfFile: log, encoding: .utf8), let r = text.range(of: "port "),
                   let p = Int(text[r.upperBound...].prefix { $0.isNumber }) {
                    port = p
                    return
                }
                usleep(20_000)
            }
            throw CLI.CLIError(message: "the feed server did not start")
        }

        var url: String { "http://127.0.0.1:\(port)/" }
        /// What the server logged: a line per request, with its status.
        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        /// SIGKILL: the test process's blocked signals are inherited, SIGTERM among them.
        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    /// A feed server that misbehaves on purpose. Paths under `/stall/` never answer. Packages (`*.rpm`) follow
    /// the `.mode` file in the served directory: `stall` sends the headers and then nothing; `trickle` sends 256
    /// bytes every 0.2 s; `flaky` answers 503 to the first request for each; `redirect` sends each elsewhere
    /// (302, the same file with a query); `missing` answers 404; `bigger` sends 100,000 bytes more than the
    /// file; anything else serves them normally. `keepalive` in the file makes
    /// every answer HTTP/1.1 with the connection kept open (http.server's default is HTTP/1.0, one per
    /// connection).
    static let misbehavingServer = """
        import http.server, os, sys, time
        root = sys.argv[1]
        seen = set()
        def mode():
            try:
                return open(os.path.join(root, '.mode')).read().strip()
            except OSError:
                return ''
        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=root, **kwargs)
            def log_message(self, *args):
                pass
            def parse_request(self):
                self.protocol_version = 'HTTP/1.1' if 'keepalive' in mode() else 'HTTP/1.0'
                return super().parse_request()
            def do_GET(self):
                if self.path.startswith('/stall/'):
                    time.sleep(300)
                    return
                if self.path.endswith('.rpm') and 'flaky' in mode() and self.path not in seen:
                    seen.add(self.path)
                    self.send_response(503)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                if self.path.endswith('.rpm') and 'bigger' in mode():
                    data = open(self.translate_path(self.path), 'rb').read() + b'x' * 100000
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if self.path.endswith('.rpm') and 'missing' in mode():
                    self.send_error(404)
                    return
                if self.path.endswith('.rpm') and 'redirect' in mode():
                    self.send_response(302)
                    self.send_header('Location', self.path + '?moved=1')
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                if self.path.endswith('.rpm') and mode() in ('stall', 'trickle'):
                    data = open(self.translate_path(self.path), 'rb').read()
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(data)))
                    self.end_headers()
                    if mode() == 'stall':
                        time.sleep(300)
                        return
                    for i in range(0, len(data), 256):
                        self.wfile.write(data[i:i + 256])
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                super().do_GET()
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        server.daemon_threads = True
        print('listening on port', server.server_address[1], flush=True)
        server.serve_forever()
        """

    static func fixture(_ dir: String, _ args: [String] = []) throws {
        let r = try runTool([CLI.packageRoot.appendingPathComponent("scripts/make-yum-fixture.sh").path, dir] + args)
        guard r.status == 0 else {
            throw CLI.CLIError(message: "scripts/make-yum-fixture.sh failed (\(r.status)): rpm, createrepo-c and dnf must be installed\n\(r.err)")
        }
    }

    /// `pulpform sync --format json` on the embedded store: the run and its task reports.
    static func cliSync(_ store: [String], _ repos: [String]) throws -> (run: CLI.Result, reports: [JSONValue]) {
        let run = try CLI.run(["sync", "--format", "json"] + store + repos)
        return (run, (try? JSONValue.parse(Data(run.stdout.utf8)))?.arrayValue ?? [])
    }

    static func json(_ args: [String]) throws -> JSONValue {
        let r = try curl(args)
        return (try? JSONValue.parse(r.out)) ?? .string(r.out + r.err)
    }

    /// Starts a sync (or any call that spawns tasks) and waits for its tasks and what they spawn; returns the
    /// task reports.
    static func run(_ server: ServeProcess, _ path: String, _ body: String = "{}", method: String = "POST") throws -> [JSONValue] {
        let call = try json(["-X", method, server.base + path, "-H", "Content-Type: application/json", "-d", body])
        var pending = call["spawned_tasks"]?.arrayValue?.compactMap { $0["_href"]?.stringValue } ?? []
        var out: [JSONValue] = []
        while !pending.isEmpty {
            let href = pending.removeFirst()
            var task: JSONValue = .null
            for _ in 0..<1500 {
                task = try json(["http://127.0.0.1:\(server.port)\(href)"])
                if let s = task["state"]?.stringValue, ["finished", "error", "canceled", "skipped"].contains(s) { break }
                usleep(20_000)
            }
            out.append(task)
            pending += task["spawned_tasks"]?.arrayValue?.compactMap { $0["_href"]?.stringValue } ?? []
        }
        return out
    }

    /// `importer`: more importer config, as JSON members (`"read_timeout": 2`).
    static func createRepo(_ server: ServeProcess, _ id: String, feed: String, relativeURL: String, importer: String = "") throws {
        let body = """
            {"id": "\(id)", "importer_type_id": "yum_importer",
             "importer_config": {"feed": "\(feed)", "num_retries": 0\(importer.isEmpty ? "" : ", " + importer)},
             "distributors": [{"distributor_id": "yum", "distributor_type_id": "yum_distributor", "auto_publish": true,
                               "distributor_config": {"relative_url": "\(relativeURL)", "http": true, "https": false}}]}
            """
        let r = try json(["-X", "POST", server.base + "repositories/", "-H", "Content-Type: application/json", "-d", body])
        #expect(r["id"]?.stringValue == id, "\(r)")
    }

    static func dnf(_ tmp: TempDir, _ repoURL: String, _ args: [String]) throws -> (status: Int32, out: String) {
        let r = try runTool(["dnf", "-y", "-q", "--installroot=\(tmp.path("root"))", "--releasever=1", "--setopt=reposdir=/dev/null",
                             "--setopt=cachedir=\(tmp.path("dnf-cache"))", "--setopt=install_weak_deps=False", "--nogpgcheck",
                             "--disablerepo=*", "--repofrompath=pulpform,\(repoURL)", "--enablerepo=pulpform"] + args)
        return (r.status, r.out + r.err)
    }

    @Test("sync a real feed, publish it, and dnf installs a package and its dependency from /pulp/repos/; an update is seen")
    func dnfInstalls() throws {
        let tmp = try TempDir("pulpform-yum")
        try Self.fixture(tmp.path("feed"))
        let feed = try FeedServer(directory: tmp.path("feed"), tmp: tmp)
        let server = try ServeProcess(store: tmp.path("pulpform.db"))
        try Self.createRepo(server, "zoo", feed: feed.url, relativeURL: "a/b")

        let first = try Self.run(server, "repositories/zoo/actions/sync/")
        #expect(first.map { $0["state"]?.stringValue } == ["finished", "finished"], "sync, then the auto-publish: \(first)")
        let result = first.first?["result"] ?? .null
        #expect(result["added_count"] == 9 && result["updated_count"] == 0 && result["removed_count"] == 0, "\(result)")
        #expect(result["details"]?["content"]?["details"]?["rpm_total"] == 6)
        #expect(result["details"]?["content"]?["error_details"] == [])
        let repo = try Self.json([server.base + "repositories/zoo/"])
        #expect(repo["content_unit_counts"] == ["rpm": 3, "srpm": 3, "erratum": 1, "package_group": 1, "package_category": 1], "\(repo)")
        #expect(repo["last_unit_added"]?.stringValue != nil)
        let history = try Self.json([server.base + "repositories/zoo/history/sync/"])
        #expect(history.arrayValue?.count == 1 && history.arrayValue?.first?["result"] == "success")

        // The unchanged feed: skipped by its revision, 0/0/0.
        let again = try Self.run(server, "repositories/zoo/actions/sync/")
        #expect(again.first?["result"]?["added_count"] == 0 && again.first?["result"]?["updated_count"] == 0
                && again.first?["result"]?["removed_count"] == 0, "\(again)")

        // dnf, against pulpform's own server.
        let url = "http://127.0.0.1:\(server.port)/pulp/repos/a/b/"
        let install = try Self.dnf(tmp, url, ["install", "pulpform-app"])
        #expect(install.status == 0, "\(install.out)")
        let installed = try runTool(["rpm", "--root", tmp.path("root"), "-q", "pulpform-app", "pulpform-hello"]).out
        #expect(installed.contains("pulpform-app-2.0-1.noarch") && installed.contains("pulpform-hello-1.1-1.noarch"), "\(installed)")
        let advisories = try Self.dnf(tmp, url, ["updateinfo", "list", "--all"])
        #expect(advisories.out.contains("PF-2026:0001"), "\(advisories.out)")
        let group = try Self.dnf(tmp, url, ["group", "info", "pulpform-tools"])
        #expect(group.out.contains("Pulpform tools") && group.out.contains("pulpform-app"), "\(group.out)")

        // Serving: HEAD, a range, the ETag; nothing outside the trees.
        let head = try curl(["-I", url + "pulpform-hello-1.1-1.noarch.rpm"])
        #expect(head.out.contains("200") && head.out.lowercased().contains("content-length:") && head.out.lowercased().contains("etag:"), "\(head.out)")
        let range = try curl(["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H", "Range: bytes=0-99", url + "pulpform-hello-1.1-1.noarch.rpm"])
        #expect(range.out == "206 100", "\(range.out)")
        for bad in ["/pulp/repos/a/b/..%2F..%2F..%2Fetc/passwd", "/pulp/repos/../../etc/passwd", "/pulp/repos/a/b/nope.rpm"] {
            let r = try curl(["--path-as-is", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)\(bad)"])
            #expect(["403", "404"].contains(r.out), "\(bad): \(r.out)")
        }

        // A newer version in the feed: the next sync adds it, the publish serves it, dnf upgrades.
        try Self.fixture(tmp.path("feed"), ["--with-update"])
        let update = try Self.run(server, "repositories/zoo/actions/sync/")
        #expect(update.first?["result"]?["added_count"] == 2, "pulpform-hello 1.2 and its SRPM: \(update)")
        let upgrade = try Self.dnf(tmp, url, ["--refresh", "upgrade"])
        #expect(upgrade.status == 0, "\(upgrade.out)")
        let after = try Self.dnf(tmp, url, ["list", "--installed", "pulpform-hello"])
        #expect(after.out.contains("1.2-1"), "\(after.out)")
        #expect(server.stop() == 0)
    }

    @Test("bad feeds: unreachable, no repomd, a truncated primary, a package with a wrong checksum")
    func badFeeds() throws {
        let tmp = try TempDir("pulpform-yum-bad")
        try Self.fixture(tmp.path("feed"))
        let feed = try FeedServer(directory: tmp.path("feed"), tmp: tmp)
        let server = try ServeProcess(store: tmp.path("pulpform.db"))

        // Nothing listens on port 9 of 127.0.0.1.
        try Self.createRepo(server, "unreachable", feed: "http://127.0.0.1:9/", relativeURL: "u")
        let unreachable = try Self.run(server, "repositories/unreachable/actions/sync/")
        #expect(unreachable.first?["error"]?["code"] == "RPM1004", "\(unreachable)")

        try Self.createRepo(server, "missing", feed: feed.url + "no/such/repo/", relativeURL: "m")
        let missing = try Self.run(server, "repositories/missing/actions/sync/")
        #expect(missing.first?["error"]?["code"] == "RPM1004", "\(missing)")
        #expect(missing.first?["progress_report"]?["yum_importer"]?["metadata"]?["state"] == "FAILED")
        #expect(missing.first?["progress_report"]?["yum_importer"]?["content"]?["state"] == "NOT_STARTED")

        // A truncated primary: its checksum no longer matches repomd.
        let repodata = tmp.path("feed/repodata")
        let primary = try #require(try FileManager.default.contentsOfDirectory(atPath: repodata).first { $0.hasSuffix("primary.xml.gz") })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: repodata + "/" + primary))
        try tmp.write("truncated/repodata/repomd.xml", try String(contentsOfFile: repodata + "/repomd.xml", encoding: .utf8))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: tmp.path("truncated/repodata/" + primary)))
        let truncatedFeed = try FeedServer(directory: tmp.path("truncated"), tmp: tmp)
        try Self.createRepo(server, "truncated", feed: truncatedFeed.url, relativeURL: "t")
        let truncated = try Self.run(server, "repositories/truncated/actions/sync/")
        #expect(truncated.first?["error"]?["code"] == "RPM1006", "\(truncated)")
        let t = try Self.json([server.base + "repositories/truncated/"])
        #expect(t["content_unit_counts"] == [:], "nothing partial: \(t)")

        // A package whose bytes changed after indexing: in error_details; the rest is synced.
        let pkg = tmp.path("feed/Packages/pulpform-hello-1.0-1.noarch.rpm")
        var rpmBytes = try Data(contentsOf: URL(fileURLWithPath: pkg))
        rpmBytes[rpmBytes.count - 1] ^= 0xFF
        try rpmBytes.write(to: URL(fileURLWithPath: pkg))
        try Self.createRepo(server, "corrupt", feed: feed.url, relativeURL: "c")
        let corrupt = try Self.run(server, "repositories/corrupt/actions/sync/")
        #expect(corrupt.first?["state"] == "finished", "a failed package does not fail the sync: \(corrupt)")
        let details = corrupt.first?["result"]?["details"]?["content"]?["error_details"]?.arrayValue ?? []
        #expect(details.count == 1 && details.first?["error_code"] == "checksum_mismatch", "\(details)")
        let c = try Self.json([server.base + "repositories/corrupt/"])
        #expect(c["content_unit_counts"]?["rpm"] == 2, "\(c)")
        #expect(server.stop() == 0)
    }

    /// The files under `dir` (recursively), relative paths.
    static func files(_ dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        return e.compactMap { $0 as? String }.filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir + "/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
    }

    /// Every unit file is whole: its name is the sha256 of its bytes.
    static func expectWholeUnits(_ content: String, count: Int) throws {
        let units = files(content + "/units")
        #expect(units.count == count, "\(units)")
        for unit in units {
            let sum = try runTool(["sha256sum", content + "/units/" + unit]).out.prefix(64)
            #expect(unit.hasSuffix("/" + sum), "\(unit) holds bytes whose sha256 is \(sum)")
        }
    }

    @Test("a feed that answers slowly: metadata and packages time out (read_timeout), with the right error, nothing partial")
    func slowFeed() throws {
        let tmp = try TempDir("pulpform-yum-slow")
        try Self.fixture(tmp.path("feed"))
        try tmp.write("feed/.mode", "stall")
        let feed = try FeedServer(directory: tmp.path("feed"), tmp: tmp, misbehaving: true)
        let content = tmp.path("content")
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", content])

        // repomd never comes.
        try Self.createRepo(server, "stalled", feed: feed.url + "stall/", relativeURL: "s", importer: #""read_timeout": 2"#)
        let stalled = try Self.run(server, "repositories/stalled/actions/sync/")
        #expect(stalled.first?["state"] == "error" && stalled.first?["error"]?["code"] == "RPM1004", "\(stalled)")
        #expect(stalled.first?["error"]?["description"]?.stringValue?.contains("timed out") == true, "\(stalled)")

        // The metadata comes, the packages stall after their headers: each is in error_details, the rest is stored.
        try Self.createRepo(server, "trickle", feed: feed.url, relativeURL: "t", importer: #""read_timeout": 2"#)
        let slow = try Self.run(server, "repositories/trickle/actions/sync/")
        #expect(slow.first?["state"] == "finished", "\(slow)")
        let details = slow.first?["result"]?["details"]?["content"]?["error_details"]?.arrayValue ?? []
        #expect(details.count == 6, "three RPMs and three SRPMs: \(details)")
        let repo = try Self.json([server.base + "repositories/trickle/"])
        #expect(repo["content_unit_counts"] == ["erratum": 1, "package_group": 1, "package_category": 1], "\(repo)")
        // No unit file, and nothing left in the server's temporary directory but its lock.
        try Self.expectWholeUnits(content, count: 0)
        #expect(Self.files(content + "/tmp").allSatisfy { $0.hasSuffix("/.lock") }, "\(Self.files(content + "/tmp"))")
        #expect(server.stop() == 0)
    }

    @Test("package downloads are tried again after a 503, follow redirects and share kept-alive connections")
    func awkwardFeeds() throws {
        let tmp = try TempDir("pulpform-yum-awkward")
        try Self.fixture(tmp.path("feed"))
        let feed = try FeedServer(directory: tmp.path("feed"), tmp: tmp, misbehaving: true)
        for mode in ["flaky keepalive", "redirect", "keepalive", "flaky"] {
            try tmp.write("feed/.mode", mode)
            let name = mode.replacingOccurrences(of: " ", with: "-"), dir = tmp.path(name)
            try tmp.write(name + "/zoo.yaml", """
                repositories:
                  - id: zoo
                    importer:
                      type: yum_importer
                      config:
                        feed: \(feed.url)
                        max_downloads: 2
                """)
            let store = ["--store", dir + "/p.db", "--content-dir", dir + "/content"]
            let apply = try CLI.run(["apply", "--auto-approve"] + store + [dir + "/zoo.yaml"])
            #expect(apply.status == 0, "\(apply.stderr)")
            let (sync, reports) = try Self.cliSync(store, ["zoo"])
            #expect(sync.status == 0, "\(mode): \(sync.stdout)\(sync.stderr)")
            let report = reports.first ?? .null
            #expect(report["result"]?["added_count"] == 9, "\(mode): \(report)")
            #expect(report["result"]?["details"]?["content"]?["error_details"] == [], "\(mode): \(report)")
            try Self.expectWholeUnits(dir + "/content", count: 6)
        }

        // A server that sends more than primary's size: each package stops there, in error_details, nothing kept.
        try tmp.write("feed/.mode", "bigger keepalive")
        try tmp.write("bigger/zoo.yaml", "repositories:\n  - id: zoo\n    importer:\n      type: yum_importer\n      config:\n        feed: \(feed.url)\n")
        let store = ["--store", tmp.path("bigger/p.db"), "--content-dir", tmp.path("bigger/content")]
        #expect(try CLI.run(["apply", "--auto-approve"] + store + [tmp.path("bigger/zoo.yaml")]).status == 0)
        let report = try Self.cliSync(store, ["zoo"]).reports.first ?? .null
        let details = report["result"]?["details"]?["content"]?["error_details"]?.arrayValue ?? []
        #expect(details.count == 6 && details.allSatisfy { $0["error_message"]?.stringValue?.contains("larger than") == true }, "\(report)")
        try Self.expectWholeUnits(tmp.path("bigger/content"), count: 0)
        #expect(Self.files(tmp.path("bigger/content/tmp")).allSatisfy { $0.hasSuffix("/.lock") })
    }

    @Test("two syncs of one feed at once share its units; a new store over a full content directory downloads nothing; retain_old_count")
    func sharedContent() async throws {
        let tmp = try TempDir("pulpform-yum-shared")
        try Self.fixture(tmp.path("feed"), ["--with-update"])
        let feed = try FeedServer(directory: tmp.path("feed"), tmp: tmp, misbehaving: true)
        func manifest(_ repos: [(String, String)]) -> String {
            "repositories:\n" + repos.map { id, extra in
                "  - id: \(id)\n    importer:\n      type: yum_importer\n      config:\n        feed: \(feed.url)\n" + extra
            }.joined()
        }
        try tmp.write("two.yaml", manifest([("one", ""), ("two", ""), ("newest", "        retain_old_count: 0\n")]))
        let store = ["--store", tmp.path("a.db"), "--content-dir", tmp.path("content")]
        #expect(try CLI.run(["apply", "--auto-approve"] + store + [tmp.path("two.yaml")]).status == 0)
        // Both run at once (one worker each); each must end with the same units, stored once.
        let (both, reports) = try Self.cliSync(store, ["one", "two"])
        #expect(both.status == 0, "\(both.stdout)\(both.stderr)")
        #expect(reports.map { $0["result"]?["added_count"] } == [11, 11], "4 RPMs, 4 SRPMs, an erratum, a group, a category each: \(reports)")
        let a = try PulpStore(path: tmp.path("a.db"))
        for type in ["rpm", "srpm"] {
            let (one, two) = try a.readSync { db in (try db.repositoryUnitIds(repoId: "one", typeId: type), try db.repositoryUnitIds(repoId: "two", typeId: type)) }
            #expect(one.count == 4 && Set(one) == Set(two), "\(type): \(one) \(two)")
        }
        try Self.expectWholeUnits(tmp.path("content"), count: 8)

        // retain_old_count: 0 keeps the newest version of each package only.
        let kept = try Self.cliSync(store, ["newest"]).reports.first ?? .null
        #expect(kept["result"]?["added_count"] == 7, "pulpform-hello 1.0 and 1.1 and their SRPMs are left out: \(kept)")
        let names = try a.readSync { db in try db.repositoryContent(repoId: "newest", typeIds: ["rpm"]) }
            .map { "\($0.unitKey["name"]?.stringValue ?? "")-\($0.unitKey["version"]?.stringValue ?? "")" }
        #expect(names.sorted() == ["pulpform-app-2.0", "pulpform-hello-1.2"], "\(names)")

        // Another store over the same content directory, while the feed answers 404 for every package: the files
        // are there, named by their sha256, so nothing is downloaded and every package is stored.
        try tmp.write("feed/.mode", "missing")
        let other = ["--store", tmp.path("b.db"), "--content-dir", tmp.path("content")]
        #expect(try CLI.run(["apply", "--auto-approve"] + other + [tmp.path("two.yaml")]).status == 0)
        let report = try Self.cliSync(other, ["one"]).reports.first ?? .null
        #expect(report["result"]?["added_count"] == 11 && report["result"]?["details"]?["content"]?["error_details"] == [], "\(report)")
    }

    @Test("a sync killed with SIGKILL mid-download: the restarted server runs it again and converges, nothing partial left")
    func killedSync() throws {
        let tmp = try TempDir("pulpform-yum-kill")
        try Self.fixture(tmp.path("feed"))
        try tmp.write("feed/.mode", "trickle")
        let feed = try FeedServer(directory: tmp.path("feed"), tmp: tmp, misbehaving: true)
        let content = tmp.path("content")
        let first = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", content])
        try Self.createRepo(first, "zoo", feed: feed.url, relativeURL: "zoo")
        let call = try Self.json(["-X", "POST", first.base + "repositories/zoo/actions/sync/"])
        let href = try #require(call["spawned_tasks"]?.arrayValue?.first?["_href"]?.stringValue, "\(call)")

        // Wait until packages are arriving: partial files in the server's temporary directory.
        var partial: [String] = []
        for _ in 0..<1500 where partial.isEmpty {
            partial = Self.files(content + "/tmp").filter { $0.hasSuffix(".rpm") }
            usleep(20_000)
        }
        #expect(!partial.isEmpty, "no download in progress")
        first.kill()
        #expect(!Self.files(content + "/tmp").filter { $0.hasSuffix(".rpm") }.isEmpty, "the kill left partial files")

        // The feed is fast again; the restarted server resumes the task, from the start.
        try tmp.write("feed/.mode", "")
        let second = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", content])
        var task: JSONValue = .null
        for _ in 0..<1500 {
            task = try Self.json(["http://127.0.0.1:\(second.port)\(href)"])
            if let s = task["state"]?.stringValue, ["finished", "error", "canceled"].contains(s) { break }
            usleep(20_000)
        }
        #expect(task["state"] == "finished" && task["result"]?["added_count"] == 9, "\(task)")
        let repo = try Self.json([second.base + "repositories/zoo/"])
        #expect(repo["content_unit_counts"] == ["rpm": 3, "srpm": 3, "erratum": 1, "package_group": 1, "package_category": 1], "\(repo)")
        try Self.expectWholeUnits(content, count: 6)
        // The killed server's partial files went with its temporary directory.
        #expect(Self.files(content + "/tmp").allSatisfy { $0.hasSuffix("/.lock") }, "\(Self.files(content + "/tmp"))")
        let again = try Self.run(second, "repositories/zoo/actions/sync/")
        #expect(again.first?["result"]?["added_count"] == 0 && again.first?["result"]?["removed_count"] == 0, "\(again)")
        #expect(second.stop() == 0)
    }

    @Test("remove_missing keeps errata on an unchanged re-sync and when errata are skipped; a new relative_url moves the link; deletes unpublish")
    func lifecycle() throws {
        let tmp = try TempDir("pulpform-yum-life")
        try Self.fixture(tmp.path("feed"))
        let content = tmp.path("content")
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", content])
        let feed = "file://" + tmp.path("feed") + "/"
        try Self.createRepo(server, "zoo", feed: feed, relativeURL: "x/one", importer: #""remove_missing": true"#)
        let all: JSONValue = ["rpm": 3, "srpm": 3, "erratum": 1, "package_group": 1, "package_category": 1]

        #expect(try Self.run(server, "repositories/zoo/actions/sync/").first?["result"]?["added_count"] == 9)
        let again = try Self.run(server, "repositories/zoo/actions/sync/").first?["result"] ?? .null
        #expect(again["added_count"] == 0 && again["removed_count"] == 0, "unchanged: nothing removed, errata included: \(again)")
        #expect(try Self.json([server.base + "repositories/zoo/"])["content_unit_counts"] == all)
        // Errata skipped, and a newer feed: the errata step does not run, so it removes nothing.
        let skip = try Self.run(server, "repositories/zoo/importers/yum_importer/", #"{"importer_config": {"type_skip_list": ["erratum"]}}"#, method: "PUT")
        #expect(skip.first?["state"] == "finished", "\(skip)")
        try Self.fixture(tmp.path("feed"), ["--with-update"])
        let skipped = try Self.run(server, "repositories/zoo/actions/sync/").first ?? .null
        #expect(skipped["progress_report"]?["yum_importer"]?["errata"]?["state"] == "SKIPPED", "\(skipped)")
        #expect(skipped["result"]?["added_count"] == 2 && skipped["result"]?["removed_count"] == 0, "\(skipped)")
        #expect(try Self.json([server.base + "repositories/zoo/"])["content_unit_counts"]
                == ["rpm": 4, "srpm": 4, "erratum": 1, "package_group": 1, "package_category": 1])

        // A new relative_url: the next publish links the tree there, and the old link and its empty directory go.
        let repos = content + "/published/yum/http/repos"
        #expect(FileManager.default.fileExists(atPath: repos + "/x/one/repodata/repomd.xml"))
        let moved = try Self.run(server, "repositories/zoo/distributors/yum/", #"{"distributor_config": {"relative_url": "y/two"}}"#, method: "PUT")
        #expect(moved.first?["state"] == "finished", "\(moved)")
        #expect(try Self.run(server, "repositories/zoo/actions/publish/", #"{"id": "yum"}"#).first?["state"] == "finished")
        #expect(FileManager.default.fileExists(atPath: repos + "/y/two/repodata/repomd.xml"))
        #expect(!FileManager.default.fileExists(atPath: repos + "/x"), "\(Self.files(repos))")
        let served = try curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(server.port)/pulp/repos/y/two/repodata/repomd.xml"])
        #expect(served.out == "200")

        // Removing the distributor takes its tree down; so does deleting a repository.
        #expect(try Self.run(server, "repositories/zoo/distributors/yum/", method: "DELETE").first?["state"] == "finished")
        #expect(!FileManager.default.fileExists(atPath: repos + "/y"), "\(Self.files(repos))")
        #expect(!FileManager.default.fileExists(atPath: content + "/published/yum/master/zoo"))
        try Self.createRepo(server, "gone", feed: feed, relativeURL: "gone")
        #expect(try Self.run(server, "repositories/gone/actions/sync/").map { $0["state"] } == ["finished", "finished"])
        #expect(FileManager.default.fileExists(atPath: repos + "/gone/repodata/repomd.xml"))
        #expect(try Self.run(server, "repositories/gone/", method: "DELETE").first?["state"] == "finished")
        #expect(!FileManager.default.fileExists(atPath: repos + "/gone") && !FileManager.default.fileExists(atPath: content + "/published/yum/master/gone"))
        #expect(server.stop() == 0)
    }

    @Test("feeds whose repodata is xz or bz2 compressed sync like gzip ones", arguments: ["xz", "bz2"])
    func compressedFeeds(_ compression: String) throws {
        let tmp = try TempDir("pulpform-yum-\(compression)")
        try Self.fixture(tmp.path("feed"), ["--compress=\(compression)"])
        let repodata = try FileManager.default.contentsOfDirectory(atPath: tmp.path("feed/repodata"))
        #expect(repodata.contains { $0.hasSuffix("primary.xml.\(compression)") }, "\(repodata)")
        let server = try ServeProcess(store: tmp.path("pulpform.db"), extra: ["--content-dir", tmp.path("content")])
        try Self.createRepo(server, "zoo", feed: "file://" + tmp.path("feed") + "/", relativeURL: "zoo")
        let sync = try Self.run(server, "repositories/zoo/actions/sync/")
        #expect(sync.map { $0["state"] } == ["finished", "finished"], "\(sync)")
        #expect(sync.first?["result"]?["added_count"] == 9, "\(sync)")
        let repo = try Self.json([server.base + "repositories/zoo/"])
        #expect(repo["content_unit_counts"] == ["rpm": 3, "srpm": 3, "erratum": 1, "package_group": 1, "package_category": 1], "\(repo)")
        #expect(server.stop() == 0)
    }
}

extension ServeProcess {
    /// One API call with curl: the JSON answer (an error body is JSON too).
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        var args = ["-X", method, base + path]
        if let body { args += ["-H", "Content-Type: application/json", "-d", body.serialized()] }
        return try YumContentTests.json(args)
    }
}
