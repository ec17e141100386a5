import ArgumentParser
import Foundation

/// `pulpform-bench`: generates the S/M/L(/XL) estates, runs every scenario with the real `pulpform` binary,
/// and reports wall time, CPU time, peak RSS, SQLite rows written and remote mutations, with each plan's ratio
/// to the floor measured in the same run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulpform-bench",
        abstract: "Benchmark pulpform on generated estates of 100 to 50,000 repositories, and on synthetic yum feeds.",
        discussion: """
            Build in release mode first; a debug build runs, but its figures mean nothing:
              swift build -c release && .build/release/pulpform-bench --tiers S,M,L
              .build/release/pulpform-bench --tiers "" --content 10000,50000
            Each tier gets a fresh directory with its manifests and stores. Scenarios run the pulpform binary \
            that sits next to this one, so CPU time and peak RSS are measured per process (wait4).
            """)

    @Option(help: "Tiers to run, comma-separated: S (100), M (2,000), L (20,000), XL (50,000); empty for none.")
    var tiers = "S,M,L"

    @Option(help: ArgumentHelp("Content tiers: synthetic yum feeds of these many packages, comma-separated (e.g. 10000,50000).",
                               valueName: "packages"))
    var content = ""

    @Flag(help: "Print the results as JSON on stdout; the table goes to stderr.")
    var json = false

    @Option(help: ArgumentHelp("Directory for the generated manifests and stores (default: a new temporary one).", valueName: "dir"))
    var workDir: String?

    @Option(help: "Runs of each read-only scenario; the median is reported.")
    var repeats = 3

    @Option(help: "Seconds of load in the server throughput scenario (after 0.5 s of warm-up).")
    var loadSeconds = 3.0

    @Option(help: "Concurrent keep-alive clients in the server throughput scenario.")
    var clients = 16

    @Option(help: ArgumentHelp("The pulpform binary (default: the one next to this executable).", valueName: "path"))
    var pulpform: String?

    /// Internal: `--floor-run MANIFEST STORE` does the floor's scan and read and exits, so that the benchmark can
    /// time the floor as a process of its own, built on the same stack as pulpform.
    @Option(parsing: .upToNextOption, help: .hidden)
    var floorRun: [String] = []

    /// Internal: `--feed-server DIR` serves a feed on loopback until killed.
    @Option(help: .hidden)
    var feedServer: String?

    var contentTiers: [Int] { content.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        for t in tiers.split(separator: ",") where Tier.named(String(t)) == nil {
            throw ValidationError("unknown tier \(t): use S, M, L or XL")
        }
        for c in content.split(separator: ",") where Int(c.trimmingCharacters(in: .whitespaces)).map({ $0 < 1 }) ?? true {
            throw ValidationError("--content takes package counts above 0, e.g. 10000,50000")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard loadSeconds > 0 else { throw ValidationError("--load-seconds must be above 0") }
        guard (1...256).contains(clients) else { throw ValidationError("--clients must be between 1 and 256") }
    }

    func run() async throws {
        if let feedServer {
            try await FeedServer.run(directory: feedServer)
            return
        }
        if !floorRun.isEmpty {
            guard floorRun.count == 2 else { throw ValidationError("--floor-run takes a manifest and a store") }
            _ = try Floor.yamlScan(floorRun[0])
            _ = try Floor.storeRead(floorRun[1])
            return
        }
        let binary = pulpform ?? Bench.sibling("pulpform")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no pulpform binary at \(binary): run `swift build -c release` first, or pass --pulpform")
        }
        let root = workDir ?? (NSTemporaryDirectory() + "pulpform-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let build = Bench.isReleaseBuild(binary) ? "release" : "debug"
        var report = Report(machine: Machine.current(), build: build, tiers: [], content: [])
        Report.log("pulpform-bench: \(build) build \(binary), \(report.machine.cores) cores, work directory \(root)")
        if build != "release" { Report.log("warning: not a release build; the figures are not representative") }
        for name in tiers.split(separator: ",") {
            guard let tier = Tier.named(String(name)) else { continue }
            let runner = TierRunner(tier: tier, binary: binary, dir: root + "/" + tier.name, repeats: repeats,
                                    loadSeconds: loadSeconds, clients: clients)
            let result = try runner.run()
            // Tables are for people: on stdout, or on stderr when stdout carries the JSON.
            if json { Report.log(result.table()) } else { print(result.table()) }
            report.tiers.append(result)
        }
        for packages in contentTiers {
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = "1"
            env.removeValue(forKey: "PULPFORM_DB")
            let result = try ContentRunner(packages: packages, binary: binary, dir: root + "/content-\(packages)", repeats: repeats,
                                           environment: env).run()
            if json { Report.log(result.table()) } else { print(result.table()) }
            report.content.append(result)
        }
        if json {
            Report.log(report.checks())
            print(report.json())
        } else {
            print(report.checks())
        }
    }

    /// A file next to this executable.
    static func sibling(_ name: String) -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func isReleaseBuild(_ binary: String) -> Bool {
        binary.contains("/release/") || binary.contains("-release/")
    }
}

/// The machine the figures come from.
struct Machine: Codable {
    var cores: Int
    var memoryGB: Double
    var cpu: String
    var os: String

    static func current() -> Machine {
        let info = ProcessInfo.processInfo
        var cpu = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let value = line.split(separator: ":", maxSplits: 1).last
        {
            cpu = value.trimmingCharacters(in: .whitespaces)
        }
        return Machine(cores: info.activeProcessorCount, memoryGB: (Double(info.physicalMemory) / 1e9 * 10).rounded() / 10,
                       cpu: cpu, os: info.operatingSystemVersionString)
    }
}
