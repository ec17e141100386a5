import Foundation

/// `PULPFORM_TRACE=1`: the wall time of each phase of a run, on stderr (for profiling; see docs/PERFORMANCE.md).
public enum Trace {
    public static let enabled = ProcessInfo.processInfo.environment["PULPFORM_TRACE"] == "1"
    /// When the process started (from /proc/self/stat would be exact; the first use is close enough).
    nonisolated(unsafe) public static var start = DispatchTime.now().uptimeNanoseconds

    /// Runs `body` and reports how long it took.
    public static func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        report(name, since: t0)
        return result
    }

    public static func phase<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        guard enabled else { return try await body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let result = try await body()
        report(name, since: t0)
        return result
    }

    public static func report(_ name: String, since t0: UInt64) {
        let now = Double(DispatchTime.now().uptimeNanoseconds)
        FileHandle.standardError.write(Data((String(format: "trace: %@ %7.1f ms (at %7.1f ms, peak RSS %4d MB)", name.padding(toLength: 22, withPad: " ", startingAt: 0),
                          (now - Double(t0)) / 1e6, (now - Double(start)) / 1e6, peakMegabytes()) + "\n").utf8))
    }

    /// The process's peak resident set so far (VmHWM), or 0 where /proc is missing.
    public static func peakMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }
}
