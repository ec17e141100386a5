import Crypto
import Foundation
public import PulpModel

/// Importer secrets at rest (pulp2-auth.md §5.7). Every value of a secret key (the catalog's, plus Pulp's two
/// always-masked ones) is stored as `{"$pfenc": "v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>"}`: AES-256-GCM
/// under the keyring's first key, over the value's JSON, authenticating `importer/<repo id>/<key>`, so that a value
/// moved to another repository or key does not decrypt. Sealed on every importer write; revealed only for the work
/// that needs the secret (a sync, a download, an on-demand fetch). Every other reader sees the sealed form, which
/// renders as `*****` like any secret.
public struct StoreSecrets: Sendable {
    public let keyring: SecretKeyring
    let catalog: PluginCatalog

    public init(keyring: SecretKeyring, catalog: PluginCatalog = .builtin) {
        self.keyring = keyring
        self.catalog = catalog
    }

    static let marker = "$pfenc"
    static let version = "v1"

    func secretKeys(_ typeId: String) -> Set<String> { catalog.importerMaskedKeys(typeId) }

    /// Whether a stored value is sealed.
    public static func isSealed(_ value: JSONValue) -> Bool {
        guard case .object(let o) = value, o.count == 1, case .string = o[marker] else { return false }
        return true
    }

    /// The id of the key a sealed value was sealed with.
    static func keyId(_ value: JSONValue) -> String? {
        guard case .object(let o) = value, case .string(let s) = o[marker] else { return nil }
        let parts = s.split(separator: ":", maxSplits: 2)
        return parts.count == 3 ? String(parts[1]) : nil
    }

    static func aad(_ repoId: String, _ key: String) -> Data { Data("importer/\(repoId)/\(key)".utf8) }

    /// The importer's secret keys whose values are in clear.
    func clearKeys(_ importer: Importer) -> [String] {
        secretKeys(importer.typeId).filter { k in importer.config[k].map { !$0.isNull && !Self.isSealed($0) } ?? false }
    }

    /// The keys a rotation to the key `first` seals again: clear secrets, and values sealed under another key
    /// (also under a key no longer secret, after a catalog change: a sealed value is never written clear).
    func staleKeys(_ importer: Importer, first: String) -> [String] {
        clearKeys(importer) + importer.config.filter { Self.isSealed($0.value) && Self.keyId($0.value) != first }.map(\.key)
    }

    /// The importer with every clear secret sealed under the first key; values sealed already stay as they are.
    func seal(_ importer: Importer) throws(StoreError) -> Importer {
        var out = importer
        for k in clearKeys(importer) {
            out.config[k] = try seal(importer.config[k] ?? .null, repoId: importer.repoId, key: k, with: try keyring.sealingKey())
        }
        return out
    }

    func seal(_ value: JSONValue, repoId: String, key: String, with k: SecretKeyring.Key) throws(StoreError) -> JSONValue {
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(Data(value.serialized().utf8), using: k.key, authenticating: Self.aad(repoId, key))
        } catch {
            throw StoreError.secrets("cannot encrypt the importer secret \(key) of repository \(repoId)")
        }
        guard let combined = box.combined else { throw StoreError.secrets("cannot encrypt the importer secret \(key) of repository \(repoId)") }
        return .object([Self.marker: .string("\(Self.version):\(k.id):\(Self.base64URL(combined))")])
    }

    /// The importer with every sealed secret in clear: only for the work that sends it to a feed. A secret whose key
    /// the key file does not hold, or that does not decrypt, is an error naming the repository, the config key and
    /// the key id, never a value.
    public func reveal(_ importer: Importer) throws(StoreError) -> Importer {
        var out = importer
        for (k, v) in importer.config where Self.isSealed(v) {
            out.config[k] = try reveal(v, repoId: importer.repoId, key: k)
        }
        return out
    }

    func reveal(_ value: JSONValue, repoId: String, key: String) throws(StoreError) -> JSONValue {
        guard case .object(let o) = value, case .string(let text) = o[Self.marker] else { return value }
        let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == Self.version, let bytes = Self.fromBase64URL(parts[2]) else {
            throw StoreError.secrets("the importer secret \(key) of repository \(repoId) is not a pulpform ciphertext")
        }
        guard let k = try keyring.key(id: parts[1]) else {
            throw StoreError.secrets("the importer secret \(key) of repository \(repoId) was encrypted with key \(parts[1]), "
                                     + "which the key file \(keyring.path) does not hold: restore the key file this store was used with "
                                     + "(--key-file); no secret is sent to a feed until then")
        }
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: bytes), using: k.key, authenticating: Self.aad(repoId, key))
            return try JSONValue.parse(String(decoding: plain, as: UTF8.self))
        } catch {
            throw StoreError.secrets("the importer secret \(key) of repository \(repoId) does not decrypt with key \(parts[1]): "
                                     + "the store was altered, or the value was moved from another repository or key")
        }
    }

    /// The importer with every secret (clear, or sealed under any key) sealed under the first key: rotation.
    func reseal(_ importer: Importer) throws(StoreError) -> Importer {
        let first = try keyring.sealingKey()
        var out = importer
        for k in staleKeys(importer, first: first.id) {
            let clear = try reveal(importer.config[k] ?? .null, repoId: importer.repoId, key: k)
            out.config[k] = try seal(clear, repoId: importer.repoId, key: k, with: first)
        }
        return out
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64URL(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
