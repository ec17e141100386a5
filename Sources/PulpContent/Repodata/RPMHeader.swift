import PulpModel

/// An RPM file's lead, signature and header (the format of rpm's `lib/header.c`): what an upload needs to make a
/// unit and its repodata snippets without a client-supplied key (pulp2-content.md §4.6). Only the header is read;
/// the payload is checked by size (the signature's `SIZE`) so that a truncated upload is refused.
public struct RPMHeader: Sendable {
    public enum Value: Sendable, Equatable {
        case ints([Int])
        case strings([String])
        case binary([UInt8])
    }

    public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        /// The bytes end inside the lead, signature or header: more of the file may parse.
        public var isCutShort: Bool
        public var description: String { message }
        init(_ message: String, cutShort: Bool = false) {
            self.message = message
            isCutShort = cutShort
        }
    }

    /// Whether the lead says source package.
    public var isSourceLead: Bool
    public var tags: [Int: Value]
    public var signature: [Int: Value]
    /// Where the main header starts and ends in the file (primary's `rpm:header-range`).
    public var headerStart: Int
    public var headerEnd: Int

    /// Reads the first bytes of a file (lead, signature and header: a few hundred KB at most). `fileSize` is the
    /// whole file's size, checked against the signature's.
    public static func parse(_ bytes: [UInt8], fileSize: Int) throws(FormatError) -> RPMHeader {
        guard bytes.count >= 96, bytes[0] == 0xED, bytes[1] == 0xAB, bytes[2] == 0xEE, bytes[3] == 0xDB else {
            throw FormatError("not an RPM package (no lead)")
        }
        let source = (Int(bytes[6]) << 8 | Int(bytes[7])) == 1
        let (signature, sigEnd) = try readHeader(bytes, at: 96, what: "signature")
        let start = (sigEnd + 7) & ~7
        let (tags, end) = try readHeader(bytes, at: start, what: "header")
        let header = RPMHeader(isSourceLead: source, tags: tags, signature: signature, headerStart: start, headerEnd: end)
        // SIGTAG_SIZE (1000) or LONGSIZE (270): header and payload.
        if let size = header.sigInt(270) ?? header.sigInt(1000), start + size != fileSize {
            throw FormatError("the file is \(fileSize) bytes where its signature says \(start + size): truncated or not one package")
        }
        if header.string(1000) == nil || header.string(1001) == nil || header.string(1002) == nil {
            throw FormatError("the header has no name, version or release")
        }
        return header
    }

    /// How many bytes `parse` may need: enough for any header pulpform accepts.
    public static let maximumHeaderBytes = 64 << 20

    private static func be32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    private static func readHeader(_ b: [UInt8], at offset: Int, what: String) throws(FormatError) -> ([Int: Value], Int) {
        guard offset + 16 <= b.count else { throw FormatError("the \(what) is cut short", cutShort: true) }
        guard b[offset] == 0x8E, b[offset + 1] == 0xAD, b[offset + 2] == 0xE8 else {
            throw FormatError("the \(what) has no header magic")
        }
        let count = be32(b, offset + 8), size = be32(b, offset + 12)
        guard count >= 0, count < 65_536, size >= 0, size < 64 << 20 else { throw FormatError("the \(what) is too large") }
        let store = offset + 16 + count * 16
        let end = store + size
        guard end <= b.count else { throw FormatError("the \(what) is cut short", cutShort: true) }
        var out: [Int: Value] = [:]
        for i in 0..<count {
            let e = offset + 16 + i * 16
            let tag = be32(b, e), type = be32(b, e + 4), off = be32(b, e + 8), n = be32(b, e + 12)
            guard off >= 0, off <= size, n >= 0, n <= size + 1 else { throw FormatError("the \(what) has a bad index entry (tag \(tag))") }
            var p = store + off
            switch type {
            case 2, 3, 4, 5:  // INT8, INT16, INT32, INT64
                let width = [2: 1, 3: 2, 4: 4, 5: 8][type] ?? 1
                guard p + n * width <= end else { throw FormatError("the \(what) has a bad index entry (tag \(tag))") }
                var values: [Int] = []
                values.reserveCapacity(n)
                for _ in 0..<n {
                    var v = 0
                    for k in 0..<width { v = v << 8 | Int(b[p + k]) }
                    values.append(v)
                    p += width
                }
                out[tag] = .ints(values)
            case 6, 8, 9:  // STRING, STRING_ARRAY, I18NSTRING
                var strings: [String] = []
                for _ in 0..<(type == 6 ? 1 : n) {
                    guard let nul = b[p..<end].firstIndex(of: 0) else { throw FormatError("the \(what) has an unterminated string (tag \(tag))") }
                    strings.append(String(decoding: b[p..<nul], as: UTF8.self))
                    p = nul + 1
                }
                out[tag] = .strings(strings)
            case 7:  // BIN
                guard p + n <= end else { throw FormatError("the \(what) has a bad index entry (tag \(tag))") }
                out[tag] = .binary(Array(b[p..<(p + n)]))
            default:
                continue
            }
        }
        return (out, end)
    }

    // MARK: - Reading tags

    func sigInt(_ tag: Int) -> Int? { if case .ints(let v)? = signature[tag] { return v.first }; return nil }
    public func int(_ tag: Int) -> Int? { if case .ints(let v)? = tags[tag] { return v.first }; return nil }
    public func ints(_ tag: Int) -> [Int] { if case .ints(let v)? = tags[tag] { return v }; return [] }
    public func string(_ tag: Int) -> String? { if case .strings(let v)? = tags[tag] { return v.first }; return nil }
    public func strings(_ tag: Int) -> [String] { if case .strings(let v)? = tags[tag] { return v }; return [] }

    /// A source package: the lead says so, or the header has no SOURCERPM.
    public var isSource: Bool { isSourceLead || tags[1044] == nil }

    public var arch: String {
        guard isSource else { return string(1022) ?? "noarch" }
        return tags[1051] != nil || tags[1052] != nil ? "nosrc" : "src"
    }

    // MARK: - Dependencies

    /// A dependency list (names, flags, versions tags) as primary shows it.
    func dependencies(names: Int, flags: Int, versions: Int) -> [(PrimaryPackage.Dependency, pre: Bool)] {
        let n = strings(names), f = ints(flags), v = strings(versions)
        var out: [(PrimaryPackage.Dependency, Bool)] = []
        var seen: Set<String> = []
        for (i, name) in n.enumerated() {
            let flag = i < f.count ? f[i] : 0
            let version = i < v.count ? v[i] : ""
            var d = PrimaryPackage.Dependency(name: name)
            switch flag & 0xE {
            case 2: d.flags = "LT"
            case 4: d.flags = "GT"
            case 8: d.flags = "EQ"
            case 10: d.flags = "LE"
            case 12: d.flags = "GE"
            default: break
            }
            if !version.isEmpty {
                var rest = Substring(version)
                if let colon = rest.firstIndex(of: ":") {
                    d.epoch = String(rest[..<colon])
                    rest = rest[rest.index(after: colon)...]
                } else {
                    d.epoch = "0"
                }
                if let dash = rest.lastIndex(of: "-") {
                    d.version = String(rest[..<dash])
                    d.release = String(rest[rest.index(after: dash)...])
                } else {
                    d.version = String(rest)
                }
            }
            // PREREQ, SCRIPT_PRE, SCRIPT_POST, SCRIPT_PREUN, SCRIPT_POSTUN: rpm's "pre" requires.
            let pre = flag & (64 | 512 | 1024 | 2048 | 4096) != 0
            let key = "\(name)\u{0}\(d.flags ?? "")\u{0}\(version)\u{0}\(pre)"
            guard seen.insert(key).inserted else { continue }
            out.append((d, pre))
        }
        return out
    }

    /// The files: path, whether a directory, whether a ghost.
    public var files: [(path: String, dir: Bool, ghost: Bool)] {
        let base = strings(1117), dirs = strings(1118), index = ints(1116), modes = ints(1030), flags = ints(1037)
        var out: [(String, Bool, Bool)] = []
        if base.isEmpty {
            for (i, path) in strings(1027).enumerated() {
                out.append((path, i < modes.count && modes[i] & 0xF000 == 0x4000, i < flags.count && flags[i] & 64 != 0))
            }
            return out
        }
        for (i, name) in base.enumerated() {
            let d = i < index.count && index[i] < dirs.count ? dirs[index[i]] : ""
            out.append((d + name, i < modes.count && modes[i] & 0xF000 == 0x4000, i < flags.count && flags[i] & 64 != 0))
        }
        return out
    }
}

