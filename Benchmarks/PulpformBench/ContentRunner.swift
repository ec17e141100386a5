import ChildProcess
import Foundation
import GRDB
import Hummingbird
import PulpContent

#if canImport(Glibc)
import Glibc
#endif

/// The content floor: what the hardware and the plainest tools need for the same work.
struct ContentFloors: Codable {
    /// `curl --parallel` fetching every package file of the feed into a directory on the same file system as the
    /// content directory, with the sync's parallelism.
    var curlSeconds: Double
    var curlCPUSeconds: Double
    /// zlib inflate plus cutting out every `<package>` element of primary, filelists and other: the least a
    /// streaming reader of the metadata does. Best of three, in this process.
    var parseSeconds: Double
    var parsedPackages: Int
    /// Rounds of curl and the sync, one after the other; `curlSeconds` and the sync's figures are the medians.
    var rounds: Int = 1
    var curlRuns: [Double] = []
    var syncRuns: [Double] = []
    /// The sync's floor: the fetch plus the parse.
    var syncSeconds: Double { curlSeconds + parseSeconds }
    /// `gzip -6` of the published primary, filelists and other XML (uncompressed first, outside the timing).
    var gzipSeconds: Double?
    var xmlBytes: Int?
}

struct ContentTierResult: Codable {
    var packages: Int
    var packageBytes: Int
    var maxDownloads: Int
    var floor: ContentFloors
    var scenarios: [Scenario]
    /// rpm units in the repository after the sync.
    var addedCount: Int?
    /// The content APIs and the on_demand sync (issue 15).
    var apis: ContentAPIFigures?

    func scenario(_ name: String) -> Scenario? { scenarios.first { $0.name == name } }
}

/// Content scenarios on a synthetic feed of N packages served on loopback: sync, re-sync of the unchanged feed,
/// publish, a `search/units` page, copy and remove of every unit, an on_demand sync; each a `pulpform` process
/// measured with wait4 (the page through `pulpform serve`); and their floors, in the same run.
struct ContentRunner {
    let packages: Int
    let binary: String
    let dir: String
    let repeats: Int
    let environment: [String: String]
    let maxDownloads = 10

    var store: String { dir + "/pulpform.db" }
    var content: String { dir + "/content" }

