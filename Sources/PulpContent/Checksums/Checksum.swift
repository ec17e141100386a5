import Crypto

/// The checksum types Pulp accepts (`pulp.plugins.util.verification`), with `sha` read as `sha1`. swift-crypto has
/// no SHA-224, so `sha224` is refused as an unknown type.
public enum ChecksumType: String, Sendable, CaseIterable, Codable {
    case md5, sha1, sha256, sha384, sha512

    /// Pulp's `sanitize_checksum_type`: `sha` is `sha1`; case does not matter.
    public init?(pulp name: String) {
        let lower = name.lowercased()
        if lower == "sha" { self = .sha1; return }
        self.init(rawValue: lower)
    }

    /// The list an error names as accepted.
    public static let accepted = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
}

/// An incremental hash of one of Pulp's checksum types.
public struct Checksummer {
    private enum State {
        case md5(Insecure.MD5), sha1(Insecure.SHA1), sha256(SHA256), sha384(SHA384), sha512(SHA512)
        /// Only while `update` holds the hash: the state must not share it, or each update copies it.
        case moved
    }
    private var state: State
    public let type: ChecksumType

    public init(_ type: ChecksumType) {
        self.type = type
        switch type {
        case .md5: state = .md5(Insecure.MD5())
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        case .sha384: state = .sha384(SHA384())
        case .sha512: state = .sha512(SHA512())
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let held = state
        state = .moved
        switch consume held {
        case .md5(var h): h.update(bufferPointer: bytes); state = .md5(h)
        case .sha1(var h): h.update(bufferPointer: bytes); state = .sha1(h)
        case .sha256(var h): h.update(bufferPointer: bytes); state = .sha256(h)
        case .sha384(var h): h.update(bufferPointer: bytes); state = .sha384(h)
        case .sha512(var h): h.update(bufferPointer: bytes); state = .sha512(h)
        case .moved: break
        }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The lower-case hex digest.
    public func hex() -> String {
        switch state {
        case .md5(let h): return Self.hex(h.finalize())
        case .sha1(let h): return Self.hex(h.finalize())
        case .sha256(let h): return Self.hex(h.finalize())
        case .sha384(let h): return Self.hex(h.finalize())
        case .sha512(let h): return Self.hex(h.finalize())
        case .moved: return ""
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func hex(_ bytes: [UInt8], _ type: ChecksumType) -> String {
        var c = Checksummer(type)
        c.update(bytes)
        return c.hex()
    }
}
