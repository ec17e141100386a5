import Foundation
public import PulpContract
import PulpModel

#if canImport(Glibc)
import Glibc
#endif

/// The reconciler's state for a live server, kept in a local JSON file: per target URL, a salt and the
/// fingerprints of the secrets pulpform applied. Writes are atomic and serialised with `flock`.
public struct FileReconcilerState: ReconcilerState {
    public let path: String
    public let target: String
    public let readOnly: Bool

    public init(path: String, target: String, readOnly: Bool) {
        self.path = path
        self.target = target
        self.readOnly = readOnly
    }

    public static func key(for url: String) -> String {
        var k = url
        while k.hasSuffix("/") { k.removeLast() }
        return k + "/"
    }

    public static func defaultPath(beside manifests: [String]) -> String {
        let first = manifests.first ?? "."
        var isDir: ObjCBool = false
        let dir = FileManager.default.fileExists(atPath: first, isDirectory: &isDir) && isDir.boolValue
            ? first : (first as NSString).deletingLastPathComponent
        return ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(".pulpform-state.json")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func load() throws -> JSONObject {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        guard let v = try? JSONValue.parse(data), case .object(let o) = v else {
            throw Failure(description: "the state file \(path) is not valid JSON")
        }
        return o
    }

    /// Read-modify-write under an exclusive lock on `<path>.lock`.
    func update(_ change: (inout JSONObject) -> Void) throws {
        let fd = open(path + ".lock", O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot lock the state file \(path)") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        var all = try load()
        var mine = all["targets"]?[target]?.objectValue ?? [:]
        change(&mine)
        var targets = all["targets"]?.objectValue ?? [:]
        targets[target] = .object(mine)
        all["targets"] = .object(targets)
        all["format_version"] = 1
        try Data(JSONValue.object(all).pretty().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    func mine() throws -> JSONObject { try load()["targets"]?[target]?.objectValue ?? [:] }

    public func salt() async throws -> String {
        if let s = try mine()["salt"]?.stringValue { return s }
        let s = Fingerprinter.newSalt()
        if readOnly { return s }
        var result = s
        try update { t in
            if let existing = t["salt"]?.stringValue { result = existing } else { t["salt"] = .string(s) }
        }
        return result
    }

    public func secretFingerprints() async throws -> [SecretKey: String] {
        var out: [SecretKey: String] = [:]
        for (k, v) in try mine()["secret_fingerprints"]?.objectValue ?? [:] {
            let parts = k.split(separator: "/", maxSplits: 2).map(String.init)
            if parts.count == 3, let fp = v.stringValue { out[SecretKey(repoId: parts[0], plugin: parts[1], key: parts[2])] = fp }
        }
        return out
    }

    public func recordSecretFingerprints(_ changes: [SecretKey: String?]) async throws {
        guard !readOnly else { return }
        try update { t in
            var fps = t["secret_fingerprints"]?.objectValue ?? [:]
            for (k, v) in changes { fps["\(k.repoId)/\(k.plugin)/\(k.key)"] = v.map(JSONValue.string) }
            t["secret_fingerprints"] = .object(fps.filter { !$0.value.isNull })
        }
    }

    /// Under `access`: `"user:<login>"` or `"role:<id>"` → `{"applied", "password"}`.
    public func accessRecords() async throws -> [AccessRecord] {
        var out: [AccessRecord] = []
        for (unit, v) in try mine()["access"]?.objectValue ?? [:] {
            let parts = unit.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = AccessRecord.Kind(rawValue: parts[0]), let applied = v["applied"]?.stringValue else { continue }
            out.append(AccessRecord(kind: kind, name: parts[1], applied: applied, passwordFingerprint: v["password"]?.stringValue))
        }
        return out.sorted { $0.unit < $1.unit }
    }

    public func recordAccess(_ records: [AccessRecord]) async throws {
        guard !readOnly else { return }
        try update { t in
            var access = t["access"]?.objectValue ?? [:]
            for r in records {
                access[r.unit] = r.applied.map { ["applied": .string($0), "password": .from(r.passwordFingerprint)] }
            }
            t["access"] = .object(access)
        }
    }

    public func lastApply() async throws -> ApplyRecord? {
        try mine()["last_apply"].flatMap(ApplyRecord.init(json:))
    }

    public func recordApply(_ record: ApplyRecord) async throws {
        guard !readOnly else { return }
        try update { $0["last_apply"] = record.json }
    }
}
