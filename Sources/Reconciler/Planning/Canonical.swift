import Crypto
import Foundation
public import PulpContract
public import PulpModel

/// Salted fingerprints of secret values: equal values give equal fingerprints under one salt, and a
/// fingerprint says nothing about the value.
public struct Fingerprinter: Sendable {
    public let salt: String

    public init(salt: String) { self.salt = salt }

    public func fingerprint(_ secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: SymmetricKey(data: Data(salt.utf8)))
        return "hmac-sha256:" + Fingerprinter.hex(Array(mac)).prefix(32)
    }

    /// SHA-256 of a text, in hex: the fingerprint of a whole canonical object.
    public static func digest(_ text: String) -> String {
        hex(Array(SHA256.hash(data: Data(text.utf8))))
    }

    public static func digest(_ bytes: [UInt8]) -> String {
        hex(Array(SHA256.hash(data: bytes)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A new random salt.
    public static func newSalt() -> String {
        var rng = SystemRandomNumberGenerator()
        return hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}

/// Which secret: a config key of a repository's importer or of one of its distributors.
public struct SecretKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var repoId: String
    /// `importer` or `distributor:<id>`.
    public var plugin: String
    public var key: String

    public init(repoId: String, plugin: String, key: String) {
        self.repoId = repoId
        self.plugin = plugin
        self.key = key
    }

    public var description: String { "\(repoId)/\(plugin)/\(key)" }

    public static func < (a: SecretKey, b: SecretKey) -> Bool { (a.repoId, a.plugin, a.key) < (b.repoId, b.plugin, b.key) }
}

/// What the reconciler keeps about a target between runs: a salt and the fingerprints of the secrets it applied.
public protocol ReconcilerState: Sendable {
    func salt() async throws -> String
    func secretFingerprints() async throws -> [SecretKey: String]
    /// Records fingerprints; a nil value forgets the key.
    func recordSecretFingerprints(_ changes: [SecretKey: String?]) async throws
    /// The users and roles pulpform manages, with what it applied to each.
    func accessRecords() async throws -> [AccessRecord]
    /// Records what was applied; a record without `applied` forgets its user or role.
    func recordAccess(_ records: [AccessRecord]) async throws
    /// The last apply that ran to its end, and the revision of the manifests it came from.
    func lastApply() async throws -> ApplyRecord?
    func recordApply(_ record: ApplyRecord) async throws
}

/// A state held in memory (tests, and targets that keep none).
public actor MemoryReconcilerState: ReconcilerState {
    private let saltValue: String
    private var fingerprints: [SecretKey: String] = [:]

    public init(salt: String = Fingerprinter.newSalt()) { saltValue = salt }

    public func salt() -> String { saltValue }
    public func secretFingerprints() -> [SecretKey: String] { fingerprints }
    public func recordSecretFingerprints(_ changes: [SecretKey: String?]) {
        for (k, v) in changes { fingerprints[k] = v }
    }

    private var access: [String: AccessRecord] = [:]
    public func accessRecords() -> [AccessRecord] { access.values.sorted { $0.unit < $1.unit } }
    public func recordAccess(_ records: [AccessRecord]) {
        for r in records { access[r.unit] = r.applied == nil ? nil : r }
    }

    private var last: ApplyRecord?
    public func lastApply() -> ApplyRecord? { last }
    public func recordApply(_ record: ApplyRecord) { last = record }
}

/// The canonical form in which desired and actual state are compared.
///
/// - Config keys whose value equals the catalog default are dropped, so "absent" and "default" compare equal.
/// - Pulp's value conventions are folded: `"true"`/`"false"` for boolean keys, numeric strings for integer keys.
/// - Secrets become `{"$fingerprint": ...}`: the desired value's salted fingerprint; for the actual value,
///   its fingerprint when it is readable, else the one recorded when pulpform last applied it.
public struct Canonicalizer: Sendable {
    public var catalog: PluginCatalog
    public var fingerprinter: Fingerprinter
    public var recorded: [SecretKey: String]
    /// Resolved secret values, by source.
    public var secretValues: [SecretSource: String]

    public init(catalog: PluginCatalog, fingerprinter: Fingerprinter, recorded: [SecretKey: String],
                secretValues: [SecretSource: String])
    {
        self.catalog = catalog
        self.fingerprinter = fingerprinter
        self.recorded = recorded
        self.secretValues = secretValues
    }

    public static let unknownFingerprint = "unknown"

    static func secretMarker(_ fp: String) -> JSONValue { ["$fingerprint": .string(fp)] }

    func isSecret(_ key: String, plugin: PluginType?, kind: PluginKind) -> Bool {
        if plugin?.key(key)?.secret == true { return true }
        return kind == .importer && PluginCatalog.alwaysMasked.contains(key)
    }

    /// Folds a plain value to its canonical type; nil when it equals the default.
    func normalize(_ value: JSONValue, key: ConfigKey?) -> JSONValue? {
        var v = value
        if let key {
            switch (key.type, value) {
            case (.bool, .string(let s)) where s.lowercased() == "true" || s.lowercased() == "false":
                v = .bool(s.lowercased() == "true")
            case (.int, .string(let s)):
                if let i = Int(s) { v = .int(i) }
            case (.int, .double(let d)), (.number, .double(let d)):
                if d == d.rounded(), abs(d) < 1e15 { v = .int(Int(d)) }
            case (.number, .string(let s)):
                if let i = Int(s) { v = .int(i) } else if let d = Double(s) { v = .double(d) }
            default: break
            }
            if let def = key.defaultValue, def == v { return nil }
        }
        return v
    }

    /// The desired config, canonical.
    public func desired(_ config: [String: ConfigValue], typeId: String, kind: PluginKind) -> JSONObject {
        let plugin = catalog.types[typeId]
        var out = JSONObject()
        for (k, v) in config {
            switch v {
            case .plain(let value):
                if let n = normalize(value, key: plugin?.key(k)) { out[k] = n }
            case .secret(let source):
                let fp = secretValues[source].map(fingerprinter.fingerprint) ?? Canonicalizer.unknownFingerprint
                out[k] = Canonicalizer.secretMarker(fp)
            }
        }
        return out
    }

    /// The actual config, canonical. `scope` says whose config it is, to find recorded fingerprints.
    public func actual(_ config: JSONObject, typeId: String, kind: PluginKind, repoId: String, scope: String) -> JSONObject {
        let plugin = catalog.types[typeId]
        var out = JSONObject()
        for (k, v) in config where !v.isNull {
            if isSecret(k, plugin: plugin, kind: kind) {
                let fp: String
                if case .string(let s) = v, s != "*****" {
                    fp = fingerprinter.fingerprint(s)
                } else {
                    fp = recorded[SecretKey(repoId: repoId, plugin: scope, key: k)] ?? Canonicalizer.unknownFingerprint
                }
                out[k] = Canonicalizer.secretMarker(fp)
            } else if let n = normalize(v, key: plugin?.key(k)) {
                out[k] = n
            }
        }
        return out
    }
}
