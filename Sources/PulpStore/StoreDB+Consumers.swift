import Foundation
import GRDB
public import PulpModel

/// Consumers.
extension StoreDB {
    static func consumer(_ row: Row) throws -> Consumer {
        let id = try string(row, "consumer_id")
        return Consumer(id: id, oid: try string(row, "oid"), displayName: try string(row, "display_name"),
                        description: row["description"], notes: try decodeObject(row["notes"], "notes of \(id)"),
                        capabilities: try decodeObject(row["capabilities"], "capabilities of \(id)"), rsaPub: row["rsa_pub"])
    }

    public func consumer(_ id: String) throws -> Consumer? {
        try Row.fetchOne(db, cached: "SELECT * FROM consumers WHERE consumer_id = ?", arguments: [id]).map(StoreDB.consumer)
    }

    public func consumers() throws -> [Consumer] {
        try Row.fetchAll(db, cached: "SELECT * FROM consumers ORDER BY seq").map(StoreDB.consumer)
    }

    public func saveConsumer(_ c: Consumer) throws {
        try db.execute(cached: """
            INSERT INTO consumers (consumer_id, oid, display_name, description, notes, capabilities, rsa_pub)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(consumer_id) DO UPDATE SET display_name = excluded.display_name, description = excluded.description,
                notes = excluded.notes, capabilities = excluded.capabilities, rsa_pub = excluded.rsa_pub
            """, arguments: [c.id, c.oid, c.displayName, c.description, StoreDB.json(c.notes), StoreDB.json(c.capabilities),
                             c.rsaPub])
    }

    public func deleteConsumer(_ id: String) throws {
        try db.execute(cached: "DELETE FROM consumers WHERE consumer_id = ?", arguments: [id])
    }
}
