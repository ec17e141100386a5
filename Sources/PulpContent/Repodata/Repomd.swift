/// One `<data>` entry of `repomd.xml`.
public struct RepomdEntry: Sendable, Equatable {
    public var type: String
    public var href: String
    public var checksumType: String
    public var checksum: String
    public var size: Int?
    public var openChecksumType: String?
    public var openChecksum: String?
    public var openSize: Int?
    public var timestamp: Int?

    public init(type: String, href: String, checksumType: String, checksum: String, size: Int? = nil,
                openChecksumType: String? = nil, openChecksum: String? = nil, openSize: Int? = nil, timestamp: Int? = nil)
    {
        self.type = type
        self.href = href
        self.checksumType = checksumType
        self.checksum = checksum
        self.size = size
        self.openChecksumType = openChecksumType
        self.openChecksum = openChecksum
        self.openSize = openSize
        self.timestamp = timestamp
    }

    public var compression: Compression { Compression(filename: href) }
}

/// `repodata/repomd.xml`: the revision and the metadata files.
public struct Repomd: Sendable, Equatable {
    /// `<revision>` as an integer (Pulp: not an integer → 0).
    public var revision: Int
    public var entries: [RepomdEntry]

    public func entry(_ type: String) -> RepomdEntry? { entries.first { $0.type == type } }

    /// The types Pulp reads itself; every other type is a `yum_repo_metadata_file`
    /// (`importers/yum/repomd/metadata.py: KNOWN_TYPES`, plus the zstd and sqlite variants).
    public static let knownTypes: Set<String> = [
        "group", "group_gz", "group_xz", "group_bz2", "group_zst", "group_zstd", "group_zck", "filelists", "filelists_db", "filelists_zck", "other", "other_db",
        "other_zck", "primary", "primary_db", "primary_zck", "deltainfo", "susedata", "prestodelta", "updateinfo",
        "updateinfo_db", "updateinfo_zck",
    ]

    public static func parse(_ bytes: [UInt8]) throws -> Repomd {
        var revision = 0
        var entries: [RepomdEntry] = []
        var sawRoot = false
        var current: RepomdEntry?
        try XMLScanner.walk(bytes, start: { name, attrs, depth, _ in
            if depth == 0 {
                guard name == "repomd" else { throw XMLError("the root element is <\(name)>, not <repomd>") }
                sawRoot = true
            }
            if name == "data" && depth == 1 {
                current = RepomdEntry(type: attrs["type"] ?? "", href: "", checksumType: "", checksum: "")
            }
            if name == "location", current != nil { current?.href = attrs["href"] ?? "" }
        }, end: { name, attrs, value, depth, _ in
            if depth == 1 && name == "revision" { revision = Int(value) ?? 0 }
            guard current != nil else { return }
            switch name {
            case "checksum":
                current?.checksumType = attrs["type"] ?? ""
                current?.checksum = value
            case "open-checksum":
                current?.openChecksumType = attrs["type"]
                current?.openChecksum = value
            case "size": current?.size = Int(value)
            case "open-size": current?.openSize = Int(value)
            case "timestamp": current?.timestamp = Int(value) ?? Double(value).map { Int($0) }
            case "data":
                if let c = current, !c.type.isEmpty, !c.href.isEmpty { entries.append(c) }
                current = nil
            default: break
            }
        })
        guard sawRoot else { throw XMLError("no <repomd> element") }
        return Repomd(revision: revision, entries: entries)
    }
}

extension String {
    /// Without leading and trailing XML whitespace.
    func trimmingSpace() -> String {
        let u = Array(utf8)
        var a = 0, b = u.count
        while a < b, XMLScanner.isSpace(u[a]) { a += 1 }
        while b > a, XMLScanner.isSpace(u[b - 1]) { b -= 1 }
        return a == 0 && b == u.count ? self : String(decoding: u[a..<b], as: UTF8.self)
    }
}
