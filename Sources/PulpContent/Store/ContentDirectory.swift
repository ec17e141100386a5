public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The content directory: unit files addressed by sha256 and shared between repositories, and published trees.
///
///     <root>/units/<aa>/<sha256>                        a unit's file
///     <root>/tmp/s-<pid>-<id>/                          this process's downloads and trees being built (same file
///                                                       system), with a `.lock` the process holds (flock)
///     <root>/uploads/<upload_id>                        an upload's bytes as they arrive
///     <root>/published/yum/master/<repo>/<stamp>/       a publish's tree
///     <root>/published/yum/http/repos/<relative_url>    a link to the current tree
///     <root>/published/iso/master/<repo>/<stamp>/       an iso publish's tree
///     <root>/published/iso/{http,https}/<repo>          a link to the current tree
///
/// Every file reaches its final name by `rename(2)` after it was written and checked, so a crash leaves at most
/// a stray file under `tmp/`, which `sweepTemporary` removes: a process's session directory goes as soon as the
/// process is gone (its lock is free), whatever its age.
public struct ContentDirectory: Sendable {
    public let root: URL
    /// `root.path`, kept: paths are made per package, and URL's path handling is slow.
    let rootPath: String

    public init(root: URL) {
        self.root = root
        rootPath = root.path
    }

    /// The default: `<store dir>/<store name>-content` (`pulpform.db` → `pulpform-content/`).
    public static func beside(storePath: String) -> ContentDirectory {
        let url = URL(fileURLWithPath: storePath)
        let base = url.deletingPathExtension().lastPathComponent
        return ContentDirectory(root: url.deletingLastPathComponent().appendingPathComponent("\(base)-content"))
    }

    /// Creates the directories (the first sync or publish does).
    public func prepare() throws {
        for dir in ["units", "tmp", "uploads", "published/yum/master", "published/yum/http/repos", "published/iso/master", "published/iso/http",
                    "published/iso/https"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    public var tmp: URL { root.appendingPathComponent("tmp") }
    /// An upload's bytes as they arrive (`/content/uploads/<id>/`).
    public func uploadPath(_ id: String) -> String { rootPath + "/uploads/" + id }
    public var published: URL { root.appendingPathComponent("published") }
    /// Where trees are served from over http (`/pulp/repos/<relative_url>/`).
    public var httpRepos: URL { root.appendingPathComponent("published/yum/http/repos") }
    public func master(_ repoId: String) -> URL { root.appendingPathComponent("published/yum/master/\(repoId)") }
    /// An iso repository's published trees, and the links to its current one (`/pulp/isos/<repo>/` over http;
    /// the https links wait for TLS).
    public func isoMaster(_ repoId: String) -> URL { root.appendingPathComponent("published/iso/master/\(repoId)") }
    public func isoLinks(https: Bool) -> URL { root.appendingPathComponent(https ? "published/iso/https" : "published/iso/http") }

    /// The path of a unit's file.
    public func unitPath(sha256: String) -> String {
        rootPath + "/units/" + sha256.prefix(2) + "/" + sha256
    }

    public func hasUnit(sha256: String) -> Bool {
        guard sha256.utf8.count == 64 else { return false }
        return access(unitPath(sha256: sha256), F_OK) == 0
    }

    /// A fresh temporary path in this process's session directory under `tmp/`.
    public func temporaryPath(_ hint: String = "part") -> String {
        let suffix = hint.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } && hint.utf8.count <= 40
            ? hint : String(hint.filter { $0.isLetter || $0.isNumber || $0 == "." }.prefix(40))
        let tmp = rootPath + "/tmp"
        return (TemporarySessions.directory(in: tmp) ?? tmp) + "/" + String(TemporarySessions.serial()) + "." + suffix
    }

    /// Moves a checked temporary file to its address. If the address already holds the file, the temporary goes.
    public func adopt(temporary path: String, sha256: String) throws {
        let final = unitPath(sha256: sha256)
        if rename(path, final) == 0 { return }
        // The first unit under this prefix: its directory, then again.
        let dir = rootPath + "/units/" + sha256.prefix(2)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard rename(path, final) == 0 else {
            let e = errno
            unlink(path)
            throw ContentError("cannot move a download into the content directory: \(String(cString: strerror(e)))")
        }
    }

    /// Hashes a file this process owns (a downloaded metadata file) and gives the content directory a copy at its
    /// address: a hard link where the file system allows, the file itself stays. Returns its sha256, its size and,
    /// if asked, another checksum.
    public func store(file path: String, extra: ChecksumType? = nil) throws -> (sha256: String, size: Int, extra: String?) {
        let found = try Self.digest(ofFile: path, extra: extra)
        if !hasUnit(sha256: found.sha256) {
            try prepare()
            let copy = temporaryPath("upload")
            try ContentDirectory.linkOrCopy(path, to: copy)
            try adopt(temporary: copy, sha256: found.sha256)
        }
        return found
    }

    /// A copy of a file someone else may still write to (an upload), hashed as it is copied into this process's
    /// temporary directory: the caller checks it, then `adopt`s it or removes it, so that neither a later write
    /// to the original nor a file that fails its checks reaches `units/`.
    public func stage(copyOf path: String, extra: ChecksumType? = nil) throws -> (path: String, sha256: String, size: Int, extra: String?) {
        try prepare()
        let copy = temporaryPath("upload")
        var sha = Checksummer(.sha256)
        var other = extra.flatMap { $0 == .sha256 ? nil : Checksummer($0) }
        var size = 0
        do {
            let input = try FileReader(path)
            defer { input.close() }
            let output = try FileWriter(copy)
            while let chunk = try input.read() {
                try chunk.withUnsafeBytes { bytes in
                    sha.update(bytes)
                    other?.update(bytes)
                    try output.write(bytes)
                }
                size += chunk.count
            }
            try output.close()
        } catch {
            unlink(copy)
            throw error
        }
        let digest = sha.hex()
        return (copy, digest, size, extra == .sha256 ? digest : other?.hex())
    }

    /// A file's sha256 and size and, if asked, another checksum, read in one pass.
    public static func digest(ofFile path: String, extra: ChecksumType? = nil) throws -> (sha256: String, size: Int, extra: String?) {
        var sha = Checksummer(.sha256)
        var other = extra.flatMap { $0 == .sha256 ? nil : Checksummer($0) }
        var size = 0
        let input = try FileReader(path)
        defer { input.close() }
        while let chunk = try input.read() {
            chunk.withUnsafeBytes { sha.update($0); other?.update($0) }
            size += chunk.count
        }
        let digest = sha.hex()
        return (digest, size, extra == .sha256 ? digest : other?.hex())
    }

    /// Moves a finished published tree to `master/<stamp>` and returns the stamp.
    public static func install(tree: URL, in master: URL) throws -> String {
        try FileManager.default.createDirectory(at: master, withIntermediateDirectories: true)
        let stamp = String(format: "%.6f", Date().timeIntervalSince1970)
        guard rename(tree.path, master.appendingPathComponent(stamp).path) == 0 else {
            throw ContentError("cannot move the published tree into place")
        }
        return stamp
    }

    /// Points `link` at `target` with one `rename(2)` of a fresh symlink made beside it, so that a client sees the
    /// old tree or the new one, never a mix. `failure` is the error's message when the rename fails.
    public static func pointLink(_ link: URL, to target: String, failure: String) throws {
        let temporary = link.deletingLastPathComponent().appendingPathComponent(".\(link.lastPathComponent).\(UUID().uuidString)")
        guard symlink(target, temporary.path) == 0 else { throw ContentError("cannot create the link to the published tree") }
        guard rename(temporary.path, link.path) == 0 else {
            unlink(temporary.path)
            throw ContentError(failure)
        }
    }

    /// Removes the published trees under `master` but the one at `stamp`.
    public static func prune(master: URL, keeping stamp: String) {
        for old in (try? FileManager.default.contentsOfDirectory(atPath: master.path)) ?? [] where old != stamp && !old.hasPrefix(".") {
            try? FileManager.default.removeItem(at: master.appendingPathComponent(old))
        }
    }

    /// A hard link to a unit's file (in a published tree), or a copy where the file system refuses one.
    public static func linkOrCopy(_ source: String, to target: String) throws {
        if link(source, target) != 0 { try FileManager.default.copyItem(atPath: source, toPath: target) }
    }

    /// Removes a unit's file (an orphan deleted), and its prefix directory once that falls empty.
    public func removeUnit(sha256: String) {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return }
        unlink(unitPath(sha256: sha256))
        rmdir(rootPath + "/units/" + sha256.prefix(2))
    }

