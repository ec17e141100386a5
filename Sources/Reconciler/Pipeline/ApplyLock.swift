import Foundation
import PulpModel

#if canImport(Glibc)
import Glibc
#endif

/// One apply at a time per store: an exclusive `flock` on `<store>.lock`, released by the kernel even when
/// the process is killed. The file names the holder.
public final class ApplyLock {
    public let path: String
    private let fd: Int32

    public struct Held: Error, CustomStringConvertible {
        public let path: String
        public let holder: String
        public var description: String { "another apply holds the lock \(path): \(holder)" }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(storePath: String) throws {
        path = storePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
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

/// How applies on one target keep out of each other's way.
public protocol Locker: Sendable {
    /// Takes the target-wide lock for one apply, held until the lock is released or the process dies; nil
    /// where the target has none. Throws `ApplyLock.Held`, naming the holder, when another apply has it.
    func lockApply() throws -> ApplyLock?
    /// Leases on the repositories the apply writes, where applies share no lock (a live server).
    func leases(groupId: String) -> LeaseOptions?
}

/// The embedded store: one apply at a time, with a `flock` beside the store file.
public struct StoreLocker: Locker {
    public let storePath: String

    public init(storePath: String) { self.storePath = storePath }

    public func lockApply() throws -> ApplyLock? { try ApplyLock(storePath: storePath) }
    public func leases(groupId: String) -> LeaseOptions? { nil }
}

/// A live server: applies from anywhere run side by side, each leasing the repositories it writes.
public struct LeaseLocker: Locker {
    public init() {}

    public func lockApply() throws -> ApplyLock? { nil }

    public func leases(groupId: String) -> LeaseOptions? {
        LeaseOptions(holder: "pulpform-\(ProcessInfo.processInfo.processIdentifier)-\(ProcessInfo.processInfo.hostName)-\(groupId.prefix(8))")
    }
}
