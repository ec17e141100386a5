/// An RPM epoch-version-release, ordered as rpm orders them (`rpmvercmp`).
public struct EVR: Comparable, Sendable, Hashable {
    public var epoch: Int
    public var version: String
    public var release: String

    public init(epoch: String, version: String, release: String) {
        self.epoch = Int(epoch) ?? 0
        self.version = version
        self.release = release
    }

    public static func < (a: EVR, b: EVR) -> Bool {
        if a.epoch != b.epoch { return a.epoch < b.epoch }
        let v = rpmvercmp(a.version, b.version)
        if v != 0 { return v < 0 }
        return rpmvercmp(a.release, b.release) < 0
    }

    public static func == (a: EVR, b: EVR) -> Bool {
        a.epoch == b.epoch && rpmvercmp(a.version, b.version) == 0 && rpmvercmp(a.release, b.release) == 0
    }

    public func hash(into h: inout Hasher) {
        h.combine(epoch)
        h.combine(version)
        h.combine(release)
    }

    /// rpm's `rpmvercmp`: -1, 0 or 1. Runs of digits compare as numbers, runs of letters as strings, a digit run
    /// beats a letter run, `~` sorts before everything (even the end) and `^` after the end but before more.
    public static func rpmvercmp(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func isAlpha(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        let tilde = UInt8(ascii: "~"), caret = UInt8(ascii: "^")
        while i < x.count || j < y.count {
            while i < x.count, !isAlnum(x[i]), x[i] != tilde, x[i] != caret { i += 1 }
            while j < y.count, !isAlnum(y[j]), y[j] != tilde, y[j] != caret { j += 1 }
            // Tilde: older than anything.
            let xt = i < x.count && x[i] == tilde, yt = j < y.count && y[j] == tilde
            if xt || yt {
                if !xt { return 1 }
                if !yt { return -1 }
                i += 1
                j += 1
                continue
            }
            // Caret: newer than the end, older than anything else.
            let xc = i < x.count && x[i] == caret, yc = j < y.count && y[j] == caret
            if xc || yc {
                if i >= x.count { return -1 }
                if j >= y.count { return 1 }
                if !xc { return 1 }
                if !yc { return -1 }
                i += 1
                j += 1
                continue
            }
            if i >= x.count || j >= y.count { break }
            let si = i, sj = j
            let numeric = isDigit(x[i])
            if numeric {
                while i < x.count, isDigit(x[i]) { i += 1 }
                while j < y.count, isDigit(y[j]) { j += 1 }
            } else {
                while i < x.count, isAlpha(x[i]) { i += 1 }
                while j < y.count, isAlpha(y[j]) { j += 1 }
            }
            if sj == j { return numeric ? 1 : -1 }  // different kinds of run: the digits win
            var p = Array(x[si..<i]), q = Array(y[sj..<j])
            if numeric {
                while p.first == 48 { p.removeFirst() }
                while q.first == 48 { q.removeFirst() }
                if p.count != q.count { return p.count > q.count ? 1 : -1 }
            }
            if p != q { return p.lexicographicallyPrecedes(q) ? -1 : 1 }
        }
        let xl = i < x.count, yl = j < y.count
        if !xl && !yl { return 0 }
        return xl ? 1 : -1
    }
}
