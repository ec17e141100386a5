import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel
@testable import PulpStore

/// Importer secrets at rest (pulp2-auth.md §5.7): sealed with AES-256-GCM under the key file, revealed only on
/// demand, rotated without touching content hashes.
@Suite("secrets at rest")
struct SecretsTests {
    static func importer(_ repo: String, _ config: JSONObject) -> Importer {
        Importer(repoId: repo, typeId: "yum_importer", oid: PulpIDs.objectId(), config: config)
    }

    static func save(_ store: PulpStore, _ repo: String, _ config: JSONObject) throws {
        try store.writeSync { db in
            if try !db.repositoryExists(repo) { try db.insertRepository(Repository(id: repo, oid: PulpIDs.objectId())) }
            try db.saveImporter(importer(repo, config))
        }
    }

    /// The importer's config column as stored.
    static func raw(_ store: PulpStore, _ repo: String) throws -> String {
        try store.readSync { db in try db.rawImporterConfig(repoId: repo) } ?? ""
    }

    /// Every byte of the store's files.
    static func files(_ store: PulpStore) -> Data {
        var all = Data()
        for suffix in ["", "-wal", "-shm"] { all += (try? Data(contentsOf: URL(fileURLWithPath: store.path + suffix))) ?? Data() }
        return all
    }

