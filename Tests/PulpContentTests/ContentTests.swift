import Foundation
import Testing
@testable import PulpContent
import PulpModel

@Suite("Content primitives")
struct ContentTests {
    static func compress(_ tool: [String], _ data: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pulpform-content-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
        try Data(data).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = tool + ["-c", input.path]
        p.standardOutput = try FileHandle(forWritingTo: output)
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(tool)")
        return [UInt8](try Data(contentsOf: output))
    }

    static let sample: [UInt8] = Array((0..<20_000).map { "line \($0) of repodata\n" }.joined().utf8)

    @Test("gzip, xz, bzip2 and zstd decompress in chunks; a truncated stream is an error", arguments: [
        (Compression.gzip, ["gzip"]), (Compression.xz, ["xz"]), (Compression.bzip2, ["bzip2"]), (Compression.zstd, ["zstd", "-q"]),
    ])
    func decompress(_ kind: Compression, _ tool: [String]) throws {
        let packed = try Self.compress(tool, Self.sample)
        let d = try Decompressor(kind)
        var out: [UInt8] = []
        for start in stride(from: 0, to: packed.count, by: 777) {
            try d.feed(Array(packed[start..<min(start + 777, packed.count)])) { out.append(contentsOf: $0) }
        }
        try d.finish { out.append(contentsOf: $0) }
        #expect(out == Self.sample)
        #expect(throws: DecompressionError.self) { try Decompressor.decompress(Array(packed.prefix(packed.count / 2)), kind) }
    }

    @Test("GzipWriter's output reads back, and its checksums are those of the bytes in and out")
    func gzipWriter() throws {
        var packed: [UInt8] = []
        let w = try GzipWriter(checksumType: .sha256) { packed.append(contentsOf: $0) }
        try w.write(Self.sample)
        try w.finish()
        #expect(try Decompressor.decompress(packed, .gzip) == Self.sample)
        #expect(w.openChecksum.hex() == Checksummer.hex(Self.sample, .sha256))
        #expect(w.checksum.hex() == Checksummer.hex(packed, .sha256) && w.size == packed.count && w.openSize == Self.sample.count)
    }

    @Test("the splitter cuts elements out of any chunking; <packager> is not a <package>")
    func splitter() throws {
        let xml = Array("""
            <?xml version="1.0"?><metadata packages="2"><!-- <package> in a comment -->
            <package type="rpm"><name>a</name><packager>x</packager></package>
            <package type="rpm"><name>b &amp; c</name><description><![CDATA[</package> inside]]></description></package></metadata>
            """.utf8)
        for size in [1, 7, 64, xml.count] {
            var s = ElementSplitter(names: ["package"])
            var names: [String] = []
            for start in stride(from: 0, to: xml.count, by: size) {
                try s.feed(Array(xml[start..<min(start + size, xml.count)])) { _, bytes in
                    var scanner = XMLScanner(Array(bytes))
                    while let e = try scanner.next() {
                        if case .start("name", _, _) = e, case .text(let t)? = try scanner.next() { names.append(t) }
                    }
                }
            }
            try s.finish()
            #expect(names == ["a", "b & c"], "chunks of \(size)")
        }
        var open = ElementSplitter(names: ["package"])
        try open.feed(Array("<m><package><name>a</name>".utf8)) { _, _ in }
        #expect(throws: XMLError.self) { try open.finish() }
    }

    @Test("rpmvercmp orders versions as rpm does")
    func evr() {
        let cases: [(String, String, Int)] = [
            ("1.0", "1.0", 0), ("1.0", "1.1", -1), ("1.10", "1.9", 1), ("1.0a", "1.0", 1), ("1.0~rc1", "1.0", -1),
            ("1.0^1", "1.0", 1), ("1.0^1", "1.0.1", -1), ("2a", "2.0", -1), ("001", "1", 0), ("a", "1", -1),
        ]
        for (a, b, want) in cases { #expect(EVR.rpmvercmp(a, b) == want, "\(a) vs \(b)") }
        #expect(EVR(epoch: "1", version: "1.0", release: "1") > EVR(epoch: "0", version: "9.9", release: "9"))
    }

    @Test("repomd, a primary package, an erratum and a comps group read as Pulp keeps them")
    func readers() throws {
        let repomd = try Repomd.parse(Array("""
            <repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>17</revision>
            <data type="primary"><checksum type="sha">ab</checksum><open-checksum type="sha256">cd</open-checksum>
            <location href="repodata/p.xml.gz"/><size>10</size><open-size>20</open-size></data></repomd>
            """.utf8))
        #expect(repomd.revision == 17)
        #expect(repomd.entry("primary") == RepomdEntry(type: "primary", href: "repodata/p.xml.gz", checksumType: "sha", checksum: "ab",
                                                       size: 10, openChecksumType: "sha256", openChecksum: "cd", openSize: 20))
        #expect(throws: XMLError.self) { try Repomd.parse(Array("<html></html>".utf8)) }