/// A package read from an RPM file: its primary fields and its three repodata snippets, as createrepo writes them.
public struct RPMPackage: Sendable {
    public var package: PrimaryPackage
    public var primaryXML: String
    public var filelistsXML: String
    public var otherXML: String

    /// Builds the package of `header`, whose file has this sha256 and size.
    public init(_ h: RPMHeader, sha256: String, fileSize: Int, changelogLimit: Int = 10) {
        var p = PrimaryPackage()
        p.name = h.string(1000) ?? ""
        p.version = h.string(1001) ?? ""
        p.release = h.string(1002) ?? ""
        p.epoch = h.int(1003).map(String.init) ?? "0"
        p.arch = h.arch
        p.checksumType = "sha256"
        p.checksum = sha256
        p.locationHref = "\(p.name)-\(p.version)-\(p.release).\(p.arch).rpm"
        p.size = fileSize
        p.installedSize = h.int(1009)
        p.summary = h.string(1004) ?? ""
        p.description = h.string(1005) ?? ""
        p.url = h.string(1020)
        p.buildTime = h.int(1006)
        p.buildhost = h.string(1007)
        p.vendor = h.string(1011)
        p.license = h.string(1014)
        p.group = h.string(1016)
        p.sourcerpm = h.isSource ? nil : h.string(1044)
        p.headerRange = (h.headerStart, h.headerEnd)
        let provides = h.dependencies(names: 1047, flags: 1112, versions: 1113)
        let requires = h.dependencies(names: 1049, flags: 1048, versions: 1050).filter { !$0.0.name.hasPrefix("rpmlib(") }
        p.provides = provides.map(\.0)
        p.requires = requires.map(\.0)
        package = p

        let e = XMLScanner.escape
        let files = h.files
        var x = "<package type=\"rpm\">\n  <name>\(e(p.name))</name>\n  <arch>\(e(p.arch))</arch>\n"
        x += "  <version epoch=\"\(e(p.epoch))\" ver=\"\(e(p.version))\" rel=\"\(e(p.release))\"/>\n"
        x += "  <checksum type=\"sha256\" pkgid=\"YES\">\(sha256)</checksum>\n"
        x += "  <summary>\(e(p.summary))</summary>\n  <description>\(e(p.description))</description>\n"
        x += "  <packager>\(e(h.string(1015) ?? ""))</packager>\n  <url>\(e(p.url ?? ""))</url>\n"
        x += "  <time file=\"\(h.int(1006) ?? 0)\" build=\"\(h.int(1006) ?? 0)\"/>\n"
        x += "  <size package=\"\(fileSize)\" installed=\"\(h.int(1009) ?? 0)\" archive=\"\(h.int(1046) ?? 0)\"/>\n"
        x += "  <location href=\"\(e(p.locationHref))\"/>\n  <format>\n"
        x += "    <rpm:license>\(e(p.license ?? ""))</rpm:license>\n    <rpm:vendor>\(e(p.vendor ?? ""))</rpm:vendor>\n"
        x += "    <rpm:group>\(e(p.group ?? ""))</rpm:group>\n    <rpm:buildhost>\(e(p.buildhost ?? ""))</rpm:buildhost>\n"
        x += "    <rpm:sourcerpm>\(e(p.sourcerpm ?? ""))</rpm:sourcerpm>\n"
        x += "    <rpm:header-range start=\"\(h.headerStart)\" end=\"\(h.headerEnd)\"/>\n"
        func entries(_ tag: String, _ list: [(PrimaryPackage.Dependency, pre: Bool)], pre: Bool = false) {
            guard !list.isEmpty else { return }
            x += "    <rpm:\(tag)>\n"
            for (d, isPre) in list {
                x += "      <rpm:entry name=\"\(e(d.name))\""
                if let f = d.flags { x += " flags=\"\(f)\"" }
                if let v = d.epoch { x += " epoch=\"\(e(v))\"" }
                if let v = d.version { x += " ver=\"\(e(v))\"" }
                if let v = d.release { x += " rel=\"\(e(v))\"" }
                if pre && isPre { x += " pre=\"1\"" }
                x += "/>\n"
            }
            x += "    </rpm:\(tag)>\n"
        }
        entries("provides", provides)
        entries("requires", requires, pre: true)
        entries("conflicts", h.dependencies(names: 1054, flags: 1053, versions: 1055))
        entries("obsoletes", h.dependencies(names: 1090, flags: 1114, versions: 1115))
        entries("suggests", h.dependencies(names: 5049, flags: 5051, versions: 5050))
        entries("enhances", h.dependencies(names: 5055, flags: 5057, versions: 5056))
        entries("recommends", h.dependencies(names: 5046, flags: 5048, versions: 5047))
        entries("supplements", h.dependencies(names: 5052, flags: 5054, versions: 5053))
        // Primary lists only the files dnf may need to resolve a dependency (createrepo's rule).
        for f in files where f.path.hasPrefix("/etc/") || f.path.contains("bin/") || f.path == "/usr/lib/sendmail" {
            x += f.dir ? "    <file type=\"dir\">\(e(f.path))</file>\n" : f.ghost ? "    <file type=\"ghost\">\(e(f.path))</file>\n" : "    <file>\(e(f.path))</file>\n"
        }
        x += "  </format>\n</package>\n"
        primaryXML = x

        let head = "<package pkgid=\"\(sha256)\" name=\"\(e(p.name))\" arch=\"\(e(p.arch))\">\n"
            + "  <version epoch=\"\(e(p.epoch))\" ver=\"\(e(p.version))\" rel=\"\(e(p.release))\"/>\n"
        var fl = head
        for f in files {
            fl += f.dir ? "  <file type=\"dir\">\(e(f.path))</file>\n" : f.ghost ? "  <file type=\"ghost\">\(e(f.path))</file>\n" : "  <file>\(e(f.path))</file>\n"
        }
        filelistsXML = fl + "</package>\n"

        var o = head
        let times = h.ints(1080), names = h.strings(1081), texts = h.strings(1082)
        let count = min(times.count, names.count, texts.count)
        // The newest `changelogLimit` entries, oldest first (createrepo's order).
        for i in stride(from: min(count, changelogLimit) - 1, through: 0, by: -1) {
            o += "  <changelog author=\"\(e(names[i]))\" date=\"\(times[i])\">\(e(texts[i]))</changelog>\n"
        }
        otherXML = o + "</package>\n"
    }
}
