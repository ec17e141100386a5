/// A `<package>` of primary read straight from its bytes: the fields a sync keeps, with no event, attribute
/// list or string made for what it does not keep. It reads what createrepo writes, by the same rules as
/// `PrimaryPackage.parseEvents`; anything else (CDATA, a comment, an element inside a text field, an end tag
/// that does not match, a bad entity) makes it give up (nil), and `PrimaryPackage.parse` reads the package
/// with `XMLScanner` instead, which also says what is wrong.
enum FastPrimaryReader {
    /// The text fields: depth 1 is a child of `<package>`, depth 2 a child of `<format>`.
    private enum Field {
        case name, arch, checksum, summary, description, url, license, vendor, group, buildhost, sourcerpm
    }

    static func read(_ bytes: [UInt8]) -> PrimaryPackage? {
        bytes.withUnsafeBufferPointer { read($0, bytes) }
    }

    private static func read(_ b: UnsafeBufferPointer<UInt8>, _ array: [UInt8]) -> PrimaryPackage? {
        var p = PrimaryPackage()
        let n = b.count
        var i = 0
        /// The open elements' names.
        var open: [Range<Int>] = []
        open.reserveCapacity(8)
        var field: (Field, start: Int)?
        var checksumType: String?
        var attributes: [(name: Range<Int>, value: Range<Int>)] = []
        attributes.reserveCapacity(8)
        var broken = false

        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
        func equals(_ r: Range<Int>, _ s: StaticString) -> Bool {
            guard r.count == s.utf8CodeUnitCount else { return false }
            let u = s.utf8Start
            for k in 0..<r.count where b[r.lowerBound + k] != u[k] { return false }
            return true
        }
        func same(_ x: Range<Int>, _ y: Range<Int>) -> Bool {
            guard x.count == y.count else { return false }
            for k in 0..<x.count where b[x.lowerBound + k] != b[y.lowerBound + k] { return false }
            return true
        }
        func string(_ r: Range<Int>) -> String {
            let slice = UnsafeBufferPointer(rebasing: b[r])
            guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
            guard let decoded = try? XMLScanner.decode(array[r]) else {
                broken = true
                return ""
            }
            return decoded
        }
        /// The last of the name's values, as `XMLAttributes` keeps it.
        func attribute(_ name: StaticString) -> String? {
            for a in attributes.reversed() where equals(a.name, name) { return string(a.value) }
            return nil
        }
        /// Whether every entity in `r` is one `XMLScanner` decodes (for the text and attributes not kept, which
        /// are not decoded: a bad one must still make the package unreadable).
        func entitiesValid(_ r: Range<Int>) -> Bool {
            var k = r.lowerBound
            while k < r.upperBound {
                guard b[k] == UInt8(ascii: "&") else {
                    k += 1
                    continue
                }
                var semi = k + 1
                while semi < min(r.upperBound, k + 12), b[semi] != UInt8(ascii: ";") { semi += 1 }
                guard semi < min(r.upperBound, k + 12) else { return false }
                let name = String(decoding: UnsafeBufferPointer(rebasing: b[(k + 1)..<semi]), as: UTF8.self)
                switch name {
                case "lt", "gt", "amp", "quot", "apos": break
                default:
                    var value: UInt32?
                    if name.hasPrefix("#x") || name.hasPrefix("#X") { value = UInt32(name.dropFirst(2), radix: 16) }
                    else if name.hasPrefix("#") { value = UInt32(name.dropFirst(), radix: 10) }
                    guard let v = value, Unicode.Scalar(v) != nil else { return false }
                }
                k = semi + 1
            }
            return true
        }
        func text(_ r: Range<Int>) -> String {
            if UnsafeBufferPointer(rebasing: b[r]).contains(UInt8(ascii: "&")) { return string(r).trimmingSpace() }
            var lo = r.lowerBound, hi = r.upperBound
            while lo < hi, isSpace(b[lo]) { lo += 1 }
            while hi > lo, isSpace(b[hi - 1]) { hi -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
        }

        while i < n {
            // Text up to the next tag: only a field's is kept, when its end tag comes.
            guard b[i] == UInt8(ascii: "<") else {
                // Text not kept is not decoded, but its entities must be ones the scanner knows.
                if b[i] == UInt8(ascii: "&"), field == nil {
                    var end = i
                    while end < n, b[end] != UInt8(ascii: "<") { end += 1 }
                    guard entitiesValid(i..<end) else { return nil }
                    i = end
                    continue
                }
                i += 1
                continue
            }
            guard i + 1 < n else { return nil }
            let c = b[i + 1]
            if c == UInt8(ascii: "!") || c == UInt8(ascii: "?") { return nil }
            if c == UInt8(ascii: "/") {
                // An end tag: it must close the innermost open element.
                var j = i + 2
                let nameStart = j
                while j < n, b[j] != UInt8(ascii: ">"), !isSpace(b[j]) { j += 1 }
                let name = nameStart..<j
                while j < n, isSpace(b[j]) { j += 1 }
                guard j < n, b[j] == UInt8(ascii: ">"), let last = open.popLast(), same(last, name) else { return nil }
                if let (f, start) = field {
                    let value = text(start..<i)
                    switch f {
                    case .name: p.name = value
                    case .arch: p.arch = value
                    case .checksum:
                        p.checksum = value
                        p.checksumType = checksumType.map { $0.lowercased() == "sha" ? "sha1" : $0.lowercased() } ?? ""
                    case .summary: p.summary = value
                    case .description: p.description = value
                    case .url: p.url = value
                    case .license: p.license = value
                    case .vendor: p.vendor = value
                    case .group: p.group = value
                    case .buildhost: p.buildhost = value
                    case .sourcerpm: p.sourcerpm = value
                    }
                    field = nil
                }
                i = j + 1
                continue
            }
            // A start tag: its name, then its attributes.
            guard field == nil else { return nil }
            var j = i + 1
            let nameStart = j
            while j < n, !isSpace(b[j]), b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "/"), b[j] != UInt8(ascii: "<") { j += 1 }
            let name = nameStart..<j
            guard !name.isEmpty else { return nil }
            attributes.removeAll(keepingCapacity: true)
            var empty = false
            while true {
                while j < n, isSpace(b[j]) { j += 1 }
                guard j < n else { return nil }
                if b[j] == UInt8(ascii: ">") { break }
                if b[j] == UInt8(ascii: "/") {
                    guard j + 1 < n, b[j + 1] == UInt8(ascii: ">") else { return nil }
                    empty = true
                    j += 1
                    break
                }
                let attributeStart = j
                while j < n, b[j] != UInt8(ascii: "="), !isSpace(b[j]), b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "/"),
                      b[j] != UInt8(ascii: "<") { j += 1 }
                let attributeName = attributeStart..<j
                guard !attributeName.isEmpty else { return nil }
                while j < n, isSpace(b[j]) { j += 1 }
                guard j < n, b[j] == UInt8(ascii: "=") else { return nil }
                j += 1
                while j < n, isSpace(b[j]) { j += 1 }
                guard j < n, b[j] == UInt8(ascii: "\"") || b[j] == UInt8(ascii: "'") else { return nil }
                let quote = b[j]
                j += 1
                let valueStart = j
                while j < n, b[j] != quote { j += 1 }
                guard j < n else { return nil }
                if UnsafeBufferPointer(rebasing: b[valueStart..<j]).contains(UInt8(ascii: "&")) {
                    guard entitiesValid(valueStart..<j) else { return nil }
                }
                attributes.append((attributeName, valueStart..<j))
                j += 1
            }
            let depth = open.count
            if equals(name, "version") {
                p.epoch = attribute("epoch").flatMap { $0.isEmpty ? nil : $0 } ?? "0"
                p.version = attribute("ver") ?? ""
                p.release = attribute("rel") ?? ""
            } else if equals(name, "location") {
                p.locationHref = attribute("href") ?? ""
                p.locationBase = attribute("xml:base")
            } else if equals(name, "size") {
                p.size = Int(attribute("package") ?? "") ?? 0
                p.installedSize = Int(attribute("installed") ?? "")
            } else if equals(name, "time") {
                p.time = Int(attribute("file") ?? "")
                p.buildTime = Int(attribute("build") ?? "")
            } else if equals(name, "rpm:header-range") {
                if let s = Int(attribute("start") ?? ""), let e = Int(attribute("end") ?? "") { p.headerRange = (s, e) }
            } else if equals(name, "rpm:entry") {
                if let parent = open.last, equals(parent, "rpm:provides") || equals(parent, "rpm:requires") {
                    let entry = PrimaryPackage.Dependency(name: attribute("name") ?? "", flags: attribute("flags"), epoch: attribute("epoch"),
                                                          version: attribute("ver"), release: attribute("rel"))
                    if equals(parent, "rpm:provides") { p.provides.append(entry) } else { p.requires.append(entry) }
                }
            } else if !empty {
                // A text field (an empty one, `<url/>`, leaves the field as it is, as the event reader does).
                switch depth {
                case 1:
                    if equals(name, "name") { field = (.name, j + 1) }
                    else if equals(name, "arch") { field = (.arch, j + 1) }
                    else if equals(name, "checksum") {
                        field = (.checksum, j + 1)
                        checksumType = attribute("type")
                    } else if equals(name, "summary") { field = (.summary, j + 1) }
                    else if equals(name, "description") { field = (.description, j + 1) }
                    else if equals(name, "url") { field = (.url, j + 1) }
                case 2:
                    if equals(name, "rpm:license") { field = (.license, j + 1) }
                    else if equals(name, "rpm:vendor") { field = (.vendor, j + 1) }
                    else if equals(name, "rpm:group") { field = (.group, j + 1) }
                    else if equals(name, "rpm:buildhost") { field = (.buildhost, j + 1) }
                    else if equals(name, "rpm:sourcerpm") { field = (.sourcerpm, j + 1) }
                default:
                    break
                }
            }
            if !empty { open.append(name) }
            i = j + 1
        }
        guard !broken, open.isEmpty, field == nil, !p.name.isEmpty, !p.version.isEmpty, !p.arch.isEmpty, !p.checksum.isEmpty,
              !p.locationHref.isEmpty else { return nil }
        return p
    }
}