        let p = try PrimaryPackage.parse(Array("""
            <package type="rpm"><name>bear</name><arch>SRC</arch><version epoch="" ver="4.1" rel="1"/>
            <checksum type="sha" pkgid="YES">ff</checksum><location xml:base="http://x/" href="src/bear-4.1-1.src.rpm"/>
            <size package="42"/><format><rpm:license>MIT</rpm:license>
            <rpm:requires><rpm:entry name="cub" flags="GE" ver="1"/></rpm:requires></format></package>
            """.utf8))
        #expect(p.typeId == "srpm" && p.epoch == "0" && p.checksumType == "sha1" && p.filename == "bear-4.1-1.src.rpm")
        #expect(p.license == "MIT" && p.requires.count == 1 && p.provides.isEmpty)
        let relocated = String(decoding: Snippet.relocate(Array(#"<package><location xml:base="x" href="a/b.rpm"/></package>"#.utf8)[...],
                                                          filename: "b.rpm"), as: UTF8.self)
        #expect(relocated == #"<package><location href="b.rpm"/></package>"#)

        let e = try Erratum.parse(Array("""
            <update from="a@b" type="bugfix"><id>E-1</id><updated date="2026-11-02"/><reboot_suggested/>
            <pkglist><collection short="c"><name>n</name><package name="p" version="1" release="1" arch="noarch" src="s">
            <filename>p-1-1.noarch.rpm</filename><sum type="sha256">aa</sum></package></collection></pkglist></update>
            """.utf8))
        #expect(e["id"] == "E-1" && e["from"] == "a@b" && e["reboot_suggested"] == true && e["updated"] == "2026-11-02")
        #expect(e["pkglist"]?.arrayValue?.first?["packages"]?.arrayValue?.first?["sum"] == ["sha256", "aa"])

        let (type, g) = try Comps.parse(Array("""
            <group><id>tools</id><name>Tools</name><name xml:lang="de">Werkzeuge</name><uservisible>false</uservisible>
            <packagelist><packagereq type="mandatory">app</packagereq><packagereq type="conditional" requires="x">y</packagereq></packagelist></group>
            """.utf8))
        #expect(type == "package_group" && g["name"] == "Tools" && g["translated_name"] == ["de": "Werkzeuge"])
        #expect(g["user_visible"] == false && g["mandatory_package_names"] == ["app"] && g["conditional_package_names"] == [["y", "x"]])
    }

    @Test("a package's key, digest and metadata written straight from primary are what the JSON objects serialise to")
    func directJSON() throws {
        let packages = [
            """
            <package type="rpm"><name>bear "grizzly"</name><arch>x86_64</arch><version epoch="2" ver="4.1" rel="1.el9"/>
            <checksum type="sha256" pkgid="YES">abc</checksum><summary>A \\ bear\u{01}</summary><description>Ünïcode &amp; tabs\t</description>
            <packager>x</packager><url>https://bear.example</url><time file="12" build="34"/><size package="42" installed="99"/>
            <location href="b/bear-4.1-1.el9.x86_64.rpm"/><format><rpm:license>MIT</rpm:license><rpm:vendor>V</rpm:vendor>
            <rpm:group>G</rpm:group><rpm:buildhost>h</rpm:buildhost><rpm:sourcerpm>bear.src.rpm</rpm:sourcerpm>
            <rpm:header-range start="10" end="20"/><rpm:provides><rpm:entry name="bear" flags="EQ" epoch="2" ver="4.1" rel="1.el9"/>
            <rpm:entry name="libbear.so()(64bit)"/></rpm:provides><rpm:requires><rpm:entry name="cub" flags="GE" ver="1"/>
            <rpm:entry name="/bin/sh" pre="1"/></rpm:requires></format></package>
            """,
            #"<package type="rpm"><name>a</name><arch>noarch</arch><version ver="1" rel="1"/><checksum type="sha">ff</checksum><location href="a.rpm"/></package>"#,
        ]
        for xml in packages {
            let p = try PrimaryPackage.parse(Array(xml.utf8))
            #expect(p.metadataJSON == JSONValue.object(p.metadata).serialized())
            #expect(p.unitKeyJSON == JSONValue.object(p.unitKey).serialized())
            #expect(p.keyDigest == UnitKey.digest(p.unitKey))
        }
    }

