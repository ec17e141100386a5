import Hummingbird
import NIOCore
import PulpContract
import PulpCore
import PulpAuth
import PulpModel

extension PulpAPI {
    /// The content APIs on a repository's units (pulp2-content.md §4).
    func addUnitRoutes(_ r: RouteTable) {
        // Body `{"criteria": …}`; no criteria is every unit. 404 for an unknown repository, 400 for bad criteria.
        r.on(.post, "/repositories/:repo_id/search/units/", .read) { request, context in
            let repoId = try context.parameters.id("repo_id")
            let body = try await request.objectBody()
            let criteria = try body["criteria"].map { c throws(PulpError) in
                c.isNull ? UnitAssociationCriteria() : try UnitAssociationCriteria.parse(c)
            } ?? UnitAssociationCriteria()
            if let bytes = try await pulp.searchUnitsJSON(repoId: repoId, criteria: criteria) {
                return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            return json(.array(try await pulp.searchUnits(repoId: repoId, criteria: criteria)))
        }
        // Units by type: body `{"criteria": {filters, sort, limit, skip, fields}, "include_repos": bool}`, or the
        // query form. An unknown type has no units (never a 404).
        r.on(.post, "/content/units/:type_id/search/", .read) { request, context in
            let typeId = try context.parameters.id("type_id")
            let body = try await request.objectBody()
            let criteria = try body["criteria"].map { c throws(PulpError) in c.isNull ? SearchCriteria() : try SearchCriteria.parse(c) }
                ?? SearchCriteria()
            let includeRepos: Bool
            switch body["include_repos"] {
            case nil, .null?: includeRepos = false
            case .bool(let b)?: includeRepos = b
            default: throw PulpError.invalidValue(["include_repos"])
            }
            return json(.array(try await pulp.searchUnits(typeId: typeId, criteria: criteria, includeRepos: includeRepos)))
        }
        r.on(.get, "/content/units/:type_id/search/", .read) { request, context in
            let typeId = try context.parameters.id("type_id")
            let pairs = request.queryPairs.filter { $0.0 != "include_repos" }
            let includeRepos = ["true", "1", "yes"].contains(request.query("include_repos")?.lowercased() ?? "")
            return json(.array(try await pulp.searchUnits(typeId: typeId, criteria: try SearchCriteria.parse(query: pairs),
                                                          includeRepos: includeRepos)))
        }
        r.on(.get, "/content/units/:type_id/", .read) { _, context in
            json(.array(try await pulp.searchUnits(typeId: try context.parameters.id("type_id"), criteria: SearchCriteria(),
                                                   includeRepos: false)))
        }
        r.on(.get, "/content/units/:type_id/:unit_id/pulp_user_metadata/", .read) { _, context in
            let unitId = try context.parameters.id("unit_id")
            guard let value = try await pulp.userMetadata(typeId: try context.parameters.id("type_id"), unitId: unitId) else {
                return json(.string("No content unit resource: \(unitId)"), status: .notFound)
            }
            return json(value)
        }
        // The body is the new dict; it replaces the field (pubtools' update_content).
        r.on(.put, "/content/units/:type_id/:unit_id/pulp_user_metadata/", .update) { request, context in
            let unitId = try context.parameters.id("unit_id")
            let body = try await request.objectBody()
            guard try await pulp.setUserMetadata(typeId: try context.parameters.id("type_id"), unitId: unitId, body) else {
                return json(.string("No content unit resource: \(unitId)"), status: .notFound)
            }
            return json(.null)
        }
        // A missing unit is a 404 whose body is a bare JSON string, as in Pulp 2.8.
        r.on(.get, "/content/units/:type_id/:unit_id/", .read) { _, context in
            let unitId = try context.parameters.id("unit_id")
            guard let unit = try await pulp.unit(typeId: try context.parameters.id("type_id"), unitId: unitId) else {
                return json(.string("No content unit resource: \(unitId)"), status: .notFound)
            }
            return json(unit)
        }
    
        addAssociationRoutes(r)
        addOrphanRoutes(r)
        addUploadRoutes(r)
    }

    /// Copy and remove: tasks. A missing repository is a 404 before the body is looked at.
    func addAssociationRoutes(_ r: RouteTable) {
        r.on(.post, "/repositories/:repo_id/actions/associate/", .update) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            let source: String?
            switch body["source_repo_id"] {
            case nil, .null?: source = nil
            case .string(let s)?: source = s
            default: throw PulpError.invalidValue(["source_repo_id"])
            }
            return accepted(try await pulp.copyUnits(into: repoId, from: source, criteria: body["criteria"],
                                                     overrides: try Self.overrides(body)))
        }
        r.on(.post, "/repositories/:repo_id/actions/unassociate/", .update) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            return accepted(try await pulp.removeUnits(from: repoId, criteria: body["criteria"]))
        }
    }

    /// `override_config`: absent, null or an object.
    static func overrides(_ body: JSONObject) throws -> JSONObject {
        switch body["override_config"] {
        case nil, .null?: return [:]
        case .object(let o)?: return o
        case let v?: throw PulpError.invalidType(field: "override_config", value: v, fieldType: "dict")
        }
    }

    /// Orphans (pulp2-content.md §4.7): units no repository holds.
    func addOrphanRoutes(_ r: RouteTable) {
        r.on(.get, "/content/orphans/", .read) { _, _ in json(try await pulp.orphanSummary()) }
        r.on(.get, "/content/orphans/:type_id/", .read) { _, context in
            json(.array(try await pulp.orphans(typeId: try context.parameters.id("type_id"))))
        }
        r.on(.get, "/content/orphans/:type_id/:unit_id/", .read) { _, context in
            json(try await pulp.orphan(typeId: try context.parameters.id("type_id"), unitId: try context.parameters.id("unit_id")))
        }
        r.on(.delete, "/content/orphans/", .delete) { _, _ in accepted(try await pulp.deleteOrphans()) }
        r.on(.delete, "/content/orphans/:type_id/", .delete) { _, context in
            accepted(try await pulp.deleteOrphans(typeId: try context.parameters.id("type_id")))
        }
        r.on(.delete, "/content/orphans/:type_id/:unit_id/", .delete) { _, context in
            accepted(try await pulp.deleteOrphans(typeId: try context.parameters.id("type_id"), unitId: try context.parameters.id("unit_id")))
        }
    }
}

