public import Foundation
import GRDB
import PulpModel

/// Errors of the store itself (not Pulp errors).
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// The database file could not be opened or migrated.
    case open(path: String, reason: String)
    /// A stored value could not be read back.
    case corrupt(String)
    /// The secrets at rest: the key file, or a secret that does not decrypt.
    case secrets(String)

    public var description: String {
        switch self {
        case .secrets(let why): return why
        case .open(let path, let reason): return "cannot open store \(path): \(reason)"
        case .corrupt(let what): return "the store holds an unreadable value: \(what)"
        }
    }
}

/// The SQLite store: one file, WAL mode, named append-only migrations.
///
/// Every `write` is one transaction: if its body throws, the store holds exactly what it held before.
public final class PulpStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Concurrent writes share transactions (group commit).
    let batcher: WriteBatcher
    /// Seals importer secrets on write and reveals them for the work that needs them.
    public let secrets: StoreSecrets

    /// `PULPFORM_DB` if set, otherwise `./pulpform.db`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["PULPFORM_DB"], !p.isEmpty { return p }
        return "./pulpform.db"
    }

    /// The key file of a store's secrets when none is named: beside the store, `<store>.key`.
    public static func defaultKeyFile(storePath: String) -> String { storePath + ".key" }

    /// Opens (creating if needed) and migrates the store at `path`. A read-only store must exist and be
    /// fully migrated; nothing is written to it. `keyFile` (default `<path>.key`) holds the keys of the importer
    /// secrets; it is made, mode 0600, when the first secret is stored.
    public init(path: String, readOnly: Bool = false, keyFile: String? = nil) throws(StoreError) {
        self.path = path
        secrets = StoreSecrets(keyring: try SecretKeyring(path: keyFile ?? Self.defaultKeyFile(storePath: path)))
        var config = Configuration()
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        // Let a CLI run and a server share the file: wait for the write lock instead of failing.
        config.busyMode = .timeout(30)
        config.label = "pulpform"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384")
        }
        do {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
                throw StoreError.open(path: path, reason: "directory \(dir) does not exist")
            }
            if readOnly {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StoreError.open(path: path, reason: "no store exists at this path")
                }
                pool = try DatabasePool(path: path, configuration: config)
                guard try pool.read({ db in try PulpStore.migrator.hasCompletedMigrations(db) }) else {
                    throw StoreError.open(path: path, reason: "the store was made by an older pulpform; run a command that writes to it first")
                }
            } else {
                pool = try DatabasePool(path: path, configuration: config)
                try PulpStore.migrator.migrate(pool)
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .open(path: path, reason: "\(error)")
        }
        batcher = WriteBatcher(pool: pool)
    }

    /// The names of the migrations applied to this store, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try PulpStore.migrator.appliedMigrations(db) }
    }

    /// The journal mode in force (`wal`).
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Runs `body` atomically: if it throws, everything it wrote is rolled back. Writes that arrive together
    /// commit together (see `WriteBatcher`) unless `alone`; the call returns once its write is committed.
    public func write<T: Sendable>(alone: Bool = false, _ body: @escaping @Sendable (StoreDB) throws -> T) async throws -> T {
        try await batcher.write(alone: alone) { db in try body(StoreDB(db: db, secrets: self.secrets)) }
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreDB) throws -> T) async throws -> T {
        try await pool.read { db in try body(StoreDB(db: db, secrets: self.secrets)) }
    }

    /// Synchronous forms, for tests and start-up.
    public func writeSync<T>(_ body: (StoreDB) throws -> T) throws -> T {
        try pool.write { db in try body(StoreDB(db: db, secrets: self.secrets)) }
    }

    public func readSync<T>(_ body: (StoreDB) throws -> T) throws -> T {
        try pool.read { db in try body(StoreDB(db: db, secrets: self.secrets)) }
    }

    /// Rows inserted, updated or deleted through this store's writer connection since it was opened
    /// (SQLite's `total_changes`, triggers included). Benchmarks use it to prove a read wrote nothing.
    public func rowsWritten() -> Int {
        pool.writeWithoutTransaction { db in db.totalChangesCount }
    }

    /// Every row of every table, as text, in a stable order: used to prove an operation changed nothing.
    public func dump() throws -> [String] {
        try pool.read { db in
            var out: [String] = []
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                AND name != 'grdb_migrations' ORDER BY name
                """)
            for t in tables {
                out += try Row.fetchAll(db, sql: "SELECT * FROM \(t)").map { "\(t): \($0.description)" }.sorted()
            }
            return out
        }
    }
}
