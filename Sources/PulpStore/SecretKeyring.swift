import Crypto
import Foundation
import Synchronization

/// The key file of the store's secrets at rest (pulp2-auth.md §5.7): one base64 256-bit key per line, `#` comments
/// and blank lines ignored; line 1 encrypts, every line decrypts. Made with mode 0600, with one new key, the first
/// time a secret is stored. A key is known by its id: the first 8 hex digits of its SHA-256.
///
/// The file is read again when it changes (another process rotated the keys) and when a secret names a key this
/// process does not hold, so a running server follows `pulpform keys rotate`.
public final class SecretKeyring: Sendable {
    public let path: String

    struct Key: Sendable {
        let id: String
        /// The key's bytes (swift-crypto's `SymmetricKey` is not `Sendable`).
        let bytes: [UInt8]
        var key: SymmetricKey { SymmetricKey(data: bytes) }
    }

    private struct State: Sendable {
        var keys: [Key] = []
        /// The file's modification time and size when last read (nil: it did not exist).
        var stamp: [Double]?
    }

    private let state = Mutex(State())

    /// A keyring over `path`; the file is read now when it exists (and must then be valid and private).
    public init(path: String) throws(StoreError) {
        self.path = path
        try reloadIfChanged()
    }

    /// The ids of the keys, in the file's order (the first encrypts).
    public var keyIds: [String] {
        try? reloadIfChanged()
        return state.withLock { $0.keys.map(\.id) }
    }

    /// The key that encrypts: line 1. Makes the file, with one new key, when it does not exist.
    func sealingKey() throws(StoreError) -> Key {
        try reloadIfChanged()
        if let first = state.withLock({ $0.keys.first }) { return first }
        try create()
        guard let first = state.withLock({ $0.keys.first }) else { throw StoreError.secrets("\(path) holds no key") }
        return first
    }

    /// The key with this id; nil when the file (read again) does not hold it.
    func key(id: String) throws(StoreError) -> Key? {
        if let k = state.withLock({ $0.keys.first { $0.id == id } }) { return k }
        try reloadIfChanged()
        return state.withLock { $0.keys.first { $0.id == id } }
    }

    /// Puts a new key on line 1, keeping the others after it, and returns its id. The file is replaced
    /// atomically (a temporary file renamed into place), so a crash leaves the old file or the new one.
    @discardableResult
    public func addKey() throws(StoreError) -> String {
        try reloadIfChanged()
        let fresh = Self.newKey()
        let keys = [fresh] + state.withLock { $0.keys }
        try write(keys, replacing: true)
        try reloadIfChanged()
        return fresh.id
    }

    /// Removes the keys with these ids (never the one that encrypts); returns how many went.
    @discardableResult
    public func removeKeys(_ ids: Set<String>) throws(StoreError) -> Int {
        try reloadIfChanged()
        let keys = state.withLock { $0.keys }
        let kept = keys.enumerated().filter { $0.offset == 0 || !ids.contains($0.element.id) }.map(\.element)
        guard kept.count < keys.count else { return 0 }
        try write(kept, replacing: true)
        try reloadIfChanged()
        return keys.count - kept.count
    }

    // MARK: The file

    static let header = """
        # pulpform secret keys: one base64 256-bit key per line. Line 1 encrypts; every line decrypts.
        # Keep a copy apart from the store's backups: without this file the store's secrets cannot be read.

        """

    static func newKey() -> Key {
        let key = SymmetricKey(size: .bits256)
        return Key(id: keyId(key), bytes: key.withUnsafeBytes { Array($0) })
    }

    static func keyId(_ key: SymmetricKey) -> String {
        let digest = key.withUnsafeBytes { SHA256.hash(data: Data($0)) }
        return digest.prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    private func stamp() -> [Double]? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return [(a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0, Double((a[.size] as? NSNumber)?.intValue ?? 0)]
    }

    private func reloadIfChanged() throws(StoreError) {
        let now = stamp()
        guard state.withLock({ $0.stamp != now }) || now == nil else { return }
        guard let now else {
            state.withLock { $0 = State() }
            return
        }
        let keys = try read()
        state.withLock { $0 = State(keys: keys, stamp: now) }
    }

    private func read() throws(StoreError) -> [Key] {
        if let a = try? FileManager.default.attributesOfItem(atPath: path), let mode = (a[.posixPermissions] as? NSNumber)?.intValue,
           mode & 0o077 != 0 {
            throw StoreError.secrets("the key file \(path) may be read by other users (mode \(String(mode & 0o777, radix: 8))); run: chmod 600 \(path)")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw StoreError.secrets("cannot read the key file \(path): \(error.localizedDescription)")
        }
        var keys: [Key] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            // The line number only: never the line, which is a key.
            guard let bytes = Data(base64Encoded: line), bytes.count == 32 else {
                throw StoreError.secrets("\(path):\(n + 1): not a base64 256-bit key (make one with: openssl rand -base64 32)")
            }
            keys.append(Key(id: Self.keyId(SymmetricKey(data: bytes)), bytes: Array(bytes)))
        }
        guard !keys.isEmpty else { throw StoreError.secrets("the key file \(path) holds no key") }
        return keys
    }

    /// Makes the file with one new key, unless another process made it first (then that one counts).
    private func create() throws(StoreError) {
        try write([Self.newKey()], replacing: false)
        try reloadIfChanged()
    }

    private func write(_ keys: [Key], replacing: Bool) throws(StoreError) {
        let text = Self.header + keys.map { Data($0.bytes).base64EncodedString() }.joined(separator: "\n") + "\n"
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.secrets("cannot write the key file \(path)")
        }
        defer { unlink(tmp) }
        if replacing {
            guard rename(tmp, path) == 0 else { throw StoreError.secrets("cannot replace the key file \(path): errno \(errno)") }
        } else if link(tmp, path) != 0, errno != EEXIST {
            throw StoreError.secrets("cannot make the key file \(path): errno \(errno)")
        }
    }
}
