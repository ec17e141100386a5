public import Foundation

/// Runs the built `pulpform` binary, as a user would.
public struct CLI {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The binary next to the test bundle (`.build/<config>/pulpform`).
    public static func binary() throws -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("pulpform")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw CLIError(message: "pulpform binary not found near \(CommandLine.arguments[0]); run `swift build` first")
    }

    public struct CLIError: Error, CustomStringConvertible {
        public let message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }

    /// The package root, for the shipped examples.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `stdin` is what the command reads on standard input (nothing when nil).
    public static func run(_ args: [String], environment: [String: String] = [:], cwd: URL? = nil, stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = cwd ?? packageRoot
        // Files, not pipes: a child that fills one pipe while we drain the other would hang.
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("pulpform-out-\(UUID().uuidString)")
        let errURL = dir.appendingPathComponent("pulpform-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let inURL = dir.appendingPathComponent("pulpform-in-\(UUID().uuidString)")
            try Data(stdin.utf8).write(to: inURL)
            p.standardInput = try FileHandle(forReadingFrom: inURL)
            try? FileManager.default.removeItem(at: inURL)
        } else {
            p.standardInput = FileHandle.nullDevice
        }
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let o = (try? Data(contentsOf: outURL)) ?? Data()
        let e = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

public final class ServeProcess {
    public let process = Process()
    public let log: URL
    public private(set) var port = 0

    /// Without `authenticated`, the server runs with `--auth none` (loopback); with it, the store needs a super-user
    /// and every API request credentials.
    public init(store: String, extra: [String] = [], authenticated: Bool = false) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("pulpform-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = try CLI.binary()
        process.arguments = ["serve", "--store", store, "--bind", "127.0.0.1:0"] + (authenticated ? [] : ["--auth", "none"]) + extra
        let handle = try FileHandle(forWritingTo: log)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        for _ in 0..<500 {
            if let text = try? String(contentsOf: log, encoding: .utf8),
               let range = text.range(of: "://127.0.0.1:"),
               let p = Int(text[range.upperBound...].prefix { $0.isNumber })
            {
                port = p
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw CLI.CLIError(message: "pulpform serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// `https` when the server said it serves TLS.
    public var scheme: String { output.contains("on https://127.0.0.1:") ? "https" : "http" }
    public var base: String { "\(scheme)://127.0.0.1:\(port)/pulp/api/v2/" }
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGKILL, then wait: a crash, with nothing cleaned up.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then wait; returns the exit status.
    public func stop() -> Int32 {
        Foundation.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: log)
    }
}

/// Runs a tool found on the PATH (`env`'s lookup) and returns its exit status and output. Output goes to files,
/// not pipes, so a tool that fills one while we wait cannot hang.
public func runTool(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let tmp = try TempDir()
    let o = tmp.path("out"), e = tmp.path("err")
    _ = FileManager.default.createFile(atPath: o, contents: nil)
    _ = FileManager.default.createFile(atPath: e, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: o))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: e))
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return (p.terminationStatus, (try? String(contentsOfFile: o, encoding: .utf8)) ?? "", (try? String(contentsOfFile: e, encoding: .utf8)) ?? "")
}

/// curl, as in the README.
public func curl(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
    try runTool(["curl", "-sS", "--max-time", "120"] + args)
}

/// `PUT` of a JSON body to `<base>pulp/api/v2/<path>` with curl; returns the HTTP status code.
public func apiPut(_ base: String, _ path: String, _ body: String) throws -> String {
    try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json", "-d", body,
              "\(base)pulp/api/v2/\(path)"]).out
}

/// A long-running `pulpform` command (`watch`), its stdout and stderr in files of their own.
public final class BackgroundCLI {
    public let process = Process()
    let out: URL
    let err: URL

    public init(_ args: [String], environment: [String: String] = [:]) throws {
        let dir = FileManager.default.temporaryDirectory
        out = dir.appendingPathComponent("pulpform-bg-out-\(UUID().uuidString)")
        err = dir.appendingPathComponent("pulpform-bg-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = try CLI.binary()
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = CLI.packageRoot
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds (checked every 50 ms), the process exits, or `timeout` seconds pass; returns
    /// whether it held.
    @discardableResult
    public func wait(timeout: Double = 30, until condition: () throws -> Bool) rethrows -> Bool {
        try waitUntil(timeout: timeout) { try condition() || !process.isRunning }
        return try condition()
    }

    /// The port printed after `marker` (`metrics on http://127.0.0.1:`) on stderr.
    public func port(after marker: String, timeout: Double = 30) -> Int? {
        var port: Int?
        wait(timeout: timeout) {
            if let r = stderr.range(of: marker) { port = Int(stderr[r.upperBound...].prefix { $0.isNumber }) }
            return port != nil
        }
        return port
    }

    /// SIGTERM, then wait; returns the exit status.
    public func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the process to exit by itself; returns its status.
    public func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
    }
}

/// Prometheus' text format: the value of a sample, by name and labels as printed (`pulpform_objects{state="in_sync"}`).
public func metricValue(_ text: String, _ sample: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
        return Double(line.dropFirst(sample.count + 1))
    }
    return nil
}

/// Waits until `condition` holds, checking every 50 ms for up to `timeout` seconds; returns whether it held.
@discardableResult
public func waitUntil(timeout: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