    func run() throws -> ContentTierResult {
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let label = "content \(packages)"
        Report.log("\n[\(label)] writing a feed of \(packages) packages in \(dir)/feed")
        let feed = ContentFeed(count: packages, dir: dir + "/feed")
        let packageBytes = try feed.write()

        let server = try ServeChild(arguments: [Bench.sibling("pulpform-bench"), "--feed-server", feed.dir], dir: dir, name: "feed",
                                    environment: environment)
        defer { _ = server.stop() }

        // The floor: every package by curl, with the sync's parallelism; and a plain parse of the metadata.
        let config = dir + "/curl.cfg"
        let fetched = dir + "/curl-files"
        try (0..<packages).map { "url = \"\(server.url)\(feed.href($0))\"\noutput = \"\(fetched)/\(feed.href($0))\"\n" }.joined()
            .write(toFile: config, atomically: true, encoding: .utf8)
        let manifest = dir + "/content.yaml"
        try """
            repositories:
              - id: bench-yum
                importer:
                  type: yum_importer
                  config:
                    feed: \(server.url)
                    max_downloads: \(maxDownloads)
                distributors:
                  - id: yum
                    type: yum_distributor
                    config:
                      relative_url: bench/yum
                      http: true
                      https: false
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
        let storeArgs = ["--store", store, "--content-dir", content]
        let runner = TierRunner(tier: Tier(name: label, repositories: 1), binary: binary, dir: dir, repeats: repeats, loadSeconds: 0, clients: 1)

        // The sync and its fetch floor, in `repeats` rounds: each round curl fetches every package into a fresh
        // directory, then a fresh store and content directory get the repository and sync it. The medians are
        // compared, so that a busy moment of the machine weighs on both alike.
        var curls: [Measured] = []
        var syncs: [Scenario] = []
        var create: Scenario?
        for round in 1...repeats {
            Report.log("[\(label)] round \(round) of \(repeats): floor, curl --parallel --parallel-max \(maxDownloads) of every package")
            try? fm.removeItem(atPath: fetched)
            let curl = try Spawn.run(["/usr/bin/env", "curl", "-sS", "--fail", "--create-dirs", "--parallel", "--parallel-max", "\(maxDownloads)",
                                      "-K", config],
                                     environment: environment, in: dir)
            guard curl.exitCode == 0 else { throw BenchError("curl failed (\(curl.exitCode)): \(curl.stderr.prefix(500))") }
            curls.append(curl)
            for path in [store, store + "-wal", store + "-shm", store + ".lock", content] { try? fm.removeItem(atPath: path) }
            create = try runner.pulpform("create repository", ["apply", "--auto-approve"] + storeArgs + [manifest], expect: 0, runs: 1)
            syncs.append(try runner.pulpform("sync", ["sync"] + storeArgs + ["bench-yum"], expect: 0, runs: 1))
        }
        let curl = curls.sorted { $0.wall < $1.wall }[curls.count / 2]
        Report.log("[\(label)] floor: zlib + <package> cut of the metadata")
        var parses: [(Double, Int)] = []
        for _ in 0..<3 { parses.append(try Self.plainParse(try feed.metadataFiles())) }
        let parse = parses.min { $0.0 < $1.0 } ?? (0, 0)
        var floor = ContentFloors(curlSeconds: curl.wall, curlCPUSeconds: curl.cpu, parseSeconds: parse.0, parsedPackages: parse.1,
                                  rounds: repeats, curlRuns: curls.map(\.wall), syncRuns: syncs.map(\.wallSeconds))
        var sync = Self.median(syncs)
        sync.ratioToFloor = sync.wallSeconds / floor.syncSeconds
        let added = try Self.addedCount(store: store)
        var resync = try runner.pulpform("re-sync, unchanged feed", ["sync"] + storeArgs + ["bench-yum"], expect: 0, runs: repeats)
        resync.ratioToFloor = nil
        // Each publish builds the whole tree again and switches to it: the median of the repeats.
        var publish = try runner.pulpform("publish", ["publish"] + storeArgs + ["bench-yum"], expect: 0, runs: repeats)

        // The publish's floor: gzip of the same XML it wrote.
        let published = content + "/published/yum/http/repos/bench/yum/repodata"
        let xml = try fm.contentsOfDirectory(atPath: published).filter {
            $0.hasSuffix("primary.xml.gz") || $0.hasSuffix("filelists.xml.gz") || $0.hasSuffix("other.xml.gz")
        }
        var plain: [String] = []
        var xmlBytes = 0
        for file in xml {
            let bytes = try Decompressor.decompress([UInt8](try Data(contentsOf: URL(fileURLWithPath: published + "/" + file))), .gzip)
            let path = dir + "/" + file.replacingOccurrences(of: ".gz", with: "")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            plain.append(path)
            xmlBytes += bytes.count
        }
        var gzips: [Double] = []
        for _ in 0..<3 {
            let g = try Spawn.run(["/bin/sh", "-c", "gzip -6 -c " + plain.map { "'\($0)'" }.joined(separator: " ") + " > /dev/null"],
                                  environment: environment, in: dir)
            guard g.exitCode == 0 else { throw BenchError("gzip failed: \(g.stderr)") }
            gzips.append(g.wall)
        }
        floor.gzipSeconds = Self.median(gzips)
        floor.xmlBytes = xmlBytes
        publish.ratioToFloor = floor.gzipSeconds.map { publish.wallSeconds / $0 }
        let (apis, more) = try measureAPIs(feed: feed, feedURL: server.url, parseSeconds: parse.0, storeArgs: storeArgs, runner: runner)
        return ContentTierResult(packages: packages, packageBytes: packageBytes, maxDownloads: maxDownloads, floor: floor,
                                 scenarios: [create, sync, resync, publish].compactMap { $0 } + more, addedCount: added, apis: apis)
    }

    /// zlib inflate of each file, and every `<package>` element cut out (what a streaming reader must do at least).
    static func plainParse(_ files: [String]) throws -> (Double, Int) {
        let start = DispatchTime.now()
        var packages = 0
        for file in files {
            let fd = open(file, O_RDONLY)
            guard fd >= 0 else { throw BenchError("cannot open \(file)") }
            defer { close(fd) }
            let inflater = try Decompressor(.gzip)
            var splitter = ElementSplitter(names: ["package"])
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                try buffer.withUnsafeBytes { bytes in
                    try inflater.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<n])) { chunk in
                        try splitter.feed(chunk) { _, _ in packages += 1 }
                    }
                }
            }
            try inflater.finish { chunk in try splitter.feed(chunk) { _, _ in packages += 1 } }
            try splitter.finish()
        }
        return (Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, packages)
    }

    /// The units the repository holds, from the store: the sync did its work.
    static func addedCount(store: String) throws -> Int? {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: store, configuration: config).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM repo_content WHERE repo_id = 'bench-yum' AND type_id = 'rpm'")
        }
    }
}

/// `pulpform-bench --feed-server DIR`: the feed on an ephemeral loopback port (Hummingbird's FileMiddleware),
/// as a process of its own.
enum FeedServer {
    static func run(directory: String) async throws {
        let router = Router()
        router.middlewares.add(FileMiddleware(directory, searchForIndexHtml: false))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? 0
                                  FileHandle.standardError.write(Data("feed server on http://127.0.0.1:\(port)/\n".utf8))
                              })
        try await app.runService()
    }
}
