import GRDB
public import PulpModel

/// Uploads in progress: the byte ranges each has received, merged and sorted (`[[start, end), …]`).
extension StoreDB {
    public func insertUpload(_ id: String, now: Double) throws {
        try db.execute(sql: "INSERT INTO uploads (upload_id, created) VALUES (?, ?)", arguments: [id, now])
    }

    public func uploadIds() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT upload_id FROM uploads ORDER BY created, upload_id")
    }

    /// The ranges received, or nil when there is no such upload.
    public func uploadRanges(_ id: String) throws -> [Range<Int>]? {
        guard let text = try String.fetchOne(db, sql: "SELECT ranges FROM uploads WHERE upload_id = ?", arguments: [id]) else { return nil }
        var out: [Range<Int>] = []
        for pair in (try? JSONValue.parse(text))?.arrayValue ?? [] {
            guard let a = pair.arrayValue, a.count == 2, let lo = a[0].intValue, let hi = a[1].intValue, lo <= hi else {
                throw StoreError.corrupt("upload \(id)")
            }
            out.append(lo..<hi)
        }
        return out
    }

    /// Records that `range` arrived. False when there is no such upload.
    public func addUploadRange(_ id: String, _ range: Range<Int>) throws -> Bool {
        guard let ranges = try uploadRanges(id) else { return false }
        let merged = StoreDB.merge(ranges + [range])
        let text = "[" + merged.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]"
        try db.execute(sql: "UPDATE uploads SET ranges = ? WHERE upload_id = ?", arguments: [text, id])
        return true
    }

    /// False when there is no such upload.
    public func deleteUpload(_ id: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM uploads WHERE upload_id = ?", arguments: [id])
        return db.changesCount > 0
    }

    /// Sorted ranges with touching or overlapping ones joined.
    public static func merge(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The repository's other packages of this type with the NEVRA of `key` (a rebuild with another checksum).
    public func sameNEVRA(repoId: String, typeId: String, key: JSONObject, except unitId: String) throws -> [String] {
        func s(_ k: String) -> String { key[k]?.stringValue ?? "" }
        return try String.fetchAll(db, sql: """
            SELECT r.unit_id FROM repo_content r JOIN content_units u ON u.unit_id = r.unit_id
            WHERE r.repo_id = ? AND r.type_id = ? AND r.unit_id != ? AND json_extract(u.unit_key, '$.name') = ?
              AND json_extract(u.unit_key, '$.epoch') = ? AND json_extract(u.unit_key, '$.version') = ?
              AND json_extract(u.unit_key, '$.release') = ? AND json_extract(u.unit_key, '$.arch') = ?
            """, arguments: [repoId, typeId, unitId, s("name"), s("epoch"), s("version"), s("release"), s("arch")])
    }
}
