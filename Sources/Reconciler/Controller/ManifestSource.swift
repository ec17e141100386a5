import Foundation
import Crypto
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
// `struct stat`'s members are attributed to whichever module clang read the header through first (Glibc,
// CoreFoundation or CDispatch, depending on the other imports): import all of them.
#if canImport(CoreFoundation)
import CoreFoundation
#endif
#if canImport(CDispatch)
import CDispatch
#endif

/// Where the controller reads its manifests: files and directories read as they are at each run, or a git
/// repository fetched at each run and checked out at its branch's head.
public enum ManifestSource: Sendable, CustomStringConvertible {
    case files([String])
    case git(GitSource)

    /// The manifests as one run sees them.
    public struct Snapshot: Sendable, Equatable {
        /// What to load.
        public var paths: [String]
        /// The commit, for a git source.
        public var revision: String?
        /// Changes whenever the manifests may have: the revision, or the files' sizes and modification times.
        public var key: String
    }

    /// Fetches (git) and looks at the files. Throws `SourceFailure` with a message that names no credentials.
    public func snapshot() async throws -> Snapshot {
        switch self {
        case .files(let paths):
            return Snapshot(paths: paths, revision: nil, key: Self.statKey(paths))
        case .git(let git):
            let revision = try await git.update()
            let root = git.subdirectory.map { (git.checkout as NSString).appendingPathComponent($0) } ?? git.checkout
            return Snapshot(paths: [root], revision: revision, key: revision + "\n" + Self.statKey([root]))
        }
    }

    public var description: String {
        switch self {
        case .files(let paths): paths.joined(separator: " ")
        case .git(let git): git.description
        }
    }

