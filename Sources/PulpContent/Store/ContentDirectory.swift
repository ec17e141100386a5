public import Foundation

/// The content directory: unit files addressed by sha256 and shared between repositories, and published trees.
///
///     <root>/units/<aa>/<sha256>                        a unit's file
///     <root>/tmp/                                       downloads and trees being built (same file system)
///     <root>/published/yum/master/<repo>/<stamp>/       a publish's tree
///     <root>/published/yum/http/repos/<relative_url>    a link to the current tree
///
/// Every file reaches its final name by `rename(2)` after it was written and checked, so a crash leaves at most
/// a stray file under `tmp/`, which `sweepTemporary` removes.
public struct ContentDirectory: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The default: `<store dir>/<store name>-content` (`pulpform.db` → `pulpform-content/`).
    public static func beside(storePath: String) -> ContentDirectory {
        let url = URL(fileURLWithPath: storePath)
        let base = url.deletingPathExtension().lastPathComponent
        return ContentDirectory(root: url.deletingLastPathComponent().appendingPathComponent("\(base)-content"))
    }

    /// Creates the directories (the first sync or publish does).
    public func prepare() throws {
        for dir in ["units", "tmp", "published/yum/master", "published/yum/http/repos"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    public var tmp: URL { root.appendingPathComponent("tmp") }
    public var published: URL { root.appendingPathComponent("published") }
    /// Where trees are served from over http (`/pulp/repos/<relative_url>/`).
    public var httpRepos: URL { root.appendingPathComponent("published/yum/http/repos") }
    public func master(_ repoId: String) -> URL { root.appendingPathComponent("published/yum/master/\(repoId)") }

    /// The path of a unit's file.
    public func unitPath(sha256: String) -> String {
        let prefix = sha256.prefix(2)
        return root.appendingPathComponent("units/\(prefix)/\(sha256)").path
    }

    public func hasUnit(sha256: String) -> Bool {
        guard sha256.count == 64 else { return false }
        return FileManager.default.fileExists(atPath: unitPath(sha256: sha256))
    }

    /// A fresh temporary path under `tmp/`.
    public func temporaryPath(_ hint: String = "part") -> String {
        tmp.appendingPathComponent("\(UUID().uuidString).\(hint.filter { $0.isLetter || $0.isNumber || $0 == "." }.prefix(40))").path
    }

    /// Moves a checked temporary file to its address. If the address already holds the file, the temporary goes.
    public func adopt(temporary path: String, sha256: String) throws {
        let final = unitPath(sha256: sha256)
        let dir = (final as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard rename(path, final) == 0 else {
            let e = errno
            unlink(path)
            throw ContentError("cannot move a download into the content directory: \(String(cString: strerror(e)))")
        }
    }

    /// Removes what crashed or killed work left under `tmp/`: entries untouched for `age` seconds (work in flight,
    /// in this process or another, keeps writing its files).
    public func sweepTemporary(olderThan age: TimeInterval = 600) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp.path) else { return }
        let cutoff = Date().addingTimeInterval(-age)
        for name in names {
            let url = tmp.appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            if modified < cutoff { try? FileManager.default.removeItem(at: url) }
        }
    }
}

/// A content error that is not the feed's fault (the disk, the directory).
public struct ContentError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
