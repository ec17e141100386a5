import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What one run of a child process cost: wall and CPU time, and its peak resident set.
struct Measured: Sendable {
    var exitCode: Int32
    var wall: Double
    var cpu: Double
    var peakRSSMegabytes: Double
    var stdout: String
    var stderr: String
}

enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `arguments` (the first is the executable) to completion with `wait4`, so the CPU time and peak
    /// RSS are the child's alone.
    static func run(_ arguments: [String], environment: [String: String], in dir: String) throws -> Measured {
        let out = dir + "/.stdout", err = dir + "/.stderr"
        let start = DispatchTime.now()
        let pid = try launch(arguments, environment: environment, stdout: out, stderr: err)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw Failure(description: "wait4: \(String(cString: strerror(errno)))") }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime)
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Measured(exitCode: code, wall: wall, cpu: cpu, peakRSSMegabytes: Double(usage.ru_maxrss) / 1024,
                        stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                        stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Starts a child with stdout and stderr going to files; returns its pid.
    static func launch(_ arguments: [String], environment: [String: String], stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard rc == 0 else { throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
}

/// A `pulpform serve` child on an ephemeral loopback port.
final class ServeChild {
    let pid: pid_t
    let port: Int
    let statsPath: String
    let stderrPath: String

    init(binary: String, store: String, dir: String, name: String, environment: [String: String]) throws {
        statsPath = "\(dir)/\(name).stats.json"
        stderrPath = "\(dir)/\(name).stderr"
        var env = environment
        env["PULPFORM_STATS"] = statsPath
        pid = try Spawn.launch([binary, "serve", "--store", store, "--bind", "127.0.0.1:0", "--log-level", "error",
                                "--no-scheduler"],
                               environment: env, stdout: "\(dir)/\(name).stdout", stderr: stderrPath)
        // The bound port is printed on stderr: "pulpform serving ... on http://127.0.0.1:PORT/pulp/api/v2/".
        let deadline = Date().addingTimeInterval(30)
        var found: Int?
        while found == nil, Date() < deadline {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let r = text.range(of: "http://127.0.0.1:") {
                found = Int(text[r.upperBound...].prefix { $0.isNumber })
            } else {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { break }
                usleep(20_000)
            }
        }
        guard let found else {
            kill(pid, SIGKILL)
            throw Spawn.Failure(description: "pulpform serve did not start: \((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    /// SIGTERM, wait, and read the stats the server wrote on the way out.
    func stop() -> [String: Any] {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        guard let data = FileManager.default.contents(atPath: statsPath),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }
}
