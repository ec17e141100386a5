import ChildProcess
import Foundation
import GRDB

/// Issue 15's figures on the synced repository: a `search/units` page, copying and removing every unit, and an
/// `on_demand` sync with its floors.
struct ContentAPIFigures: Codable {
    /// `POST /repositories/bench-yum/search/units/` with `limit` (2,000, or every unit when fewer), snippets
    /// included: the first page, and the last (`skip` = packages − limit). Medians of 10 on one keep-alive
    /// connection, after one warm-up.
    var searchPageUnits: Int
    var searchPageBytes: Int
    var searchPageMedianMs: Double
    var searchPageMaxMs: Double
    var lastPageMedianMs: Double
    /// The on_demand sync's floor, "the metadata-only part of the sync floor": curl fetching repomd.xml and the
    /// metadata files (median of the rounds), plus the plain parse of the metadata.
    var metadataFetchSeconds: Double
    var onDemandFloorSeconds: Double { metadataFetchSeconds + parseSeconds }
    var parseSeconds: Double
    /// Not part of that floor: SQLite alone writing the rows the on_demand sync stored (its units, snippets,
    /// associations and lazy catalog, 0.2 GB at 50,000) into a fresh file with the same tables and indexes, by
    /// `INSERT … SELECT` from the sync's store (reading it included) in one transaction, with the store's pragmas
    /// and without foreign key checks. Median of the rounds.
    var storeInsertSeconds: Double
    var storeBytes: Int
}

