import Foundation
import GRDB
import PulpModel

/// Typed access to the store inside one transaction. Only lives inside `PulpStore.read`/`write`.
public struct StoreDB {
    let db: Database
    let secrets: StoreSecrets

    // MARK: Helpers

    /// Runs `body` in a savepoint: if it throws, what it wrote is rolled back and the error rethrown.
    public func atomically<T>(_ body: () throws -> T) throws -> T {
        try db.atomically(body)
    }

    static func json(_ v: JSONValue) -> String { v.serialized() }
    static func json(_ o: JSONObject) -> String { JSONValue.object(o).serialized() }

    static func decode(_ text: String?, _ what: String) throws -> JSONValue {
        guard let text else { return .null }
        do { return try JSONValue.parse(text) } catch { throw StoreError.corrupt(what) }
    }

    static func decodeObject(_ text: String?, _ what: String) throws -> JSONObject {
        guard case .object(let o) = try decode(text, what) else { throw StoreError.corrupt(what) }
        return o
    }

    static func string(_ row: Row, _ col: String) throws -> String {
        guard let s = row[col] as String? else { throw StoreError.corrupt("\(col) is null") }
        return s
    }

    static func date(_ row: Row, _ col: String) -> PulpDateTime? {
        (row[col] as Double?).map { PulpDateTime(epoch: $0) }
    }

    /// The number of rows the last statement changed.
    public var changes: Int { db.changesCount }

}
