import Foundation

/// The whole run: tables for people, JSON for machines, and the targets checked.
struct Report: Codable {
    var machine: Machine
    var build: String
    var tiers: [TierResult]
    var content: [ContentTierResult]

    static func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A target and whether this run meets it.
    struct Check {
        var target: String
        var measured: String
        var ok: Bool
    }

    func tier(_ name: String) -> TierResult? { tiers.first { $0.tier == name } }

    func evaluate() -> [Check] {
        var out: [Check] = []
        func f(_ s: Double) -> String { Report.seconds(s) }
        if let l = tier("L"), let plan = l.scenario("no-op plan") {
            out.append(Check(target: "no-op plan, L: ≤ 1.0 s and ≤ 2× the floor",
                             measured: "\(f(plan.wallSeconds)), \(Report.ratio(plan.ratioToFloor))",
                             ok: plan.wallSeconds <= 1.0 && (plan.ratioToFloor ?? 99) <= 2.0))
        }
        for t in tiers {
            if let plan = t.scenario("no-op plan") {
                out.append(Check(target: "no-op plan, \(t.tier): ≤ 2.5× the floor", measured: Report.ratio(plan.ratioToFloor),
                                 ok: (plan.ratioToFloor ?? 99) <= 2.5))
            }
            if let plan = t.scenario("no-op plan"), let watch = t.scenario(TierRunner.watchScenario) {
                // Per run: the process's CPU, and its wall time less the waits between runs.
                let n = Double(TierRunner.watchRuns)
                let cpu = watch.cpuSeconds / n
                let wall = (watch.wallSeconds - (n - 1) * TierRunner.watchInterval) / n
                out.append(Check(target: "watch with no drift, \(t.tier): per run ≤ a no-op plan (CPU and wall)",
                                 measured: "\(f(cpu)) CPU, \(f(wall)) wall per run vs \(f(plan.cpuSeconds)), \(f(plan.wallSeconds))"
                                     + String(format: " (%.2f× the plan's CPU)", cpu / max(plan.cpuSeconds, 1e-9)),
                                 ok: cpu <= plan.cpuSeconds && wall <= plan.wallSeconds))
            }
            if let plan = t.scenario("no-op plan"), let drift = t.scenario("1% drift plan") {
                out.append(Check(target: "1% drift plan, \(t.tier): ≤ no-op plan + 10%",
                                 measured: "\(f(drift.wallSeconds)) vs \(f(plan.wallSeconds))",
                                 ok: drift.wallSeconds <= plan.wallSeconds * 1.1))
            }
            for name in ["no-op plan", "drift", "remote no-op plan"] {
                if let s = t.scenario(name) {
                    let writes = s.sqliteRowsWritten ?? -1, mutations = s.remoteMutations ?? 0
                    out.append(Check(target: "\(name), \(t.tier): no store writes, no remote mutations",
                                     measured: "\(writes) rows written, \(mutations) mutations", ok: writes == 0 && mutations == 0))
                }
            }
            if let s = t.scenario("remote 1% drift apply"), let requests = s.remoteRequests {
                let gets = requests["GET /tasks/<id>/"] ?? 0, searches = requests["POST /tasks/search/"] ?? 0
                out.append(Check(target: "task waits, \(t.tier): batched tasks/search, no GET per task",
                                 measured: "\(searches) searches, \(gets) task GETs", ok: gets == 0))
            }
            if let server = t.server {
                out.append(Check(target: "GET details, \(t.tier): ≥ 5,000 requests/s with \(server.clients) clients",
                                 measured: String(format: "%.0f requests/s", server.getDetailsRequestsPerSecond),
                                 ok: server.getDetailsRequestsPerSecond >= 5_000 && server.getDetailsFailures == 0))
                if let a = server.auth {
                    out.append(Check(target: "GET details with Basic on a warm cache, \(t.tier): ≥ 90% of no authentication",
                                     measured: String(format: "%.0f%% (%.0f vs %.0f requests/s)", a.basicRatio * 100, a.basicRequestsPerSecond, a.plainRequestsPerSecond),
                                     ok: a.basicRatio >= 0.9 && a.failures == 0))
                    out.append(Check(target: "GET details with Basic over TLS, \(t.tier): ≥ 70% of no authentication",
                                     measured: String(format: "%.0f%% (%.0f vs %.0f requests/s)", a.tlsRatio * 100, a.tlsBasicRequestsPerSecond, a.plainRequestsPerSecond),
                                     ok: a.tlsRatio >= 0.7 && a.failures == 0))
                }
                if server.searchPageRepositories >= 2_000 {
                    out.append(Check(target: "search page of 2,000 with details, \(t.tier): ≤ 150 ms",
                                     measured: String(format: "%.0f ms median", server.searchPageMedianMs),
                                     ok: server.searchPageMedianMs <= 150))
                }
            }
            if let wrong = t.scenarios.first(where: { $0.exitCode != $0.expectedExitCode }) {
                out.append(Check(target: "\(wrong.name), \(t.tier): exit \(wrong.expectedExitCode)", measured: "exit \(wrong.exitCode)", ok: false))
            }
        }
        if let l = tier("L") {
            if let apply = l.scenario("cold apply") {
                out.append(Check(target: "cold apply, L: ≤ 3 s", measured: f(apply.wallSeconds), ok: apply.wallSeconds <= 3))
            }
            let rss = l.scenarios.map(\.peakRSSMegabytes).max() ?? 0
            out.append(Check(target: "peak RSS, L: ≤ 300 MB", measured: String(format: "%.0f MB", rss), ok: rss <= 300))
            if let m = tier("M") {
                for s in l.scenarios {
                    guard let ms = m.scenario(s.name), ms.wallSeconds > 0 else { continue }
                    let r = s.wallSeconds / ms.wallSeconds
                    out.append(Check(target: "\(s.name): time at L ÷ time at M ≤ 12", measured: String(format: "%.1f", r), ok: r <= 12))
                }
            }
        }
        for c in content {
            let n = c.packages.formatted()
            if let wrong = c.scenarios.first(where: { $0.exitCode != $0.expectedExitCode }) {
                out.append(Check(target: "\(wrong.name), \(n) packages: exit \(wrong.expectedExitCode)", measured: "exit \(wrong.exitCode)", ok: false))
            }
            out.append(Check(target: "sync, \(n) packages: every package stored", measured: "\(c.addedCount ?? 0) rpm units",
                             ok: c.addedCount == c.packages))
            if c.packages == 10_000, let sync = c.scenario("sync") {
                out.append(Check(target: "sync, 10,000 packages: ≤ 1.5× its floor", measured: Report.ratio(sync.ratioToFloor),
                                 ok: (sync.ratioToFloor ?? 99) <= 1.5))
            }
            if c.packages == 50_000 {
                if let sync = c.scenario("sync") {
                    out.append(Check(target: "sync, 50,000 packages: peak RSS ≤ 300 MB",
                                     measured: String(format: "%.0f MB", sync.peakRSSMegabytes), ok: sync.peakRSSMegabytes <= 300))
                }
                if let resync = c.scenario("re-sync, unchanged feed") {
                    out.append(Check(target: "re-sync of an unchanged feed, 50,000 packages: ≤ 100 ms",
                                     measured: f(resync.wallSeconds), ok: resync.wallSeconds <= 0.1))
                }
                if let publish = c.scenario("publish") {
                    out.append(Check(target: "publish, 50,000 packages: ≤ 10 s and ≤ 2× a plain gzip of the same XML",
                                     measured: "\(f(publish.wallSeconds)), \(publish.ratioToFloor.map { String(format: "%.2f× gzip", $0) } ?? "-")",
                                     ok: publish.wallSeconds <= 10 && (publish.ratioToFloor ?? 99) <= 2))
                }
                if let od = c.scenario("on_demand sync"), let apis = c.apis {
                    out.append(Check(target: "on_demand sync, 50,000 packages: ≤ 1.2× its floor (metadata fetch + parse)",
                                     measured: Report.ratio(od.ratioToFloor)
                                        + String(format: " (%.2f× the floor plus SQLite's insert of its rows)",
                                                 od.wallSeconds / (apis.onDemandFloorSeconds + apis.storeInsertSeconds)),
                                     ok: (od.ratioToFloor ?? 99) <= 1.2))
                }
                if let copy = c.scenario("copy every unit") {
                    out.append(Check(target: "copy of 50,000 units: ≤ 2 s", measured: f(copy.wallSeconds), ok: copy.wallSeconds <= 2))
                }
                if let apis = c.apis {
                    out.append(Check(target: "search/units page of 2,000 units: ≤ 150 ms",
                                     measured: String(format: "%.0f ms median, last page %.0f ms", apis.searchPageMedianMs, apis.lastPageMedianMs),
                                     ok: apis.searchPageMedianMs <= 150 && apis.lastPageMedianMs <= 150))
                }
            }
        }
        if let m = tier("M"), let remote = m.scenario("remote no-op plan") {
            out.append(Check(target: "remote no-op plan, M: ≤ 1.5 s", measured: f(remote.wallSeconds), ok: remote.wallSeconds <= 1.5))
        }
        return out
    }