    /// A digest of the manifest files' paths, sizes, modification times and inodes: the manifests are loaded again
    /// only when it changes.
    static func statKey(_ paths: [String]) -> String {
        var reader = NodeReader()
        var hash = SHA256()
        for path in paths {
            for file in reader.files(at: path) {
                var st = stat()
                guard stat(file, &st) == 0 else {
                    hash.update(data: Data("\(file)\0missing\n".utf8))
                    continue
                }
                hash.update(data: Data("\(file)\0\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ino) \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)\n".utf8))
            }
        }
        // Errors (a path gone, a directory without manifests) change the key too: the loader reports them.
        hash.update(data: Data(reader.diagnostics.count.description.utf8))
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Why the manifests could not be had this run (git failed, say). Never holds a credential.
public struct SourceFailure: Error, CustomStringConvertible {
    public let description: String
}

/// A git repository the controller follows: fetched into a checkout of its own at every run, the branch's head
/// (or the remote HEAD) checked out detached, and its commit recorded with each apply.
public struct GitSource: Sendable, CustomStringConvertible {
    /// A path or URL that git understands: `/srv/manifests.git`, `file:///srv/manifests.git`, `ssh://…`, `https://…`.
    public var url: String
    /// Nil: the remote's HEAD.
    public var branch: String?
    /// The manifests' directory inside the repository; nil for its root.
    public var subdirectory: String?
    /// The controller's own working copy (created when missing).
    public var checkout: String

    public init(url: String, branch: String?, subdirectory: String?, checkout: String?) {
        self.url = url
        self.branch = branch
        self.subdirectory = subdirectory
        self.checkout = checkout ?? GitSource.defaultCheckout(url: url, branch: branch)
    }

    /// Whether an argument names a git repository rather than a directory of manifests: a URL (`file://`,
    /// `ssh://`, `git://`, `http(s)://`, `user@host:path`), or a bare repository on disk. A work tree is a
    /// directory (its files are read as they are) unless `--branch` is given.
    public static func isRepository(_ argument: String) -> Bool {
        if argument.contains("://") { return true }
        if let at = argument.firstIndex(of: "@"), let colon = argument.firstIndex(of: ":"), at < colon, !argument.hasPrefix("/") { return true }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: argument, isDirectory: &isDir), isDir.boolValue else { return false }
        let p = argument as NSString
        return fm.fileExists(atPath: p.appendingPathComponent("HEAD")) && fm.fileExists(atPath: p.appendingPathComponent("objects"))
            && fm.fileExists(atPath: p.appendingPathComponent("refs"))
    }

    /// `$TMPDIR/pulpform-watch-<digest of url and branch>`: kept between runs, so that a fetch brings only what is new.
    public static func defaultCheckout(url: String, branch: String?) -> String {
        let digest = SHA256.hash(data: Data("\(url)#\(branch ?? "")".utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        return (NSTemporaryDirectory() as NSString).appendingPathComponent("pulpform-watch-\(digest)")
    }

    /// The URL without its password.
    public var displayURL: String { GitSource.redact(url) }

    public var description: String { displayURL + (branch.map { " (branch \($0))" } ?? "") + (subdirectory.map { ", \($0)/" } ?? "") }

    static func redact(_ url: String) -> String {
        guard let range = passwordRange(url) else { return url }
        return url.replacingCharacters(in: range, with: "***")
    }

    /// Where the password is in `scheme://user:password@host/…`.
    static func passwordRange(_ url: String) -> Range<String.Index>? {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              let colon = url[scheme.upperBound..<at].firstIndex(of: ":"), url.index(after: colon) < at else { return nil }
        return url.index(after: colon)..<at
    }

    /// Fetches the branch and checks it out; returns the commit.
    func update() async throws -> String {
        let fm = FileManager.default
        if !fm.fileExists(atPath: (checkout as NSString).appendingPathComponent(".git")) {
            do {
                try fm.createDirectory(atPath: checkout, withIntermediateDirectories: true)
            } catch {
                throw SourceFailure(description: "cannot create the checkout directory \(checkout): \(error.localizedDescription)")
            }
            try await git(["init", "--quiet", checkout], in: nil)
        }
        let ref = branch.map { "refs/heads/\($0)" } ?? "HEAD"
        try await git(["fetch", "--quiet", "--no-tags", "--force", "--", url, "+\(ref):refs/pulpform/watched"], in: checkout,
                      what: "fetch \(branch.map { "branch \($0)" } ?? "HEAD") from \(displayURL)")
        try await git(["checkout", "--quiet", "--force", "--detach", "refs/pulpform/watched"], in: checkout)
        try await git(["clean", "--quiet", "-ffdx"], in: checkout)
        let revision = try await git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)
        if let subdirectory {
            var isDir: ObjCBool = false
            let dir = (checkout as NSString).appendingPathComponent(subdirectory)
            guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw SourceFailure(description: "\(displayURL) at \(revision.prefix(12)) has no directory \(subdirectory)")
            }
        }
        return revision
    }

    /// Runs git without a terminal to prompt on; a failure carries git's message, with the URL's password hidden.
    @discardableResult
    func git(_ arguments: [String], in directory: String?, what: String? = nil) async throws -> String {
        let password = GitSource.passwordRange(url).map { String(url[$0]) }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["git"] + (directory.map { ["-C", $0] } ?? []) + arguments
                var env = ProcessInfo.processInfo.environment
                env["GIT_TERMINAL_PROMPT"] = "0"
                env["GIT_ASKPASS"] = "/bin/false"
                env["LC_ALL"] = "C"
                process.environment = env
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: SourceFailure(description: "cannot run git (is it installed?): \(error.localizedDescription)"))
                    return
                }
                let errData = Mutex<Data>(Data())
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) {
                    let d = err.fileHandleForReading.readDataToEndOfFile()
                    errData.withLock { $0 = d }
                }
                let output = out.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    var message = String(decoding: errData.withLock { $0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    if let password { message = message.replacingOccurrences(of: password, with: "***") }
                    let first = message.split(separator: "\n").first.map(String.init) ?? "exit \(process.terminationStatus)"
                    continuation.resume(throwing: SourceFailure(description: "git \(what ?? arguments[0]) failed: \(first)"))
                    return
                }
                continuation.resume(returning: String(decoding: output, as: UTF8.self))
            }
        }
    }

}