    @Test("secrets are sealed on every write, the key file is made 0600 on the first one, and only reveal shows them")
    func sealed() throws {
        let t = try TempStore()
        let keyFile = t.store.path + ".key"
        try Self.save(t.store, "plain", ["feed": "https://cdn.example/x"])
        #expect(!FileManager.default.fileExists(atPath: keyFile), "no key file until a secret is stored")
        try Self.save(t.store, "zoo", ["feed": "https://cdn.example/x", "proxy_host": "p", "proxy_username": "u",
                                       "proxy_password": "hunter2-proxy", "ssl_client_key": "-----BEGIN KEY-----hunter2-pem"])
        let mode = (try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let keyText = try String(contentsOfFile: keyFile, encoding: .utf8)
        let keys = keyText.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(keys.count == 1 && Data(base64Encoded: String(keys[0]))?.count == 32)

        let raw = try Self.raw(t.store, "zoo")
        #expect(raw.contains("\"$pfenc\":\"v1:\(t.store.secrets.keyring.keyIds[0]):") && !raw.contains("hunter2"), "\(raw)")
        #expect(raw.contains("\"proxy_host\":\"p\""), "other keys stay in clear")
        let secret = try t.store.importerSecret("zoo", "proxy_password")
        #expect(StoreSecrets.isSealed(secret.stored ?? .null) && secret.clear == "hunter2-proxy")
        #expect(try t.store.importerSecret("zoo", "ssl_client_key").clear == "-----BEGIN KEY-----hunter2-pem")
        // Saved again as read (a sync's commit), sealed values stay as they are: no double sealing.
        try t.store.writeSync { db in try db.saveImporter(try #require(try db.importer(repoId: "zoo"))) }
        #expect(try Self.raw(t.store, "zoo") == raw)
        // Two seals of one value differ (a fresh nonce), and the rendered importer masks the sealed value.
        try Self.save(t.store, "zoo2", ["proxy_password": "hunter2-proxy"])
        #expect(try t.store.importerSecret("zoo2", "proxy_password").stored != secret.stored)
        let shown = try t.store.readSync { db in try db.importer(repoId: "zoo")?.json(catalog: .builtin) }
        #expect(shown?["config"]?["proxy_password"] == "*****")
        try t.store.checkpoint()
        #expect(Self.files(t.store).range(of: Data("hunter2".utf8)) == nil, "the store's files hold no clear secret")
    }

    @Test("a store without its key, a value moved to another repository, a key file others may read: clear errors, never a value")
    func refusals() async throws {
        let t = try TempStore()
        try Self.save(t.store, "zoo", ["proxy_password": "hunter2-proxy"])
        try Self.save(t.store, "emu", ["feed": "x"])
        let kid = t.store.secrets.keyring.keyIds[0]

        // Moved: the ciphertext authenticates its repository and key.
        let raw = try Self.raw(t.store, "zoo")
        try t.store.writeSync { db in try db.setRawImporterConfig(repoId: "emu", raw) }
        #expect(throws: StoreError.self) { _ = try t.store.importerSecret("emu", "proxy_password") }
        do {
            _ = try t.store.importerSecret("emu", "proxy_password")
        } catch {
            #expect("\(error)".contains("moved from another repository or key") && !"\(error)".contains("hunter2"), "\(error)")
        }

        // Copied without its key file.
        let copy = t.temp.path("copy.db")
        try t.store.checkpoint()
        try FileManager.default.copyItem(atPath: t.store.path, toPath: copy)
        let elsewhere = try PulpStore(path: copy)
        #expect(try elsewhere.missingSecretKeys(try await elsewhere.secretCensus()) == [kid])
        do {
            _ = try elsewhere.importerSecret("zoo", "proxy_password")
            Issue.record("a secret decrypted without its key")
        } catch {
            let text = "\(error)"
            #expect(text.contains("encrypted with key \(kid)") && text.contains(copy + ".key") && text.contains("restore the key file"), "\(text)")
        }
        // With the key file given, it reads.
        let withKey = try PulpStore(path: copy, keyFile: t.store.path + ".key")
        #expect(try withKey.importerSecret("zoo", "proxy_password").clear == "hunter2-proxy")

        // A key file others may read is refused, naming the fix.
        chmod(t.store.path + ".key", 0o644)
        #expect { _ = try PulpStore(path: t.store.path) } throws: { "\($0)".contains("chmod 600") }
        chmod(t.store.path + ".key", 0o600)
        try "# none\nnot-a-key\n".write(toFile: t.temp.path("bad.key"), atomically: true, encoding: .utf8)
        chmod(t.temp.path("bad.key"), 0o600)
        #expect { _ = try PulpStore(path: copy, keyFile: t.temp.path("bad.key")) } throws: { "\($0)".hasSuffix("bad.key:2: not a base64 256-bit key (make one with: openssl rand -base64 32)") }
    }

    @Test("rotation seals every secret under a new first key in one transaction, keeps content hashes, and seals clear ones; another process follows")
    func rotation() async throws {
        let t = try TempStore()
        try Self.save(t.store, "zoo", ["proxy_password": "hunter2-a", "basic_auth_password": "hunter2-b"])
        try Self.save(t.store, "emu", ["feed": "x"])
        try t.store.writeSync { db in
            try db.setContentHash("zoo", "hash-zoo")
            try db.setContentHash("emu", "hash-emu")
            // A store from before sealing: a secret in clear.
            try db.setRawImporterConfig(repoId: "emu", #"{"feed":"x","proxy_password":"hunter2-clear"}"#)
            try db.setContentHash("emu", "hash-emu")
        }
        // A second process (a running server) with the same files.
        let server = try PulpStore(path: t.store.path)
        let old = t.store.secrets.keyring.keyIds
        #expect(try await t.store.secretCensus() == SecretCensus(byKey: [old[0]: 2], clear: 1))

        let r = try await t.store.rotateSecretKeys(removeOld: false)
        #expect(r.resealed == 3 && r.kept == old && r.removed == [])
        #expect(t.store.secrets.keyring.keyIds == [r.keyId] + old)
        #expect(try await t.store.secretCensus() == SecretCensus(byKey: [r.keyId: 3], clear: 0))
        #expect(try t.store.readSync { db in [try db.contentHash("zoo"), try db.contentHash("emu")] } == ["hash-zoo", "hash-emu"])
        #expect(try server.importerSecret("zoo", "proxy_password").clear == "hunter2-a", "the other process reads the new key file")
        #expect(try server.importerSecret("emu", "proxy_password").clear == "hunter2-clear")

        // Again, dropping the keys no secret uses.
        let again = try await t.store.rotateSecretKeys(removeOld: true)
        #expect(again.removed.sorted() == ([r.keyId] + old).sorted() && again.kept == [])
        #expect(t.store.secrets.keyring.keyIds == [again.keyId])
        #expect(try server.importerSecret("zoo", "basic_auth_password").clear == "hunter2-b")
        try Self.save(server, "new", ["proxy_password": "hunter2-new"])
        #expect(try Self.raw(t.store, "new").contains(":\(again.keyId):"), "the other process seals with the new first key")

        // A store whose secrets need a key the file lacks is not rotated: nothing changes.
        let copy = t.temp.path("copy.db")
        try t.store.checkpoint()
        try FileManager.default.copyItem(atPath: t.store.path, toPath: copy)
        let lost = try PulpStore(path: copy)
        await #expect(throws: StoreError.self) { _ = try await lost.rotateSecretKeys(removeOld: false) }
        #expect(!FileManager.default.fileExists(atPath: copy + ".key"))
    }
}
