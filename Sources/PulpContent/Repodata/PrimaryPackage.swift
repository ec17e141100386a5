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
    public var provides: [Dependency] = []
    public var requires: [Dependency] = []

    /// One `<rpm:entry>` of `<rpm:provides>` or `<rpm:requires>`; absent attributes are nil (null in Pulp).
    public struct Dependency: Sendable, Equatable {
        public var name: String
        public var flags, epoch, version, release: String?

        /// As Pulp shows it: `{"epoch", "flags", "name", "release", "version"}`.
        public var json: JSONValue {
            ["name": .string(name), "flags": flags.map(JSONValue.string) ?? .null, "epoch": epoch.map(JSONValue.string) ?? .null,
             "version": version.map(JSONValue.string) ?? .null, "release": release.map(JSONValue.string) ?? .null]
        }
    }

    public init() {}

    public static func == (a: PrimaryPackage, b: PrimaryPackage) -> Bool {
        a.unitKey == b.unitKey && a.locationHref == b.locationHref && a.size == b.size
    }

    /// Pulp: a package whose arch is `src` (any case) is an `srpm`, whatever its `type` attribute says.
    public var isSource: Bool { arch.lowercased() == "src" }
    public var typeId: String { isSource ? "srpm" : "rpm" }

    /// The file's name: the last part of the location.
    public var filename: String {
        let utf8 = locationHref.utf8
        if let slash = utf8.lastIndex(of: UInt8(ascii: "/")), utf8.index(after: slash) != utf8.endIndex {
            return String(locationHref[utf8.index(after: slash)...])
        }
        return locationHref.split(separator: "/").last.map(String.init) ?? locationHref
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
            "provides": .array(provides.map(\.json)), "requires": .array(requires.map(\.json)),
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

    /// `metadata` as the store keeps it (compact, keys sorted), written straight from the fields: a sync
    /// stores thousands, and building the object first cost more than the rest of the row.
    public var metadataJSON: String {
        var out: [UInt8] = []
        out.reserveCapacity(512 + 96 * (provides.count + requires.count))
        var first = true
        func key(_ k: String) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            JSONValue.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        func string(_ k: String, _ v: String?) {
            guard let v else { return }
            key(k)
            JSONValue.writeString(v, into: &out)
        }
        func int(_ k: String, _ v: Int?) {
            guard let v else { return }
            key(k)
            out.append(contentsOf: String(v).utf8)
        }
        func dependencies(_ k: String, _ list: [Dependency]) {
            key(k)
            out.append(UInt8(ascii: "["))
            for (i, d) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                for (j, (name, value)) in [("epoch", d.epoch), ("flags", d.flags), ("name", d.name as String?),
                                           ("release", d.release), ("version", d.version)].enumerated() {
                    out.append(j == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
                    JSONValue.writeString(name, into: &out)
                    out.append(UInt8(ascii: ":"))
                    if let value { JSONValue.writeString(value, into: &out) } else { out.append(contentsOf: JSONValue.nullBytes) }
                }
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        // Keys in the order JSONValue sorts them (by UTF-8 bytes).
        int("build_time", buildTime)
        string("buildhost", buildhost)
        string("description", description)
        let name = filename
        string("filename", name)
        string("group", group)
        if let headerRange {
            key("header_range")
            out.append(contentsOf: "{\"end\":\(headerRange.end),\"start\":\(headerRange.start)}".utf8)
        }
        string("license", license)
        dependencies("provides", provides)
        string("relativepath", name)
        dependencies("requires", requires)
        int("size", size)
        string("sourcerpm", sourcerpm)
        string("summary", summary)
        int("time", time)
        string("url", url)
        string("vendor", vendor)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `unitKey` as the store keeps it, written straight from the fields.
    public var unitKeyJSON: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        for (i, (k, v)) in unitKeyFields.enumerated() {
            out.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONValue.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.writeString(v, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `UnitKey.digest(unitKey)`, from the fields.
    public var keyDigest: String {
        var c = Checksummer(.sha256)
        for (k, v) in unitKeyFields {
            c.update(k)
            c.update(v)
        }
        return c.hex()
    }

    /// The unit key's fields, keys sorted.
    private var unitKeyFields: [(String, String)] {
        [("arch", arch), ("checksum", checksum), ("checksumtype", checksumType), ("epoch", epoch), ("name", name),
         ("release", release), ("version", version)]
    }

    /// Reads one `<package>` element's bytes: straight from them where it can (`FastPrimaryReader`), with the
    /// XML scanner otherwise, which says what is wrong.
    public static func parse(_ bytes: [UInt8]) throws -> PrimaryPackage {
        if let p = FastPrimaryReader.read(bytes) { return p }
        return try parseEvents(bytes)
    }

    /// Reads one `<package>` element's bytes with the XML scanner.
    static func parseEvents(_ bytes: [UInt8]) throws -> PrimaryPackage {
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
                guard parent == "rpm:provides" || parent == "rpm:requires" else { break }
                let entry = Dependency(name: a["name"] ?? "", flags: a["flags"], epoch: a["epoch"], version: a["ver"], release: a["rel"])
                if parent == "rpm:provides" { p.provides.append(entry) } else { p.requires.append(entry) }
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
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) {
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

    /// The `pkgid` attribute of a filelists or other `<package>`, read straight from the bytes of its start tag.
    public static func pkgid(of bytes: [UInt8]) -> String? {
        let needle = Array("pkgid=".utf8)
        let end = min(bytes.count, 4096)
        var i = 0
        while i + needle.count < end {
            let b = bytes[i]
            if b == UInt8(ascii: ">") { return nil }
            if b == UInt8(ascii: "p"), i > 0, XMLScanner.isSpace(bytes[i - 1]) {
                var match = true
                for j in 1..<needle.count where bytes[i + j] != needle[j] {
                    match = false
                    break
                }
                if match {
                    let quote = bytes[i + needle.count]
                    guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
                    let start = i + needle.count + 1
                    var k = start
                    while k < end, bytes[k] != quote { k += 1 }
                    guard k < end else { return nil }
                    return try? XMLScanner.decode(bytes[start..<k])
                }
            }
            i += 1
        }
        return nil
    }
}
