import Foundation
import Synchronization

/// Cuts a large manifest file into pieces that decode on all cores.
///
/// Only the plainest large file is cut: comments, blank lines and at most one `---` line, then a
/// `repositories:` line, then the list. Each cut falls at the start of a line that opens an item at the
/// list's indentation, so every piece is a block sequence of whole repositories, and a line's place in
/// its piece plus the piece's first line gives its place in the file.
///
/// A cut can only mislead where such a line sits inside a multi-line quoted scalar or flow collection, and
/// then the piece before it ends in the middle of that scalar or collection and fails to parse. Any piece
/// that fails, or holds anything but repositories (a `consumers:` key, another document), sends the whole
/// file back to the one-core path, so results and diagnostics are the same either way.
struct ManifestPieces {
    struct Piece: Equatable {
        /// Byte offsets in the file.
        var range: Range<Int>
        /// Lines of the file before the piece.
        var lineOffset: Int
    }

    /// Smaller files are read on one core: cutting them saves less than it costs.
    static let minimumBytes = 256 * 1024

    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let dash = UInt8(ascii: "-")
    private static let hash = UInt8(ascii: "#")

    /// The pieces of the file, about `count` of them, or nil when the file is not of the plain shape.
    static func cut(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) -> [Piece]? {
        let n = bytes.count
        var i = 0
        var line = 0

        func lineEnd(_ from: Int) -> Int {
            var e = from
            while e < n, bytes[e] != newline { e += 1 }
            return e
        }
        func indentation(_ from: Int, _ end: Int) -> Int {
            var e = from
            while e < end, bytes[e] == space { e += 1 }
            return e - from
        }
        func equals(_ from: Int, _ end: Int, _ text: StaticString) -> Bool {
            guard end - from == text.utf8CodeUnitCount else { return false }
            return (0..<(end - from)).allSatisfy { bytes[from + $0] == text.utf8Start[$0] }
        }

        // The head: comments, blank lines and one `---`, then `repositories:`.
        var sawDocumentStart = false
        while true {
            guard i < n else { return nil }
            let e = lineEnd(i)
            let indent = indentation(i, e)
            if i + indent == e || (indent == 0 && bytes[i] == hash) {
                // blank or a comment
            } else if !sawDocumentStart, equals(i, e, "---") {
                sawDocumentStart = true
            } else if equals(i, e, "repositories:") {
                i = e + 1
                line += 1
                break
            } else {
                return nil
            }
            i = e + 1
            line += 1
        }

        // The first item fixes the list's indentation.
        var itemIndent = -1
        while i < n {
            let e = lineEnd(i)
            let indent = indentation(i, e)
            if i + indent == e || bytes[i + indent] == hash {
                i = e + 1
                line += 1
                continue
            }
            itemIndent = indent
            break
        }
        func opensItem(_ from: Int) -> Bool {
            let d = from + itemIndent
            guard d < n, indentation(from, d) == itemIndent, bytes[d] == dash else { return false }
            return d + 1 == n || bytes[d + 1] == space || bytes[d + 1] == newline
        }
        guard itemIndent >= 0, opensItem(i) else { return nil }

        guard n >= minimumBytes, count > 1 else { return [Piece(range: i..<n, lineOffset: line)] }
        var cuts = [i]
        for k in 1..<count {
            var c = max(i + (n - i) / count * k, cuts[cuts.count - 1] + 1)
            // The start of the first line at or after the target that opens an item.
            while c < n, bytes[c - 1] != newline { c += 1 }
            while c < n, !opensItem(c) {
                c += 1
                while c < n, bytes[c - 1] != newline { c += 1 }
            }
            guard c < n else { break }
            cuts.append(c)
        }
        var pieces: [Piece] = []
        pieces.reserveCapacity(cuts.count)
        for (j, c) in cuts.enumerated() {
            if j > 0 { line += newlines(in: bytes, cuts[j - 1]..<c) }
            pieces.append(Piece(range: c..<(j + 1 < cuts.count ? cuts[j + 1] : n), lineOffset: line))
        }
        return pieces
    }

    /// The number of line feeds in `range`, eight bytes at a time.
    static func newlines(in bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        var i = range.lowerBound
        var count = 0
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while i + 8 <= range.upperBound {
            // A byte of `w` is zero where the text has a line feed; the high bit of each such byte is set in `zero`.
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            let zero = ~(((w & low) &+ low) | w | low)
            count += zero.nonzeroBitCount
            i += 8
        }
        while i < range.upperBound {
            if base[i] == newline { count += 1 }
            i += 1
        }
        return count
    }

    /// The repositories of a file decoded piece by piece on all cores, in file order, or nil when the file is
    /// not of the plain shape or any piece does not decode.
    ///
    /// With `background`, each core also fingerprints the repositories it decoded, and they are recorded there
    /// once every piece has decoded.
    static func decode(_ bytes: [UInt8], file: String, loader: ManifestLoader,
                       background: BackgroundFingerprints? = nil) -> [DesiredRepository]? {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores > 1, bytes.count >= minimumBytes else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> [DesiredRepository]? in
            // More pieces than cores, so that a core that finishes early takes another.
            guard let pieces = cut(buffer, count: cores * 4), pieces.count > 1 else { return nil }
            let results = Mutex<[(repositories: [DesiredRepository], fingerprints: [(String, String)])?]>(
                Array(repeating: nil, count: pieces.count))
            let failed = Atomic<Bool>(false)
            nonisolated(unsafe) let base = buffer
            DispatchQueue.concurrentPerform(iterations: pieces.count) { k in
                guard !failed.load(ordering: .relaxed) else { return }
                let piece = pieces[k]
                let slice = UnsafeBufferPointer(rebasing: base[piece.range])
                switch StreamingDecoder.decodePiece(slice, lineOffset: piece.lineOffset, file: file, loader: loader) {
                case .success(let repositories):
                    let fingerprints = background?.fingerprints(of: repositories) ?? []
                    results.withLock { $0[k] = (repositories, fingerprints) }
                case .failure: failed.store(true, ordering: .relaxed)
                }
            }
            guard !failed.load(ordering: .relaxed) else { return nil }
            let parts = results.withLock { $0 }
            var out: [DesiredRepository] = []
            out.reserveCapacity(parts.reduce(0) { $0 + ($1?.repositories.count ?? 0) })
            for part in parts {
                guard let part else { return nil }
                out += part.repositories
            }
            for part in parts { background?.record(part?.fingerprints ?? []) }
            return out
        }
    }
}
