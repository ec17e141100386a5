import ChildProcess
import Foundation

/// One scenario's figures.
struct Scenario: Codable {
    var name: String
    var command: String
    var exitCode: Int32
    var expectedExitCode: Int32
    var wallSeconds: Double
    var cpuSeconds: Double
    var peakRSSMegabytes: Double
    /// Rows inserted, updated or deleted in SQLite (the store's `total_changes`), by the process itself or,
    /// for remote scenarios, by the server.
    var sqliteRowsWritten: Int?
    /// Mutating requests the server received (anything but GET and searches).
    var remoteMutations: Int?
    /// Requests by kind, for remote scenarios (e.g. `GET /tasks/<id>/`, `POST /tasks/search/`).
    var remoteRequests: [String: Int]?
    /// Wall time ÷ the floor, for plan-like scenarios.
    var ratioToFloor: Double?
    var runs: Int
}

/// Server throughput figures.
struct Throughput: Codable {
    var clients: Int
    var getDetailsRequestsPerSecond: Double
    var getDetailsRequests: Int
    var getDetailsFailures: Int
    var searchPageRepositories: Int
    var searchPageBytes: Int
    var searchPageMedianMs: Double
    var searchPageMaxMs: Double
    /// What authentication costs the same GETs (nil when wrk is not installed).
    var auth: AuthCost?
}

struct Floors: Codable {
    var yamlScanSeconds: Double
    var yamlEvents: Int
    var storeReadSeconds: Double
    var storeRows: Int
    var totalSeconds: Double
    /// Not part of the floor: the median wall time of `pulpform --version`, what any run of the binary costs
    /// before it does anything. It shows how much of a small tier's ratio is start-up.
    var processStartSeconds: Double?
    /// Not part of the floor either: the same scan and read done by a process of their own (this benchmark's
    /// binary, built on pulpform's stack: Foundation, swift-argument-parser, GRDB, libyaml), median wall time.
    var asProcessSeconds: Double?
}

struct TierResult: Codable {
    var tier: String
    var repositories: Int
    var manifestBytes: Int
    var floor: Floors
    var scenarios: [Scenario]
    var server: Throughput?
}

/// Runs every scenario of one tier in order, each on the state the previous one left.
struct TierRunner {
    let tier: Tier
    let binary: String
    let dir: String
    let repeats: Int
    let loadSeconds: Double
    let clients: Int

    var store: String { dir + "/pulpform.db" }

    static let watchRuns = 10
    static let watchInterval = 0.1
    static let watchScenario = "watch, \(watchRuns) quiet runs"
    var baseline: String { dir + "/estate.yaml" }
    var drifted: String { dir + "/estate-drifted.yaml" }

