public import Foundation
import PulpContent
// `struct stat`'s members are attributed to whichever module clang read the header through first (Glibc,
// CoreFoundation or CDispatch, depending on the other imports): import all of them.
#if canImport(CoreFoundation)
import CoreFoundation
#endif
#if canImport(CDispatch)
import CDispatch
#endif

/// What a path under `/pulp/repos/` names.
public enum PublishedLookup: Sendable, Equatable {
    case file(path: String, size: Int, modified: Date, etag: String)
    /// A directory: the names in it, sorted (directories end with `/`).
    case directory([String])
    case notFound
    /// Outside the published trees (`..`, a link that points out, an encoded slash).
    case forbidden
}

/// The published trees served over http.
public enum PublishedTree: Sendable {
    /// yum: `/pulp/repos/<relative_url>/`.
    case repos
    /// iso: `/pulp/isos/<repo_id>/`.
    case isos
}

/// Published content, for the server.
extension LocalPulp {
    /// Resolves decoded path segments under an http tree. Nothing outside the content directory's published
    /// trees and unit files can be reached: the real path of the result must lie inside them.
    public func published(_ segments: [String], tree: PublishedTree = .repos) -> PublishedLookup {
        for s in segments where s.isEmpty || s == "." || s == ".." || s.contains("/") || s.contains("\0") {
            return .forbidden
        }
        let base = tree == .repos ? content.httpRepos.path : content.isoLinks(https: false).path
        let path = ([base] + segments).joined(separator: "/")
        guard let real = Self.realPath(path) else { return .notFound }
        let roots = [content.published.path, content.root.appendingPathComponent("units").path].compactMap(Self.realPath)
        guard roots.contains(where: { real == $0 || real.hasPrefix($0 + "/") }) else { return .forbidden }
        return lookup(real)
    }

    /// A unit's file (an on-demand package fetched after the tree was published).
    public func fileLookup(_ path: String) -> PublishedLookup {
        guard let real = Self.realPath(path), real.hasPrefix(content.root.path + "/units/") || real.hasPrefix((Self.realPath(content.root.path) ?? "") + "/units/") else {
            return .notFound
        }
        return lookup(real)
    }

    private func lookup(_ real: String) -> PublishedLookup {
        var st = stat()
        guard stat(real, &st) == 0 else { return .notFound }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: real)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            return .directory(names.map { name in
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: real + "/" + name, isDirectory: &isDir)
                return isDir.boolValue ? name + "/" : name
            })
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return .forbidden }
        let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec))
        let etag = "\"\(String(st.st_ino, radix: 16))-\(String(st.st_size, radix: 16))-\(String(st.st_mtim.tv_sec, radix: 16))\""
        return .file(path: real, size: Int(st.st_size), modified: modified, etag: etag)
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