extension PulpAPI {
    /// Uploads (pulp2-content.md §4.6).
    func addUploadRoutes(_ r: RouteTable) {
        r.on(.post, "/content/uploads/", .create) { request, _ in
            _ = try await request.jsonBody()
            let id = try await pulp.createUpload()
            let href = "/pulp/api/v2/content/uploads/\(id)/"
            return json(["_href": .string(href), "upload_id": .string(id)], status: .created, location: href)
        }
        r.on(.get, "/content/uploads/", .read) { _, _ in
            json(["upload_ids": .array(try await pulp.uploadIds().map(JSONValue.string))])
        }
        r.on(.put, "/content/uploads/:upload_id/:offset/", .update) { request, context in
            let id = try context.parameters.id("upload_id")
            guard let offset = Int(try context.parameters.id("offset")) else { throw PulpError.invalidValue(["offset"]) }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maximumUploadChunk)
            } catch {
                throw PulpError(code: "PLP0000", httpStatus: 413, message: "An upload chunk may be at most \(Self.maximumUploadChunk) bytes",
                                extra: ["args": []])
            }
            try await pulp.writeUpload(id, offset: offset, bytes: Array(body.readableBytesView))
            return json(.null)
        }
        r.on(.delete, "/content/uploads/:upload_id/", .delete) { _, context in
            try await pulp.deleteUpload(try context.parameters.id("upload_id"))
            return json(.null)
        }
        r.on(.post, "/repositories/:repo_id/actions/import_upload/", .update) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            let missing = ["upload_id", "unit_type_id", "unit_key"].filter { body[$0] == nil }
            if !missing.isEmpty { throw PulpError.missingValue(missing) }
            guard case .string(let uploadId)? = body["upload_id"] else { throw PulpError.invalidValue(["upload_id"]) }
            guard case .string(let typeId)? = body["unit_type_id"] else { throw PulpError.invalidValue(["unit_type_id"]) }
            func object(_ k: String) throws -> JSONObject {
                switch body[k] {
                case nil, .null?: return [:]
                case .object(let o)?: return o
                default: throw PulpError.invalidValue([k])
                }
            }
            return accepted(try await pulp.importUpload(repoId: repoId, uploadId: uploadId, typeId: typeId, unitKey: try object("unit_key"),
                                                        metadata: try object("unit_metadata"), overrides: try Self.overrides(body)))
        }
    }

    /// The largest chunk one `PUT` may carry.
    static let maximumUploadChunk = 64 << 20
}
