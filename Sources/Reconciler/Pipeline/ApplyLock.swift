import Foundation
import PulpContract
import PulpModel

#if canImport(Glibc)
import Glibc
#endif

/// One apply at a time per store: an exclusive `flock` on `<store>.lock`, released by the kernel even when
/// the process is killed. The file names the holder.
final class ApplyLock {
    let path: String
    private let fd: Int32

    struct Held: Error, CustomStringConvertible {
        let path: String
        let holder: String
        var description: String { "another apply holds the lock \(path): \(holder)" }
    }

    init(storePath: String) throws {
        path = storePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let data = FileManager.default.contents(atPath: path) ?? Data()
            let holder = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw Held(path: path, holder: holder.isEmpty ? "unknown holder" : holder)
        }
        let info = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(PulpDateTime(Date()).iso8601)\n"
        _ = ftruncate(fd, 0)
        _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}

