import Foundation
import PulpContent
import PulpContract
public import PulpModel
import PulpStore

/// `POST /repositories/<id>/search/units/` (pulp2-content.md §4.2): the repository's units as association
/// records, each with its unit under `metadata`, filtered, sorted, paged and projected by the criteria.
extension LocalPulp {
    public func searchRepositoryUnits(_ repoId: String, criteria: JSONValue) async throws -> [JSONValue] {
        try await searchUnits(repoId: repoId, criteria: criteria.isNull ? UnitAssociationCriteria() : try UnitAssociationCriteria.parse(criteria))
    }

    public func searchUnits(repoId: String, criteria: UnitAssociationCriteria) async throws -> [JSONValue] {
        _ = try await repository(repoId, include: .none)
        let typeIds = criteria.typeIds
        // The page read alone where it can be: a 2,000-unit page of a 50,000-package repository decodes 2,000 units.
        var matching = criteria
        var limit: Int?, offset = 0
        if criteria.pagesInStore {
            (limit, offset) = (criteria.limit, criteria.skip)
            (matching.limit, matching.skip) = (nil, 0)
        }
        let rows = try await store.read { [limit, offset] db in
            try db.repositoryAssociations(repoId: repoId, typeIds: typeIds, limit: limit, offset: offset)
        }
        let content = self.content
        let records = rows.map { Self.associationRecord(repoId: repoId, $0.unit, created: $0.created, updated: $0.updated, content: content) }
        var page = try matching.apply(to: records)
        // The snippets, which can be large, only for the page and only when wanted.
        if criteria.wantsRepodata {
            let ids = page.compactMap { r -> String? in
                guard let type = r["unit_type_id"]?.stringValue, ["rpm", "srpm"].contains(type) else { return nil }
                return r["unit_id"]?.stringValue
            }
            if !ids.isEmpty {
                let snippets = try await store.read { db in try db.repodataSnippets(unitIds: ids) }
                for i in page.indices {
                    guard let id = page[i]["unit_id"]?.stringValue, let s = snippets[id], case .object(var unit)? = page[i]["metadata"] else { continue }
                    unit["repodata"] = .object(s.mapValues(JSONValue.string))
                    page[i]["metadata"] = .object(unit)
                }
            }
        }
        return page.map(JSONValue.object)
    }

    /// `POST /content/units/<type>/search/` (pulp2-content.md §4.3): the type's units, by unit id, searched with
    /// the usual criteria; `_last_updated` as an ISO string, `_href`, `children`, and with `includeRepos` the
    /// repositories that hold each. An unknown type has no units.
    public func searchUnits(typeId: String, criteria: SearchCriteria, includeRepos: Bool) async throws -> [JSONValue] {
        let units = try await store.read { db in try db.contentUnits(typeId: typeId) }
        let content = self.content
        let docs = units.map { Self.unitResource($0, content: content) }
        var known: Set<String> = ["_id", "_content_type_id", "_ns", "_last_updated", "_href", "children", "downloaded",
                                  "pulp_user_metadata", "_storage_path", "repository_memberships"]
        for d in docs { known.formUnion(d.keys) }
        var page = try criteria.apply(to: docs, knownFields: known, alwaysKept: ["_id", "_content_type_id", "_href"])
        if includeRepos {
            let ids = page.compactMap { $0["_id"]?.stringValue }
            let memberships = try await store.read { db in try db.repositoryMemberships(unitIds: ids) }
            for i in page.indices {
                let id = page[i]["_id"]?.stringValue ?? ""
                page[i]["repository_memberships"] = .array((memberships[id] ?? []).map(JSONValue.string))
            }
        }
        return page.map(JSONValue.object)
    }

    /// `GET /content/units/<type>/<id>/`: nil when there is no such unit of that type.
    public func unit(typeId: String, unitId: String) async throws -> JSONObject? {
        guard let u = try await store.read({ db in try db.contentUnit(id: unitId) }), u.typeId == typeId else { return nil }
        return Self.unitResource(u, content: content)
    }

    /// A unit as `/content/units/` shows it: as in an association record, with `_last_updated` as an ISO string,
    /// its `_href` and `children`.
    static func unitResource(_ u: ContentUnit, content: ContentDirectory) -> JSONObject {
        var doc = unitDocument(u, content: content)
        doc["_last_updated"] = .string(PulpDateTime(epoch: u.lastUpdated).iso8601)
        doc["_href"] = .string("/pulp/api/v2/content/units/\(u.typeId)/\(u.unitId)/")
        doc["children"] = [:]
        return doc
    }

    /// A unit as Pulp 2 shows it in an association record: its key and metadata, `_id`, `_content_type_id`,
    /// `_ns`, `_last_updated` (an int), `downloaded`, `pulp_user_metadata` and, for a file, `_storage_path`.
    static func unitDocument(_ u: ContentUnit, content: ContentDirectory?) -> JSONObject {
        var doc = u.metadata
        for (k, v) in u.unitKey { doc[k] = v }
        doc["_id"] = .string(u.unitId)
        doc["_content_type_id"] = .string(u.typeId)
        doc["_ns"] = .string("units_\(u.typeId)")
        doc["_last_updated"] = .int(Int(u.lastUpdated))
        doc["downloaded"] = .bool(u.downloaded)
        if doc["pulp_user_metadata"] == nil { doc["pulp_user_metadata"] = [:] }
        if let sha = u.fileSha256, u.downloaded, let content { doc["_storage_path"] = .string(content.unitPath(sha256: sha)) }
        return doc
    }

    static func associationRecord(repoId: String, _ u: ContentUnit, created: Double, updated: Double, content: ContentDirectory?) -> JSONObject {
        let id = PulpIDs.stableObjectId(repoId, u.unitId)
        return ["_id": ["$oid": .string(id)], "id": .string(id), "_ns": "repo_content_units", "repo_id": .string(repoId),
                "unit_id": .string(u.unitId), "unit_type_id": .string(u.typeId),
                "created": .string(PulpDateTime(epoch: created).iso8601), "updated": .string(PulpDateTime(epoch: updated).iso8601),
                "metadata": .object(unitDocument(u, content: content))]
    }
}