    func checks() -> String {
        let list = evaluate()
        guard !list.isEmpty else { return "" }
        let width = list.map(\.target.count).max() ?? 0
        var lines = ["", "Targets (\(list.filter(\.ok).count) of \(list.count) met):"]
        for c in list {
            lines.append("  \(c.ok ? "ok  " : "MISS") \(c.target.padding(toLength: width, withPad: " ", startingAt: 0))  \(c.measured)")
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(_ s: Double) -> String {
        s < 1 ? String(format: "%.0f ms", s * 1000) : String(format: "%.2f s", s)
    }

    /// The scenarios as aligned rows: the name left, the figures right; `remote` adds the server's mutations.
    static func scenarioTable(_ scenarios: [Scenario], remote: Bool) -> [String] {
        let header = ["scenario", "exit", "wall", "cpu", "peak rss", "sqlite rows"] + (remote ? ["remote mut."] : []) + ["× floor"]
        var rows = [header]
        for s in scenarios {
            let exit: String = s.exitCode == s.expectedExitCode ? "\(s.exitCode)" : "\(s.exitCode)!"
            var row: [String] = [s.name, exit, seconds(s.wallSeconds), seconds(s.cpuSeconds), String(format: "%.0f MB", s.peakRSSMegabytes)]
            row.append(s.sqliteRowsWritten.map { String($0) } ?? "-")
            if remote { row.append(s.remoteMutations.map { String($0) } ?? "-") }
            row.append(s.ratioToFloor.map { String(format: "%.2f", $0) } ?? "")
            rows.append(row)
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            "  " + r.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
    }

    static func ratio(_ r: Double?) -> String { r.map { String(format: "%.2f× floor", $0) } ?? "-" }
}

extension TierResult {
    func scenario(_ name: String) -> Scenario? { scenarios.first { $0.name == name } }

    func table() -> String {
        let f = floor
        var lines = [
            "",
            "Tier \(tier): \(repositories) repositories, manifest \(String(format: "%.1f", Double(manifestBytes) / 1e6)) MB",
            "  floor \(Report.seconds(f.totalSeconds)) = libyaml event scan \(Report.seconds(f.yamlScanSeconds)) (\(f.yamlEvents) events)"
                + " + store read of (id, hash) \(Report.seconds(f.storeReadSeconds)) (\(f.storeRows) rows)",
            "  not part of the floor: process start-up (pulpform --version) \(f.processStartSeconds.map(Report.seconds) ?? "-")"
                + "; the floor's scan and read as a process of their own \(f.asProcessSeconds.map(Report.seconds) ?? "-")"
                + (scenario("no-op plan").flatMap { plan in f.asProcessSeconds.map { String(format: " (no-op plan ÷ that: %.2f)", plan.wallSeconds / $0) } } ?? ""),
        ]
        lines += Report.scenarioTable(scenarios, remote: true)
        if let s = server {
            lines.append(String(format: "  server: GET /repositories/<id>/?details=true %.0f requests/s (%d clients, %d failures);",
                                s.getDetailsRequestsPerSecond, s.clients, s.getDetailsFailures)
                + String(format: " search page of %d with importers and distributors %.0f ms median, %.0f ms max (%.1f MB)",
                         s.searchPageRepositories, s.searchPageMedianMs, s.searchPageMaxMs, Double(s.searchPageBytes) / 1e6))
        }
        if let a = server?.auth {
            lines.append(String(format: "  authentication (wrk, %d clients): no auth %.0f requests/s; Basic %.0f (%.2f×); Basic over TLS %.0f (%.2f×)",
                                a.clients, a.plainRequestsPerSecond, a.basicRequestsPerSecond, a.basicRatio,
                                a.tlsBasicRequestsPerSecond, a.tlsRatio))
        }
        for s in scenarios where s.remoteRequests != nil {
            let list = (s.remoteRequests ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            lines.append("  \(s.name) requests: \(list)")
        }
        return lines.joined(separator: "\n")
    }
}

extension ContentTierResult {
    func table() -> String {
        let f = floor
        var lines = [
            "",
            "Content: \(packages) packages (\(String(format: "%.1f", Double(packageBytes) / 1e6)) MB of package files), max_downloads \(maxDownloads)",
            "  sync floor \(Report.seconds(f.syncSeconds)) = curl --parallel of every package to files \(Report.seconds(f.curlSeconds))"
                + " (cpu \(Report.seconds(f.curlCPUSeconds))) + zlib and <package> cut of the metadata \(Report.seconds(f.parseSeconds))"
                + " (\(f.parsedPackages) elements)",
            "  sync and curl in \(f.rounds) round\(f.rounds == 1 ? "" : "s") (medians compared): curl "
                + f.curlRuns.map(Report.seconds).joined(separator: ", ") + "; sync " + f.syncRuns.map(Report.seconds).joined(separator: ", "),
            "  publish floor: gzip -6 of the published XML \(f.gzipSeconds.map(Report.seconds) ?? "-")"
                + " (\(String(format: "%.1f", Double(f.xmlBytes ?? 0) / 1e6)) MB)",
        ]
        if let a = apis {
            lines.append("  on_demand sync floor \(Report.seconds(a.onDemandFloorSeconds)) = curl of repomd.xml and the metadata \(Report.seconds(a.metadataFetchSeconds))"
                + " + the parse above; not part of it: SQLite's insert of the rows the sync stored \(Report.seconds(a.storeInsertSeconds))"
                + " (\(String(format: "%.0f", Double(a.storeBytes) / 1e6)) MB)")
        }
        lines += Report.scenarioTable(scenarios, remote: false)
        if let a = apis {
            lines.append(String(format: "  search/units page of %d units with snippets (%.1f MB): %.0f ms median, %.0f ms max; last page %.0f ms median",
                                a.searchPageUnits, Double(a.searchPageBytes) / 1e6, a.searchPageMedianMs, a.searchPageMaxMs, a.lastPageMedianMs))
        }
        return lines.joined(separator: "\n")
    }
}
