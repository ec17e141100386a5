import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// `struct stat`'s members are attributed to whichever module clang read the header through first (Glibc,
// CoreFoundation or CDispatch, depending on the other imports): import all of them.
#if canImport(CoreFoundation)
import CoreFoundation
#endif
#if canImport(CDispatch)
import CDispatch
#endif

/// Bounds on the work a manifest can ask of pulpform.
///
/// `validate` and `plan` run on pull requests from people the operator does not trust, so no manifest may crash
/// pulpform or make it run for minutes or take gigabytes: every bound here ends in a located diagnostic.
public struct ManifestLimits: Sendable, Equatable {
    /// How deep collections may nest. Manifests need about ten levels; trees are walked recursively below this.
    public static let maximumDepth = 128
    public static let defaultMatrixRepositories = 100_000

    /// Nodes that aliases may add to a file, at the least; a larger file may add one per byte.
    public var minimumAliasNodes = 100_000
    /// Repositories that `matrix` entries may expand to, in all the manifests together.
    public var matrixRepositories = defaultMatrixRepositories
    /// YAML nodes that repositories may hold once defaults, matrix copies and aliases are expanded, per repository
    /// the matrix allows; the manifests' own bytes are allowed on top, so a manifest written out in full never
    /// reaches it.
    public var nodesPerRepository = 100
    /// The largest manifest file read.
    public var maximumFileBytes = 512 * 1024 * 1024

    public init() {}

    /// Nodes that aliases may add to a file of `bytes` bytes.
    public func aliasNodes(forBytes bytes: Int) -> Int { max(minimumAliasNodes, bytes) }

    /// YAML nodes that expanded repositories may hold, for manifests of `bytes` bytes in all.
    public func expandedNodes(forBytes bytes: Int) -> Int {
        let (perMatrix, overflow) = matrixRepositories.multipliedReportingOverflow(by: nodesPerRepository)
        let (total, overflowed) = perMatrix.addingReportingOverflow(bytes)
        return overflow || overflowed ? .max : total
    }

    /// The longest value echoed in a message, in characters.
    public static let echoedCharacters = 80
    /// "Did you mean" is only worked out for words up to this long.
    public static let suggestedCharacters = 64

    /// A value from a manifest as a message shows it: quoted, and cut to a readable length with its full size.
    public static func shown(_ text: String) -> String {
        let utf8 = text.utf8.count
        guard utf8 > echoedCharacters else { return "\"\(text)\"" }
        return "\"\(text.prefix(echoedCharacters))…\" (\(utf8.formatted) bytes)"
    }

    /// A name from a manifest, or a message that holds one, cut to a readable length.
    public static func cut(_ text: String, to length: Int = echoedCharacters) -> String {
        text.utf8.count > length ? String(text.prefix(length)) + "…" : text
    }
}

extension Int {
    /// 1234567 as "1,234,567".
    var formatted: String {
        let digits = String(magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return self < 0 ? "-" + out : out
    }
}

/// Reads a file that a manifest names (a manifest or a `{file:}` secret): a regular file only, at most `limit`
/// bytes, opened so that a FIFO or a device can never block or feed it without end.
enum BoundedFile {
    enum Failure: Error, Equatable {
        case cannotOpen(String)
        case notRegular(String)
        case tooLarge(Int)
    }

    static func contents(of path: String, limit: Int) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.cannotOpen(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.cannotOpen(String(cString: strerror(errno)))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notRegular(kind(info.st_mode))) }
        guard info.st_size <= limit else { return .failure(.tooLarge(Int(info.st_size))) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while true {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(fd, base + count, buffer.count - count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.cannotOpen(String(cString: strerror(errno))))
            }
            if n == 0 { break }
            count += n
            // The file grew after fstat: read no further than the limit allows.
            if count == bytes.count {
                guard count <= limit else { return .failure(.tooLarge(count)) }
                bytes.append(contentsOf: repeatElement(0, count: min(limit + 1 - count, 64 * 1024)))
            }
        }
        bytes.removeSubrange(count...)
        return .success(bytes)
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }
}
