import Foundation
import PulpContent
import PulpContract
public import PulpModel
import PulpStore

/// `POST /repositories/<id>/search/units/` written straight to JSON when the page can be read alone from the
/// store (no filter, no sort): the association records and their units come out of the stored JSON as it is,
/// with no `JSONObject` built per unit. The bytes are those of `searchUnits(repoId:criteria:)` serialized.
extension LocalPulp {
    /// Nil when the criteria need the in-memory search (a filter or a sort).
    public func searchUnitsJSON(repoId: String, criteria: UnitAssociationCriteria) async throws -> [UInt8]? {
        guard criteria.pagesInStore else { return nil }
        _ = try await repository(repoId, include: .none)
        let writer = AssociationJSONWriter(repoId: repoId, criteria: criteria, content: content)
        return try await store.read { db in
            var out: [UInt8] = [UInt8(ascii: "[")]
            var first = true
            try db.eachRepositoryAssociation(repoId: repoId, typeIds: criteria.typeIds, limit: criteria.limit, offset: criteria.skip,
                                             snippets: criteria.wantsRepodata) { row in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try writer.write(row, into: &out)
            }
            out.append(UInt8(ascii: "]"))
            return out
        }
    }
}

/// Writes association records (`LocalPulp.associationRecord`, projected by the criteria's `fields`) from the
/// store's rows. A unit's document merges its stored metadata, its key and the fields Pulp adds, keys sorted as
/// `JSONValue` sorts them; each stored value is copied as it is.
struct AssociationJSONWriter: Sendable {
    let repoId: String
    let unitFields: Set<[UInt8]>?
    let associationFields: Set<String>?
    let content: ContentDirectory

    init(repoId: String, criteria: UnitAssociationCriteria, content: ContentDirectory) {
        self.repoId = repoId
        unitFields = criteria.unitFieldsKept.map { Set($0.map { Array($0.utf8) }) }
        associationFields = criteria.associationFieldsKept
        self.content = content
    }

    /// A member of the unit's document: its key and its value as JSON bytes, and which source wins a tie.
    private struct Member {
        var key: [UInt8]
        var value: [UInt8]
        var rank: Int
    }

    func write(_ row: StoreDB.AssociationRow, into out: inout [UInt8]) throws {
        let id = PulpIDs.stableObjectId(repoId, row.unitId)
        var first = true
        func key(_ k: String) -> Bool {
            if let associationFields, !associationFields.contains(k) { return false }
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            JSONValue.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            return true
        }
        func string(_ k: String, _ v: String) {
            if key(k) { JSONValue.writeString(v, into: &out) }
        }
        if key("_id") { out.append(contentsOf: Array("{\"$oid\":".utf8)); JSONValue.writeString(id, into: &out); out.append(UInt8(ascii: "}")) }
        string("_ns", "repo_content_units")
        string("created", PulpDateTime(epoch: row.created).iso8601)
        string("id", id)
        if key("metadata") { try writeUnit(row, into: &out) }
        string("repo_id", repoId)
        string("unit_id", row.unitId)
        string("unit_type_id", row.typeId)
        string("updated", PulpDateTime(epoch: row.updated).iso8601)
        out.append(UInt8(ascii: "}"))
    }