    @Test("pkgid is read from a start tag's bytes; attributes keep their order and the last of a repeated name")
    func attributes() throws {
        #expect(Snippet.pkgid(of: Array(#"<package pkgid="abc" name="x" arch="noarch"><file>/a</file></package>"#.utf8)) == "abc")
        #expect(Snippet.pkgid(of: Array(#"<package name="x" pkgid='a&amp;b'>"#.utf8)) == "a&b")
        #expect(Snippet.pkgid(of: Array(#"<package name="x"><pkgid="no"/></package>"#.utf8)) == nil)
        #expect(Snippet.pkgid(of: Array(#"<package xpkgid="no">"#.utf8)) == nil)
        var scanner = XMLScanner(#"<a z="1" b="2" z="3"/>"#)
        guard case .start(_, let attributes, true)? = try scanner.next() else { Issue.record("no start tag"); return }
        #expect(attributes.pairs.map(\.name) == ["z", "b"] && attributes["z"] == "3" && attributes["b"] == "2" && attributes["c"] == nil)
        #expect(attributes == ["b": "2", "z": "3"])
    }

    @Test("a bulk download's request target is the URL's path, with the bytes a request line cannot hold escaped")
    func requestTargets() {
        let prefix = "http://h:8/"
        #expect(BulkDownloader.path(of: "http://h:8/Packages/a/gcc-c++-1.rpm", after: prefix) == "/Packages/a/gcc-c++-1.rpm")
        #expect(BulkDownloader.path(of: "http://h:8/a b/ü.rpm?x=1#frag", after: prefix) == "/a%20b/%C3%BC.rpm?x=1")
        #expect(BulkDownloader.path(of: "http://h:8/", after: prefix) == "/")
    }

    @Test("the direct primary reader gives what the event reader gives, and leaves what it cannot follow to it")
    func fastPrimary() throws {
        let full = """
            <package type="rpm">
              <name>bear &amp; cub</name><arch>x86_64</arch><version epoch="2" ver="4.1" rel="1.el9"/>
              <checksum type="SHA" pkgid="YES">abc</checksum><summary>  A bear  </summary><description>&#32;x&#10;</description>
              <packager>Someone &lt;a@b&gt;</packager><url>https://bear.example/?a=1&amp;b=2</url><time file="12" build="34"/>
              <size package="42" installed="99" archive="1"/><location xml:base="http://x/" href="b/bear.rpm"/>
              <format><rpm:license>MIT</rpm:license><rpm:vendor/><rpm:group>G</rpm:group><rpm:buildhost>h</rpm:buildhost>
                <rpm:sourcerpm>bear.src.rpm</rpm:sourcerpm><rpm:header-range start="10" end="20"/>
                <rpm:provides><rpm:entry name="bear" flags="EQ" epoch="2" ver="4.1" rel="1.el9"/><rpm:entry name='a&gt;b'/></rpm:provides>
                <rpm:requires><rpm:entry name="cub" flags="GE" ver="1" pre="1"/></rpm:requires>
                <rpm:conflicts><rpm:entry name="lion"/></rpm:conflicts><file>/usr/bin/bear</file><file type="dir">/etc/bear</file>
              </format>
            </package>
            """
        let p = try #require(FastPrimaryReader.read(Array(full.utf8)), "the direct reader reads createrepo's layout")
        let q = try PrimaryPackage.parseEvents(Array(full.utf8))
        #expect(p == q && p.metadataJSON == q.metadataJSON && p.unitKeyJSON == q.unitKeyJSON && p.checksumType == "sha1" && p.summary == "A bear" && p.description == "x")
        #expect(p.name == "bear & cub" && p.provides.map(\.name) == ["bear", "a>b"] && p.requires.count == 1 && p.vendor == nil)
        #expect(p.locationBase == q.locationBase && p.installedSize == 99 && p.headerRange?.end == 20)

        // What it leaves to the event reader, which reads it or says what is wrong.
        let minimal = #"<package type="rpm"><name>a</name><arch>noarch</arch><version ver="1" rel="1"/><checksum type="sha256">ff</checksum><location href="a.rpm"/>"#
        for odd in [minimal + "<summary><![CDATA[x < y]]></summary></package>", minimal + "<!-- c --></package>",
                    minimal + "<summary>a<b/>c</summary></package>"] {
            #expect(FastPrimaryReader.read(Array(odd.utf8)) == nil, "\(odd)")
            #expect(try PrimaryPackage.parse(Array(odd.utf8)) == PrimaryPackage.parseEvents(Array(odd.utf8)))
        }
        for bad in [minimal + "</packages>", minimal + "<url>&nope;</url></package>", minimal, "<package><name>a</name></package>",
                    minimal + "<packager>AT&T</packager></package>", minimal + #"<format><rpm:entry name="x" pre="&x;"/></format></package>"#,
                    minimal + #"<file x<y="1">a</file></package>"#] {
            #expect(FastPrimaryReader.read(Array(bad.utf8)) == nil, "\(bad)")
            #expect(throws: XMLError.self) { try PrimaryPackage.parse(Array(bad.utf8)) }
        }
    }
}