    func run() throws -> TierResult {
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let workload = Workload(count: tier.repositories)
        Report.log("\n[\(tier.name)] generating \(tier.repositories) repositories in \(dir)")
        try workload.manifest(drifted: false).write(toFile: baseline, atomically: true, encoding: .utf8)
        try workload.manifest(drifted: true).write(toFile: drifted, atomically: true, encoding: .utf8)
        let bytes = (try? fm.attributesOfItem(atPath: baseline)[.size] as? Int) ?? 0

        var scenarios: [Scenario] = []
        scenarios.append(try pulpform("cold apply", ["apply", "--auto-approve", "--store", store, baseline], expect: 0, runs: 1))

        // The floor, on the same file and store: best of the repeats.
        var scans: [(seconds: Double, events: Int)] = []
        var reads: [(seconds: Double, rows: Int)] = []
        for _ in 0..<max(3, repeats) {
            scans.append(try Floor.yamlScan(baseline))
            reads.append(try Floor.storeRead(store))
        }
        let scan = scans.min { $0.seconds < $1.seconds } ?? (0, 0)
        let read = reads.min { $0.seconds < $1.seconds } ?? (0, 0)
        func median(_ args: [String]) throws -> Double {
            var walls: [Double] = []
            for _ in 0..<11 { walls.append(try Spawn.run(args, environment: environment, in: dir).wall) }
            return walls.sorted()[walls.count / 2]
        }
        let floor = Floors(yamlScanSeconds: scan.seconds, yamlEvents: scan.events, storeReadSeconds: read.seconds,
                           storeRows: read.rows, totalSeconds: scan.seconds + read.seconds,
                           processStartSeconds: try median([binary, "--version"]),
                           asProcessSeconds: try median([Bench.sibling("pulpform-bench"), "--floor-run", baseline, store]))

        func withRatio(_ s: Scenario) -> Scenario {
            var s = s
            s.ratioToFloor = floor.totalSeconds > 0 ? s.wallSeconds / floor.totalSeconds : nil
            return s
        }
        scenarios.append(withRatio(try pulpform("no-op plan", ["plan", "--detailed-exitcode", "--store", store, baseline],
                                                expect: 0, runs: repeats)))
        scenarios.append(withRatio(try pulpform("drift", ["drift", "--store", store, baseline], expect: 0, runs: repeats)))
        // The controller with nothing to do: one process, `watchRuns` runs an interval apart; its cost per run is
        // compared with a no-op plan's.
        scenarios.append(try pulpform(Self.watchScenario, ["watch", "--store", store, "--interval", "\(Int(Self.watchInterval * 1000))ms",
                                                           "--max-runs", "\(Self.watchRuns)", baseline], expect: 0, runs: 1))
        scenarios.append(withRatio(try pulpform("1% drift plan", ["plan", "--prune", "--detailed-exitcode", "--store", store, drifted],
                                                expect: 2, runs: repeats)))
        scenarios.append(try pulpform("1% drift apply", ["apply", "--auto-approve", "--prune", "--store", store, drifted],
                                      expect: 0, runs: 1))

        // Over HTTP: a fresh `pulpform serve` per scenario, so its counters belong to that scenario alone.
        let state = dir + "/remote-state.json"
        var server = try ServeChild(binary: binary, store: store, dir: dir, name: "serve-plan", environment: environment)
        var remote = try pulpform("remote no-op plan", ["plan", "--detailed-exitcode", "--target", server.url, "--state", state, drifted],
                                  expect: 0, runs: repeats)
        remote.absorb(server.stop())
        scenarios.append(withRatio(remote))

        server = try ServeChild(binary: binary, store: store, dir: dir, name: "serve-apply", environment: environment)
        var remoteApply = try pulpform("remote 1% drift apply",
                                       ["apply", "--auto-approve", "--prune", "--target", server.url, "--state", state, baseline],
                                       expect: 0, runs: 1)
        remoteApply.absorb(server.stop())
        scenarios.append(remoteApply)

        server = try ServeChild(binary: binary, store: store, dir: dir, name: "serve-load", environment: environment)
        let measured = Result { try measureServer(server, workload: workload) }
        _ = server.stop()
        var throughput = try measured.get()
        throughput.auth = try measureAuthCost(workload: workload)
        return TierResult(tier: tier.name, repositories: tier.repositories, manifestBytes: bytes, floor: floor,
                          scenarios: scenarios, server: throughput)
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "PULPFORM_DB")
        return env
    }

    /// Runs `pulpform ARGS` `runs` times and reports the median wall time (with that run's other figures).
    func pulpform(_ name: String, _ args: [String], expect: Int32, runs: Int) throws -> Scenario {
        Report.log("[\(tier.name)] \(name): pulpform \(args.joined(separator: " "))")
        var results: [(Measured, [String: Any])] = []
        var runs = runs
        var i = 0
        while i < runs {
            defer { i += 1 }
            let stats = "\(dir)/stats-\(i).json"
            try? FileManager.default.removeItem(atPath: stats)
            var env = environment
            env["PULPFORM_STATS"] = stats
            let m = try Spawn.run([binary] + args, environment: env, in: dir)
            let data = FileManager.default.contents(atPath: stats) ?? Data()
            let s = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            if m.exitCode != expect {
                Report.log("  unexpected exit \(m.exitCode) (expected \(expect)):\n" + m.stderr.split(separator: "\n").suffix(15).joined(separator: "\n"))
            }
            results.append((m, s))
            // A run of milliseconds is at the mercy of the scheduler: such scenarios get the median of 11 runs.
            if i == 0, runs > 1, m.wall < 0.1 { runs = max(runs, 11) }
        }
        let sorted = results.sorted { $0.0.wall < $1.0.wall }
        let (m, s) = sorted[sorted.count / 2]
        return Scenario(name: name, command: "pulpform " + args.map { $0.hasPrefix(dir) ? String($0.dropFirst(dir.count + 1)) : $0 }
                            .joined(separator: " "),
                        exitCode: m.exitCode, expectedExitCode: expect, wallSeconds: m.wall, cpuSeconds: m.cpu,
                        peakRSSMegabytes: (s["peak_rss_kb"] as? Int).map { Double($0) / 1024 } ?? m.peakRSSMegabytes,
                        sqliteRowsWritten: s["sqlite_rows_written"] as? Int,
                        remoteMutations: nil, remoteRequests: nil, ratioToFloor: nil, runs: runs)
    }

    func measureServer(_ server: ServeChild, workload: Workload) throws -> Throughput {
        Report.log("[\(tier.name)] server throughput: \(clients) keep-alive clients, \(loadSeconds) s")
        let paths = workload.ids(limit: 2_000).map { "/pulp/api/v2/repositories/\($0)/?details=true" }
        let load = Load.run(port: server.port, clients: clients, seconds: loadSeconds, paths: paths)
        let body = #"{"criteria": {"sort": [["id", "ascending"]], "limit": 2000}, "importers": true, "distributors": true}"#
        let (ms, bytes) = try Load.latencies(port: server.port, runs: 10, "POST", "/pulp/api/v2/repositories/search/", body: body)
        return Throughput(clients: clients, getDetailsRequestsPerSecond: load.requestsPerSecond, getDetailsRequests: load.requests,
                          getDetailsFailures: load.failures, searchPageRepositories: min(2_000, tier.repositories),
                          searchPageBytes: bytes, searchPageMedianMs: ms[ms.count / 2], searchPageMaxMs: ms.last ?? 0)
    }
}

extension Scenario {
    /// Adds what the server counted while this scenario ran (all its runs).
    mutating func absorb(_ stats: [String: Any]) {
        sqliteRowsWritten = stats["sqlite_rows_written"] as? Int
        remoteMutations = stats["mutations"] as? Int
        remoteRequests = stats["requests"] as? [String: Int]
    }
}
