public import Foundation
import Synchronization

/// API paths. Every path ends in `/`.
public enum PulpPaths {
    public static let apiRoot = "/pulp/api/v2/"
    public static func repository(_ id: String) -> String { "\(apiRoot)repositories/\(id)/" }
    public static func importer(_ repoId: String, _ typeId: String) -> String { "\(repository(repoId))importers/\(typeId)/" }
    public static func distributor(_ repoId: String, _ id: String) -> String { "\(repository(repoId))distributors/\(id)/" }
    public static func task(_ id: String) -> String { "\(apiRoot)tasks/\(id)/" }
    public static func taskGroup(_ id: String) -> String { "\(apiRoot)task_groups/\(id)/" }
    public static func consumer(_ id: String) -> String { "\(apiRoot)consumers/\(id)/" }
}

/// Pulp's id rules (`db/model/__init__.py`), plus a length limit so that an id always fits in a URL.
public enum IDRules {
    /// The longest id accepted.
    public static let maximumLength = 512

    /// `^[.\-_A-Za-z0-9]+$`
    public static func isValidRepositoryId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maximumLength && id.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// `^[\-_A-Za-z0-9]+$` (no dot).
    public static func isValidDistributorId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maximumLength && id.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Consumer ids follow the repository rule.
    public static func isValidConsumerId(_ id: String) -> Bool { isValidRepositoryId(id) }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}

/// Generators for Pulp's identifiers.
public enum PulpIDs {
    /// A Mongo ObjectId: 4 bytes of time, 5 random bytes chosen once per process, and a 3-byte counter that
    /// starts at a random value (MongoDB's own layout: unique without a system call per id).
    public static func objectId(now: Double = Date().timeIntervalSince1970) -> String {
        let t = UInt32(truncatingIfNeeded: Int(now))
        let n = counter.add(1, ordering: .relaxed).oldValue & 0xFF_FFFF
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes[0] = UInt8(t >> 24)
        bytes[1] = UInt8((t >> 16) & 0xFF)
        bytes[2] = UInt8((t >> 8) & 0xFF)
        bytes[3] = UInt8(t & 0xFF)
        for i in 0..<5 { bytes[4 + i] = processBytes[i] }
        bytes[9] = UInt8((n >> 16) & 0xFF)
        bytes[10] = UInt8((n >> 8) & 0xFF)
        bytes[11] = UInt8(n & 0xFF)
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(24)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let processBytes: [UInt8] = (0..<5).map { _ in UInt8.random(in: 0...255) }
    static let counter = Atomic<Int>(Int.random(in: 0...0xFF_FFFF))

    public static func isObjectId(_ s: String) -> Bool {
        s.utf8.count == 24 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }

    /// An object id derived from `parts` (24 hex digits of two FNV-1a hashes): the same on every call and every
    /// server, for records the store keeps no id for (a content type, a unit's association).
    public static func stableObjectId(_ parts: String...) -> String {
        let bytes = Array(parts.joined(separator: "\u{0}").utf8)
        var out = ""
        for seed: UInt64 in [0xcbf2_9ce4_8422_2325, 0x9e37_79b9_7f4a_7c15] {
            var h = seed
            for b in bytes {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01b3
            }
            let hex = String(h, radix: 16)
            out += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return String(out.prefix(24))
    }

    /// A task id: a lowercase uuid4, from the system's random source (getrandom, where Foundation's UUID opens
    /// /dev/urandom for each one: a sync makes thousands).
    public static func uuid() -> String {
        var random = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: random.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: random.next() as UInt64, toByteOffset: 8, as: UInt64.self)
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return uuidString(bytes)
    }

    /// A unit id: a lowercase, time-ordered uuid (version 7, RFC 9562): milliseconds since the epoch, a
    /// sequence that keeps the ids one process makes in increasing order within a millisecond, then random bits.
    /// Units a sync stores one after another land next to each other in every index keyed by unit id, instead of
    /// on a random page of each (a 50,000-package sync rewrote most of those indexes' pages at every commit).
    public static func unitId() -> String { unitIds.next(now: Date()) }

    private static let unitIds = UnitIdGenerator()

    /// Makes `unitId`s: the last millisecond and sequence used, so that one process's ids keep increasing.
    public final class UnitIdGenerator: Sendable {
        private let clock = Mutex<(ms: UInt64, sequence: UInt64)>((0, 0))

        public init() {}

        public func next(now: Date) -> String {
            let (ms, sequence) = clock.withLock { state -> (UInt64, UInt64) in
                let ms = max(UInt64(max(0, now.timeIntervalSince1970 * 1000)), state.ms)
                state.sequence = ms == state.ms ? state.sequence + 1 : 0
                if state.sequence > 0xFFF { state = (ms + 1, 0) } else { state.ms = ms }
                return (state.ms, state.sequence)
            }
            var random = SystemRandomNumberGenerator()
            let tail = random.next() as UInt64
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
            bytes[6] = 0x70 | UInt8(truncatingIfNeeded: sequence >> 8)
            bytes[7] = UInt8(truncatingIfNeeded: sequence)
            for i in 8..<16 { bytes[i] = UInt8(truncatingIfNeeded: tail >> (56 - 8 * UInt64(i - 8))) }
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            return PulpIDs.uuidString(bytes)
        }
    }

    static func uuidString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Config cleaning (`importer.clean_config_dict`, distributor `clean_config`).
public enum ConfigRules {
    /// Drops keys whose value is null. Notes are not cleaned: they keep nulls.
    public static func clean(_ config: JSONObject) -> JSONObject {
        config.filter { !$0.value.isNull }
    }

    /// A merge as Pulp's update tasks do it: a null removes the key (absent keys are not an error),
    /// other values overwrite.
    public static func merge(_ base: JSONObject, _ delta: JSONObject) -> JSONObject {
        var out = base
        for (k, v) in delta {
            if v.isNull { out.removeValue(forKey: k) } else { out[k] = v }
        }
        return out
    }

    /// The value shown for a secret.
    public static let mask: JSONValue = .string("*****")

    /// Renders secrets as `*****`: any non-null value of a secret key.
    public static func masked(_ config: JSONObject, secretKeys: Set<String>) -> JSONObject {
        var out = config
        for k in secretKeys where out[k] != nil && !(out[k]?.isNull ?? true) {
            out[k] = mask
        }
        return out
    }
}

/// Query-string booleans: `value.lower() == 'true'`.
public func pulpBoolFlag(_ value: String?) -> Bool {
    value?.lowercased() == "true"
}
