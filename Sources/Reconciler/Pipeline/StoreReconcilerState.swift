import Foundation
import PulpContract
import PulpModel

#if canImport(Glibc)
import Glibc
#endif

/// The salt and secret fingerprints, kept in the store.
struct EmbeddedState: ReconcilerState {
    let store: PulpStore
    /// Read-only: a missing salt means no secret was ever applied, so any fresh salt will do.
    var readOnly = false

    func salt() async throws -> String {
        if readOnly {
            return try await store.read { db in try db.meta("secret_salt") } ?? Fingerprinter.newSalt()
        }
        // Read first: a plan on a store that has its salt writes nothing.
        if let s = try await store.read({ db in try db.meta("secret_salt") }) { return s }
        return try await store.write { db in
            if let s = try db.meta("secret_salt") { return s }
            let s = Fingerprinter.newSalt()
            try db.setMeta("secret_salt", s)
            return s
        }
    }

    func secretFingerprints() async throws -> [SecretKey: String] {
        try await store.read { db in
            var out: [SecretKey: String] = [:]
            for f in try db.secretFingerprints() {
                out[SecretKey(repoId: f.repoId, plugin: f.plugin, key: f.key)] = f.fingerprint
            }
            return out
        }
    }

    /// Marks an apply's task group as in progress; a later apply that finds it still marked knows the
    /// process died (it holds the lock) and cancels the group's leftover tasks.
    func beginApply(_ groupId: String) async throws {
        try await store.write { db in try db.setMeta("apply_in_progress", groupId) }
    }

    func endApply() async throws {
        try await store.write { db in try db.setMeta("apply_in_progress", "") }
    }

    func abandonedApply() async throws -> String? {
        try await store.read { db in try db.meta("apply_in_progress") }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func recordSecretFingerprints(_ changes: [SecretKey: String?]) async throws {
        try await store.write { db in
            for (k, v) in changes {
                try db.setSecretFingerprint(repoId: k.repoId, plugin: k.plugin, key: k.key, fingerprint: v)
            }
        }
    }
}

