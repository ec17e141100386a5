import Foundation
import Testing
@testable import PulpContent

@Suite("PULP_MANIFEST")
struct ISOManifestTests {
    let sha = String(repeating: "ab", count: 32)

    @Test("reads LF and CRLF rows, quoted fields and blank lines; writes CRLF, quoting only where needed; round trip")
    func readWrite() throws {
        let text = "a.iso,\(sha),10\r\n\r\n\"with, comma\".iso,\(sha.uppercased()),0\nsub/\"q\".iso,\(sha),3"
        let entries = try ISOManifest.parse(Array(text.utf8))
        #expect(entries == [ISOManifest.Entry(name: "a.iso", checksum: sha, size: 10),
                            ISOManifest.Entry(name: "with, comma.iso", checksum: sha, size: 0),
                            ISOManifest.Entry(name: "sub/\"q\".iso", checksum: sha, size: 3)])
        let rendered = ISOManifest.render(entries)
        #expect(rendered == "a.iso,\(sha),10\r\n\"with, comma.iso\",\(sha),0\r\n\"sub/\"\"q\"\".iso\",\(sha),3\r\n")
        #expect(try ISOManifest.parse(Array(rendered.utf8)) == entries)
        #expect(try ISOManifest.parse([]) == [])
    }

    @Test("refuses bad rows with their line: field count, names outside the repository, checksums, sizes, duplicates")
    func refuses() {
        let cases: [(String, Int, String)] = [
            ("a.iso,\(sha)\n", 1, "found 2 fields"),
            ("ok.iso,\(sha),1\n/etc/passwd,\(sha),1\n", 2, "not a relative path"),
            ("../up.iso,\(sha),1\n", 1, "not a relative path"),
            ("a/./b.iso,\(sha),1\n", 1, "not a relative path"),
            ("PULP_MANIFEST,\(sha),1\n", 1, "not a relative path"),
            ("a.iso,abc,1\n", 1, "not a sha256"),
            ("a.iso,\(sha),-1\n", 1, "not a number of bytes"),
            ("a.iso,\(sha),1\na.iso,\(sha),1\n", 2, "listed twice"),
            ("\"open.iso,\(sha),1\n", 1, "not closed"),
        ]
        for (text, line, message) in cases {
            #expect(throws: ISOManifest.ParseError.self, "\(text)") { try ISOManifest.parse(Array(text.utf8)) }
            do {
                _ = try ISOManifest.parse(Array(text.utf8))
            } catch {
                #expect(error.line == line && error.message.contains(message), "\(text): \(error)")
            }
        }
        #expect(throws: ISOManifest.ParseError.self) { try ISOManifest.parse([0xFF, 0xFE]) }
    }
}
