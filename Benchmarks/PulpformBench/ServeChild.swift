import ChildProcess
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A server child on an ephemeral loopback port: `pulpform serve`, or the benchmark's own feed server.
final class ServeChild {
    let pid: pid_t
    let port: Int
    let statsPath: String
    let stderrPath: String

    convenience init(binary: String, store: String, dir: String, name: String, environment: [String: String]) throws {
        try self.init(arguments: [binary, "serve", "--store", store, "--bind", "127.0.0.1:0", "--auth", "none", "--log-level", "error", "--no-scheduler"],
                      dir: dir, name: name, environment: environment)
    }

    init(arguments: [String], dir: String, name: String, environment: [String: String]) throws {
        statsPath = "\(dir)/\(name).stats.json"
        stderrPath = "\(dir)/\(name).stderr"
        var env = environment
        env["PULPFORM_STATS"] = statsPath
        pid = try Spawn.launch(arguments, environment: env, stdout: "\(dir)/\(name).stdout", stderr: stderrPath)
        // The bound port is printed on stderr: "... on http(s)://127.0.0.1:PORT/...".
        let deadline = Date().addingTimeInterval(30)
        var found: Int?
        while found == nil, Date() < deadline {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let r = text.range(of: "://127.0.0.1:") {
                found = Int(text[r.upperBound...].prefix { $0.isNumber })
            } else {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { break }
                usleep(20_000)
            }
        }
        guard let found else {
            kill(pid, SIGKILL)
            throw Spawn.Failure(description: "\(arguments[0]) \(arguments.dropFirst().first ?? "") did not start: \((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")")
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