    /// `LocalPulp.unitDocument`, with `repodata` when the row has snippets.
    private func writeUnit(_ row: StoreDB.AssociationRow, into out: inout [UInt8]) throws {
        guard var members = Self.members(of: row.metadata, rank: 0), let key = Self.members(of: row.unitKey, rank: 1) else {
            throw StoreError.corrupt("metadata of \(row.unitId)")
        }
        members += key
        func add(_ k: String, rank: Int = 2, _ write: (inout [UInt8]) -> Void) {
            var value: [UInt8] = []
            write(&value)
            members.append(Member(key: Array(k.utf8), value: value, rank: rank))
        }
        add("_id") { JSONValue.writeString(row.unitId, into: &$0) }
        add("_content_type_id") { JSONValue.writeString(row.typeId, into: &$0) }
        add("_ns") { JSONValue.writeString("units_\(row.typeId)", into: &$0) }
        add("_last_updated") { $0.append(contentsOf: String(Int(row.lastUpdated)).utf8) }
        add("downloaded") { $0.append(contentsOf: Array((row.downloaded ? "true" : "false").utf8)) }
        add("pulp_user_metadata", rank: -1) { $0.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")]) }
        if let sha = row.fileSha256, row.downloaded {
            add("_storage_path") { JSONValue.writeString(content.unitPath(sha256: sha), into: &$0) }
        }
        if let repodata = row.repodata, ["rpm", "srpm"].contains(row.typeId) {
            add("repodata", rank: 3) { out in
                var first = true
                for (name, data) in [("filelists", repodata.filelists), ("other", repodata.other), ("primary", repodata.primary)] {
                    guard let data else { continue }
                    out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
                    first = false
                    JSONValue.writeString(name, into: &out)
                    out.append(UInt8(ascii: ":"))
                    JSONValue.writeString(String(decoding: data, as: UTF8.self), into: &out)
                }
                out.append(contentsOf: first ? [UInt8(ascii: "{"), UInt8(ascii: "}")] : [UInt8(ascii: "}")])
            }
        }
        // Sorted by key, the highest rank first among equal keys; only that one is written.
        members.sort { $0.key == $1.key ? $0.rank > $1.rank : $0.key.lexicographicallyPrecedes($1.key) }
        var first = true
        var last: [UInt8]?
        for m in members where m.key != last {
            last = m.key
            if let unitFields, !unitFields.contains(m.key) { continue }
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: m.key)
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            out.append(contentsOf: m.value)
        }
        out.append(contentsOf: first ? [UInt8(ascii: "{"), UInt8(ascii: "}")] : [UInt8(ascii: "}")])
    }

    /// The top-level members of a JSON object as they are written (keys still escaped); nil when it is not an
    /// object.
    private static func members(of json: Data, rank: Int) -> [Member]? {
        json.withUnsafeBytes { (b: UnsafeRawBufferPointer) -> [Member]? in
            var i = 0
            let n = b.count
            func skipSpace() { while i < n, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 } }
            /// Past the string that starts at `i` (a quote); false when it does not end.
            func skipString() -> Bool {
                i += 1
                while i < n {
                    switch b[i] {
                    case UInt8(ascii: "\\"): i += 2
                    case UInt8(ascii: "\""): i += 1; return true
                    default: i += 1
                    }
                }
                return false
            }
            /// Past the value that starts at `i`.
            func skipValue() -> Bool {
                var depth = 0
                while i < n {
                    switch b[i] {
                    case UInt8(ascii: "\""): if !skipString() { return false }; if depth == 0 { return true }; continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        if depth == 0 { return true }
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    case UInt8(ascii: ","): if depth == 0 { return true }
                    default: break
                    }
                    i += 1
                }
                return depth == 0
            }
            var out: [Member] = []
            skipSpace()
            guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            skipSpace()
            if i < n, b[i] == UInt8(ascii: "}") { return out }
            while i < n {
                skipSpace()
                guard i < n, b[i] == UInt8(ascii: "\"") else { return nil }
                let keyStart = i + 1
                guard skipString() else { return nil }
                let key = Array(b[keyStart..<(i - 1)])
                skipSpace()
                guard i < n, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                let valueStart = i
                guard skipValue() else { return nil }
                var valueEnd = i
                while valueEnd > valueStart, [0x20, 0x09, 0x0A, 0x0D].contains(b[valueEnd - 1]) { valueEnd -= 1 }
                guard valueEnd > valueStart else { return nil }
                out.append(Member(key: key, value: Array(b[valueStart..<valueEnd]), rank: rank))
                skipSpace()
                guard i < n else { return nil }
                if b[i] == UInt8(ascii: "}") { return out }
                guard b[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
            return nil
        }
    }
}
