public import PulpModel

/// One `<package>` of `primary.xml`: what the unit key, the unit's metadata and the download need.
public struct PrimaryPackage: Sendable, Equatable {
    public var name = ""
    public var epoch = "0"
    public var version = ""
    public var release = ""
    public var arch = ""
    public var checksumType = ""
    /// The package's checksum (`pkgid`), which filelists and other refer to.
    public var checksum = ""
    public var locationHref = ""
    public var locationBase: String?
    public var size = 0
    public var installedSize: Int?
    public var summary = ""
    public var description = ""
    public var url: String?
    public var time: Int?
    public var buildTime: Int?
    public var buildhost: String?
    public var vendor: String?
    public var license: String?
    public var group: String?
    public var sourcerpm: String?
    public var headerRange: (start: Int, end: Int)?
    public var provides: [JSONValue] = []
    public var requires: [JSONValue] = []

    public init() {}

    public static func == (a: PrimaryPackage, b: PrimaryPackage) -> Bool {
        a.unitKey == b.unitKey && a.locationHref == b.locationHref && a.size == b.size
    }

    /// Pulp: a package whose arch is `src` (any case) is an `srpm`, whatever its `type` attribute says.
    public var isSource: Bool { arch.lowercased() == "src" }
    public var typeId: String { isSource ? "srpm" : "rpm" }

    /// The file's name: the last part of the location.
    public var filename: String {
        locationHref.split(separator: "/").last.map(String.init) ?? locationHref
    }

    public var nevra: String { "\(name)-\(epoch == "0" ? "" : epoch + ":")\(version)-\(release).\(arch)" }

    /// The unit key, in Pulp's REST names.
    public var unitKey: JSONObject {
        ["name": .string(name), "epoch": .string(epoch), "version": .string(version), "release": .string(release),
         "arch": .string(arch), "checksumtype": .string(checksumType), "checksum": .string(checksum)]
    }

    /// The unit's metadata, as Pulp shows it (the repodata snippets and `files`/`changelog` are kept apart).
    public var metadata: JSONObject {
        var m: JSONObject = [
            "filename": .string(filename), "relativepath": .string(filename), "size": .int(size),
            "summary": .string(summary), "description": .string(description),
            "provides": .array(provides), "requires": .array(requires),
        ]
        if let url { m["url"] = .string(url) }
        if let time { m["time"] = .int(time) }
        if let buildTime { m["build_time"] = .int(buildTime) }
        if let buildhost { m["buildhost"] = .string(buildhost) }
        if let vendor { m["vendor"] = .string(vendor) }
        if let license { m["license"] = .string(license) }
        if let group { m["group"] = .string(group) }
        if let sourcerpm { m["sourcerpm"] = .string(sourcerpm) }
        if let headerRange { m["header_range"] = ["start": .int(headerRange.start), "end": .int(headerRange.end)] }
        return m
    }

    /// Reads one `<package>` element's bytes.
    public static func parse(_ bytes: [UInt8]) throws -> PrimaryPackage {
        var p = PrimaryPackage()
        try XMLScanner.walk(bytes, start: { name, a, _, parent in
            switch name {
            case "version":
                p.epoch = a["epoch"].flatMap { $0.isEmpty ? nil : $0 } ?? "0"
                p.version = a["ver"] ?? ""
                p.release = a["rel"] ?? ""
            case "location":
                p.locationHref = a["href"] ?? ""
                p.locationBase = a["xml:base"]
            case "size":
                p.size = Int(a["package"] ?? "") ?? 0
                p.installedSize = Int(a["installed"] ?? "")
            case "time":
                p.time = Int(a["file"] ?? "")
                p.buildTime = Int(a["build"] ?? "")
            case "rpm:header-range":
                if let s = Int(a["start"] ?? ""), let e = Int(a["end"] ?? "") { p.headerRange = (s, e) }
            case "rpm:entry":
                var entry: JSONObject = ["name": .string(a["name"] ?? "")]
                for k in ["flags", "epoch", "version", "release"] {
                    entry[k] = a[k == "version" ? "ver" : (k == "release" ? "rel" : k)].map(JSONValue.string) ?? .null
                }
                if parent == "rpm:provides" { p.provides.append(.object(entry)) }
                if parent == "rpm:requires" { p.requires.append(.object(entry)) }
            default: break
            }
        }, end: { name, attrs, value, depth, _ in
            switch (name, depth) {
            case ("name", 1): p.name = value
            case ("arch", 1): p.arch = value
            case ("checksum", 1):
                p.checksumType = attrs["type"].map { $0.lowercased() == "sha" ? "sha1" : $0.lowercased() } ?? ""
                p.checksum = value
            case ("summary", 1): p.summary = value
            case ("description", 1): p.description = value
            case ("url", 1): p.url = value
            case ("rpm:license", 2): p.license = value
            case ("rpm:vendor", 2): p.vendor = value
            case ("rpm:group", 2): p.group = value
            case ("rpm:buildhost", 2): p.buildhost = value
            case ("rpm:sourcerpm", 2): p.sourcerpm = value
            default: break
            }
        })
        guard !p.name.isEmpty, !p.version.isEmpty, !p.arch.isEmpty, !p.checksum.isEmpty, !p.locationHref.isEmpty else {
            throw XMLError("a <package> lacks its name, version, arch, checksum or location")
        }
        return p
    }
}

/// Repodata snippets as Pulp keeps them.
public enum Snippet {
    /// Replaces the package's `<location …/>` with `<location href="<basename>"/>` (Pulp's `change_location_tag`,
    /// which drops `xml:base`): published packages sit at the repository's root.
    public static func relocate(_ bytes: ArraySlice<UInt8>, filename: String) -> [UInt8] {
        let needle = Array("<location".utf8)
        var i = bytes.startIndex
        while i + needle.count < bytes.endIndex {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle {
                let next = bytes[i + needle.count]
                if XMLScanner.isSpace(next) || next == UInt8(ascii: "/") || next == UInt8(ascii: ">") {
                    // Find the end of the tag, honouring quotes.
                    var j = i + needle.count
                    var quote: UInt8 = 0
                    while j < bytes.endIndex {
                        let b = bytes[j]
                        if quote != 0 { if b == quote { quote = 0 } }
                        else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") { quote = b }
                        else if b == UInt8(ascii: ">") { break }
                        j += 1
                    }
                    guard j < bytes.endIndex else { return Array(bytes) }
                    var out = Array(bytes[bytes.startIndex..<i])
                    out += Array("<location href=\"\(XMLScanner.escape(filename))\"/>".utf8)
                    // A non-empty `<location ...>...</location>` is not written by any createrepo; keep what follows.
                    out += bytes[(j + 1)...]
                    return out
                }
            }
            i += 1
        }
        return Array(bytes)
    }

    /// The value of one attribute of an element's start tag (`pkgid` of a filelists or other `<package>`).
    public static func attribute(_ name: String, of bytes: ArraySlice<UInt8>) -> String? {
        var scanner = XMLScanner(Array(bytes.prefix(4096).prefix { $0 != UInt8(ascii: ">") }) + Array("/>".utf8))
        if case .start(_, let attrs, _)? = try? scanner.next() { return attrs[name] }
        return nil
    }
}
