import Foundation
import PulpContent

/// A synthetic yum feed of N packages: real gzip repodata (primary, filelists, other, repomd.xml with checksums,
/// sizes and open checksums, as createrepo_c writes them), whose package files are small random files with
/// correct checksums. dnf could not install them; pulpform's sync, which reads the metadata and checks every
/// download, cannot tell.
struct ContentFeed {
    let count: Int
    let dir: String
    /// The revision in repomd.xml: the same feed written twice has the same one.
    let revision = 1_700_000_000

    var packagesDir: String { dir + "/Packages" }
    var repodata: String { dir + "/repodata" }

    func name(_ i: Int) -> String { String(format: "bench-%06d", i) }
    func href(_ i: Int) -> String { "Packages/\(i % 100)/\(name(i))-1.0-1.noarch.rpm" }

    /// Writes the feed; returns the bytes of package files.
    func write() throws -> Int {
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        for d in 0..<min(100, count) { try fm.createDirectory(atPath: "\(packagesDir)/\(d)", withIntermediateDirectories: true) }
        try fm.createDirectory(atPath: repodata, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 0x5EED)
        var primary = try MetadataFile(dir: repodata, type: "primary", count: count, namespaces: #"xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm""#)
        var filelists = try MetadataFile(dir: repodata, type: "filelists", count: count, namespaces: #"xmlns="http://linux.duke.edu/metadata/filelists""#)
        var other = try MetadataFile(dir: repodata, type: "other", count: count, namespaces: #"xmlns="http://linux.duke.edu/metadata/other""#)
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        for i in 0..<count {
            // 1–4 KB of random bytes.
            let size = 1024 + Int(rng.next() % 3072)
            for j in stride(from: 0, to: size, by: 8) {
                var word = rng.next()
                withUnsafeBytes(of: &word) { w in for k in 0..<min(8, size - j) { buffer[j + k] = w[k] } }
            }
            let bytes = Array(buffer[0..<size])
            let path = dir + "/" + href(i)
            guard fm.createFile(atPath: path, contents: Data(bytes)) else { throw BenchError("cannot write \(path)") }
            total += size
            let sha = Checksummer.hex(bytes, .sha256)
            let n = name(i)
            let requires = i > 0 ? #"<rpm:requires><rpm:entry name="\#(name(i - 1))"/></rpm:requires>"# : ""
            try primary.add("""
                <package type="rpm"><name>\(n)</name><arch>noarch</arch><version epoch="0" ver="1.0" rel="1"/>\
                <checksum type="sha256" pkgid="YES">\(sha)</checksum><summary>Synthetic package \(i)</summary>\
                <description>A package of random bytes for pulpform-bench.</description><packager>pulpform-bench</packager>\
                <url>https://example.com/\(n)</url><time file="\(revision)" build="\(revision)"/>\
                <size package="\(size)" installed="\(size)" archive="\(size + 124)"/><location href="\(href(i))"/>\
                <format><rpm:license>MIT</rpm:license><rpm:vendor/><rpm:group>Unspecified</rpm:group>\
                <rpm:buildhost>bench.example.com</rpm:buildhost><rpm:sourcerpm>\(n)-1.0-1.src.rpm</rpm:sourcerpm>\
                <rpm:header-range start="4504" end="5012"/><rpm:provides><rpm:entry name="\(n)" flags="EQ" epoch="0" ver="1.0" rel="1"/>\
                </rpm:provides>\(requires)<file>/usr/bin/\(n)</file></format></package>

                """)
            try filelists.add("""
                <package pkgid="\(sha)" name="\(n)" arch="noarch"><version epoch="0" ver="1.0" rel="1"/>\
                <file>/usr/bin/\(n)</file><file>/usr/share/doc/\(n)/README</file><file type="dir">/usr/share/doc/\(n)</file></package>

                """)
            try other.add("""
                <package pkgid="\(sha)" name="\(n)" arch="noarch"><version epoch="0" ver="1.0" rel="1"/>\
                <changelog author="pulpform-bench &lt;bench@example.com&gt; - 1.0-1" date="\(revision)">- Generated.</changelog></package>

                """)
        }
        let entries = [try primary.finish(), try filelists.finish(), try other.finish()]
        var repomd = """
            <?xml version="1.0" encoding="UTF-8"?>
            <repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
              <revision>\(revision)</revision>

            """
        for e in entries {
            repomd += """
                  <data type="\(e.type)">
                    <checksum type="sha256">\(e.checksum)</checksum>
                    <open-checksum type="sha256">\(e.openChecksum)</open-checksum>
                    <location href="repodata/\(e.file)"/>
                    <timestamp>\(revision)</timestamp>
                    <size>\(e.size)</size>
                    <open-size>\(e.openSize)</open-size>
                  </data>

                """
        }
        repomd += "</repomd>\n"
        try repomd.write(toFile: repodata + "/repomd.xml", atomically: true, encoding: .utf8)
        return total
    }


    /// The metadata files as repomd names them.
    func metadataFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: repodata).filter { $0.hasSuffix(".xml.gz") }.map { repodata + "/" + $0 }
    }
}

/// One gzip metadata file being written: `<type>.xml.gz`, renamed `<sha256>-<type>.xml.gz` when done.
struct MetadataFile {
    struct Entry {
        var type, file, checksum, openChecksum: String
        var size, openSize: Int
    }

    let type: String
    let dir: String
    let handle: FileHandle
    let writer: GzipWriter
    var pending: [UInt8] = []

    init(dir: String, type: String, count: Int, namespaces: String) throws {
        self.type = type
        self.dir = dir
        let path = "\(dir)/\(type).xml.gz"
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw BenchError("cannot write \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        self.handle = handle
        writer = try GzipWriter(checksumType: .sha256) { bytes in handle.write(Data(bytes)) }
        let root = type == "primary" ? "metadata" : type == "filelists" ? "filelists" : "otherdata"
        try writer.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root) \(namespaces) packages=\"\(count)\">\n")
    }

    mutating func add(_ text: String) throws {
        pending += Array(text.utf8)
        if pending.count >= 1 << 20 {
            try writer.write(pending)
            pending.removeAll(keepingCapacity: true)
        }
    }

    mutating func finish() throws -> Entry {
        let root = type == "primary" ? "metadata" : type == "filelists" ? "filelists" : "otherdata"
        pending += Array("</\(root)>\n".utf8)
        try writer.write(pending)
        try writer.finish()
        try handle.close()
        let checksum = writer.checksum.hex()
        let file = "\(checksum)-\(type).xml.gz"
        try FileManager.default.moveItem(atPath: "\(dir)/\(type).xml.gz", toPath: "\(dir)/\(file)")
        return Entry(type: type, file: file, checksum: checksum, openChecksum: writer.openChecksum.hex(), size: writer.size,
                     openSize: writer.openSize)
    }
}

/// A fast, seeded generator: the same feed every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