extension ContentRunner {
    /// Needs the synced `bench-yum` in `store`, and the feed on `feedURL`.
    func measureAPIs(feed: ContentFeed, feedURL: String, parseSeconds: Double, storeArgs: [String],
                     runner: TierRunner) throws -> (ContentAPIFigures, [Scenario]) {
        let label = "content \(packages)"
        let fm = FileManager.default

        // The search page, through `pulpform serve` on the synced store.
        Report.log("[\(label)] search/units: pages of \(min(2_000, packages)) units, through pulpform serve")
        let server = try ServeChild(arguments: [binary, "serve"] + storeArgs + ["--bind", "127.0.0.1:0", "--auth", "none", "--log-level", "error", "--no-scheduler"],
                                    dir: dir, name: "serve", environment: environment)
        let limit = min(2_000, packages)
        let path = "/pulp/api/v2/repositories/bench-yum/search/units/"
        let first = try Load.latencies(port: server.port, runs: 10, "POST", path,
                                       body: #"{"criteria": {"type_ids": ["rpm"], "limit": \#(limit)}}"#)
        let last = try Load.latencies(port: server.port, runs: 10, "POST", path,
                                      body: #"{"criteria": {"type_ids": ["rpm"], "limit": \#(limit), "skip": \#(packages - limit)}}"#)
        _ = server.stop()

        // Copy every unit to another repository and remove them again, `repeats` times: the medians.
        let prod = dir + "/prod.yaml"
        try """
            repositories:
              - id: bench-prod
                importer:
                  type: yum_importer
            """.write(toFile: prod, atomically: true, encoding: .utf8)
        _ = try runner.pulpform("create the copy's destination", ["apply", "--auto-approve"] + storeArgs + [prod], expect: 0, runs: 1)
        var copies: [Scenario] = [], removes: [Scenario] = []
        for _ in 0..<repeats {
            copies.append(try runner.pulpform("copy every unit", ["content", "copy"] + storeArgs + ["--from", "bench-yum", "--to", "bench-prod", "--type", "rpm"],
                                              expect: 0, runs: 1))
            removes.append(try runner.pulpform("remove every unit", ["content", "remove"] + storeArgs + ["bench-prod", "--all"], expect: 0, runs: 1))
        }

        // The on_demand sync, on a fresh store each round, interleaved with its metadata fetch floor and the
        // store-insert figure.
        let odStore = dir + "/on-demand.db", odContent = dir + "/on-demand-content"
        let odArgs = ["--store", odStore, "--content-dir", odContent]
        let manifest = dir + "/on-demand.yaml"
        try """
            repositories:
              - id: bench-lazy
                importer:
                  type: yum_importer
                  config:
                    feed: \(feedURL)
                    download_policy: on_demand
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
        let metadata = ["repodata/repomd.xml"] + (try feed.metadataFiles()).map { "repodata/" + ($0 as NSString).lastPathComponent }
        let fetched = dir + "/curl-metadata"
        var fetches: [Double] = [], syncs: [Scenario] = [], inserts: [Double] = []
        var storeBytes = 0
        for round in 1...repeats {
            Report.log("[\(label)] on_demand round \(round) of \(repeats): curl of the metadata, then the sync on a fresh store")
            try? fm.removeItem(atPath: fetched)
            let curl = try Spawn.run(["/usr/bin/env", "curl", "-sS", "--fail", "--create-dirs"]
                                        + metadata.flatMap { [feedURL + $0, "-o", fetched + "/" + $0] },
                                     environment: environment, in: dir)
            guard curl.exitCode == 0 else { throw BenchError("curl of the metadata failed (\(curl.exitCode)): \(curl.stderr.prefix(500))") }
            fetches.append(curl.wall)
            for p in [odStore, odStore + "-wal", odStore + "-shm", odStore + ".lock", odContent] { try? fm.removeItem(atPath: p) }
            _ = try runner.pulpform("create the on_demand repository", ["apply", "--auto-approve"] + odArgs + [manifest], expect: 0, runs: 1)
            syncs.append(try runner.pulpform("on_demand sync", ["sync"] + odArgs + ["bench-lazy"], expect: 0, runs: 1))
            let (seconds, bytes) = try Self.storeInsert(from: odStore, into: dir + "/insert-floor.db")
            inserts.append(seconds)
            storeBytes = bytes
        }
        let figures = ContentAPIFigures(searchPageUnits: limit, searchPageBytes: first.bytes, searchPageMedianMs: first.ms[first.ms.count / 2],
                                        searchPageMaxMs: first.ms.last ?? 0, lastPageMedianMs: last.ms[last.ms.count / 2],
                                        metadataFetchSeconds: Self.median(fetches), parseSeconds: parseSeconds,
                                        storeInsertSeconds: Self.median(inserts), storeBytes: storeBytes)
        var sync = Self.median(syncs)
        sync.ratioToFloor = sync.wallSeconds / figures.onDemandFloorSeconds
        return (figures, [sync, Self.median(copies), Self.median(removes)])
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    /// The run with the median wall time, counting the runs it stands for.
    static func median(_ runs: [Scenario]) -> Scenario {
        var s = runs.sorted { $0.wallSeconds < $1.wallSeconds }[runs.count / 2]
        s.runs = runs.count
        return s
    }

    /// SQLite alone writing the content rows of `source` into a fresh file with the same tables and indexes:
    /// seconds, and the size of the file written.
    static func storeInsert(from source: String, into target: String) throws -> (Double, Int) {
        for p in [target, target + "-wal", target + "-shm"] { try? FileManager.default.removeItem(atPath: p) }
        let tables = ["content_units", "unit_repodata", "repo_content", "lazy_catalog"]
        var config = Configuration()
        config.foreignKeysEnabled = false
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384")
        }
        let queue = try DatabaseQueue(path: target, configuration: config)
        try queue.inDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [source])
            let schema = try String.fetchAll(db, sql: """
                SELECT sql FROM src.sqlite_master WHERE tbl_name IN ('content_units', 'unit_repodata', 'repo_content', 'lazy_catalog')
                AND sql IS NOT NULL ORDER BY type = 'index', name
                """)
            for sql in schema { try db.execute(sql: sql) }
        }
        let start = DispatchTime.now()
        try queue.inDatabase { db in
            try db.inTransaction {
                for t in tables {
                    try db.execute(sql: "INSERT INTO main.\(t) SELECT * FROM src.\(t) \(t == "repo_content" || t == "lazy_catalog" ? "" : "ORDER BY rowid")")
                }
                return .commit
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        try queue.inDatabase { db in try db.execute(sql: "DETACH DATABASE src") }
        try queue.close()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        return (seconds, bytes)
    }
}