    /// Removes what crashed or killed work left under `tmp/`: the session directories of processes that are gone
    /// (their lock is free), and other entries untouched for `age` seconds.
    public func sweepTemporary(olderThan age: TimeInterval = 600) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp.path) else { return }
        let cutoff = Date().addingTimeInterval(-age)
        for name in names {
            let url = tmp.appendingPathComponent(name)
            if name.hasPrefix("s-") {
                if TemporarySessions.isAbandoned(url) { try? FileManager.default.removeItem(at: url) }
                continue
            }
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            if modified < cutoff { try? FileManager.default.removeItem(at: url) }
        }
    }
}

/// One session directory per process and `tmp/`, locked with flock(2) for the life of the process: the kernel
/// frees the lock when the process dies, however it dies, so another process can tell the directory is
/// abandoned at once, without waiting for it to age.
enum TemporarySessions {
    private static let sessions = Mutex<[String: String]>([:])
    private static let counter = Atomic<Int>(0)

    /// A number no other temporary of this process has.
    static func serial() -> Int { counter.add(1, ordering: .relaxed).newValue }

    static func directory(in tmpPath: String) -> String? {
        sessions.withLock { open -> String? in
            if let dir = open[tmpPath] { return dir }
            let tmp = URL(fileURLWithPath: tmpPath)
            // Made and locked under another name, then renamed: no other process sees it unlocked.
            let name = "\(getpid())-\(UUID().uuidString.prefix(8))"
            let making = tmp.appendingPathComponent("n-\(name)")
            let dir = tmp.appendingPathComponent("s-\(name)")
            guard (try? FileManager.default.createDirectory(at: making, withIntermediateDirectories: true)) != nil else { return nil }
            let fd = Glibc.open(making.appendingPathComponent(".lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return nil }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, rename(making.path, dir.path) == 0 else {
                close(fd)
                try? FileManager.default.removeItem(at: making)
                return nil
            }
            // The descriptor stays open (and the lock held) until the process exits.
            open[tmpPath] = dir.path
            return dir.path
        }
    }

    /// Whether no process holds the directory's lock.
    static func isAbandoned(_ dir: URL) -> Bool {
        let fd = Glibc.open(dir.appendingPathComponent(".lock").path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) == 0
    }
}

/// A content error that is not the feed's fault (the disk, the directory).
public struct ContentError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
