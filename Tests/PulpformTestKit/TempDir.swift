public import Foundation
public import PulpStore
public import PulpModel

/// A fresh directory under the system's temporary directory, with any files given, removed when the value goes
/// away: the one temporary-directory rig of every suite.
public final class TempDir: @unchecked Sendable {
    public let url: URL

    public init(_ prefix: String = "pulpform-test", files: [String: String] = [:]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    /// Manifests and other files, by path relative to the directory.
    public convenience init(_ files: [String: String]) throws {
        try self.init("pulpform-manifests", files: files)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public var path: String { url.path }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a file, making its directories.
    public func write(_ name: String, _ text: String) throws {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }
}

/// A real SQLite store in a fresh directory (`<dir>/pulpform.db`).
public final class TempStore: @unchecked Sendable {
    public let temp: TempDir
    public let store: PulpStore

    public init(_ prefix: String = "pulpform-store") throws {
        temp = try TempDir(prefix)
        store = try PulpStore(path: temp.path("pulpform.db"))
    }

    public var dir: URL { temp.url }
}

extension PulpStore {
    /// An importer secret as the store holds it (sealed) and in clear.
    public func importerSecret(_ repoId: String, _ key: String) throws -> (stored: JSONValue?, clear: JSONValue?) {
        try readSync { db in
            guard let i = try db.importer(repoId: repoId) else { return (nil, nil) }
            return (i.config[key], try db.revealed(i).config[key])
        }
    }
}
