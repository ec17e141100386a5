import Hummingbird
import PulpContract
import PulpCore
import PulpAuth
import PulpModel

extension PulpAPI {
    static let distributorFields: Set<String> = ["id", "_id", "_href", "_ns", "distributor_type_id", "repo_id", "config",
                                                 "auto_publish", "last_publish", "scratchpad", "publish_in_progress"]

    func addImporterRoutes(_ r: RouteTable) {
        // Like 2.8, listing importers does not check the repository.
        r.on(.get, "/repositories/:repo_id/importers/", .read) { _, context in
            let importers = try await pulp.importers(repoId: try context.parameters.id("repo_id"))
            return json(.array(importers.map { .object($0.json(catalog: catalog)) }))
        }
        r.on(.post, "/repositories/:repo_id/importers/", .create) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            guard let type = body["importer_type_id"], !type.isNull else { throw PulpError.missingValue(["importer_type_id"]) }
            guard case .string(let typeId) = type else { throw PulpError.invalidValue(["importer_type_id"]) }
            let config: JSONObject
            switch body["importer_config"] {
            case nil, .null?: config = [:]
            case .object(let o)?: config = o
            case let v?: throw PulpError.invalidType(field: "importer_config", value: v, fieldType: "dict")
            }
            return accepted(try await pulp.setImporter(repoId: repoId, typeId: typeId, config: config))
        }
        r.on(.get, "/repositories/:repo_id/importers/:importer_id/", .read) { _, context in
            let importer = try await pulp.importer(repoId: try context.parameters.id("repo_id"),
                                                   importerId: try context.parameters.id("importer_id"))
            return json(importer.json(catalog: catalog))
        }
        r.on(.put, "/repositories/:repo_id/importers/:importer_id/", .update) { request, context in
            let repoId = try context.parameters.id("repo_id")
            let importerId = try context.parameters.id("importer_id")
            _ = try await pulp.importer(repoId: repoId, importerId: importerId)
            let body = try await request.objectBody()
            guard let config = body["importer_config"], !config.isNull else { throw PulpError.missingValue(["importer_config"]) }
            guard case .object(let o) = config else {
                throw PulpError.invalidType(field: "importer_config", value: config, fieldType: "dict")
            }
            return accepted(try await pulp.updateImporter(repoId: repoId, importerId: importerId, config: o))
        }
        r.on(.delete, "/repositories/:repo_id/importers/:importer_id/", .delete) { _, context in
            accepted(try await pulp.removeImporter(repoId: try context.parameters.id("repo_id"),
                                                   importerId: try context.parameters.id("importer_id")))
        }
    }

    func addDistributorRoutes(_ r: RouteTable) {
        r.on(.get, "/repositories/:repo_id/distributors/", .read) { _, context in
            let dists = try await pulp.distributors(repoId: try context.parameters.id("repo_id"))
            return json(.array(dists.map { .object($0.json()) }))
        }
        r.on(.post, "/repositories/:repo_id/distributors/", .create) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            let dist = try await pulp.addDistributor(repoId: repoId, try DistributorCreate.parse(body))
            return json(dist.json(), status: .created, location: dist.href)
        }
        r.on(.get, "/repositories/:repo_id/distributors/:distributor_id/", .read) { _, context in
            let d = try await pulp.distributor(repoId: try context.parameters.id("repo_id"),
                                               distributorId: try context.parameters.id("distributor_id"))
            return json(d.json())
        }
        r.on(.put, "/repositories/:repo_id/distributors/:distributor_id/", .update) { request, context in
            let repoId = try context.parameters.id("repo_id")
            let distId = try context.parameters.id("distributor_id")
            _ = try await pulp.distributor(repoId: repoId, distributorId: distId)
            let update = try DistributorUpdate.parse(try await request.objectBody())
            return accepted(try await pulp.updateDistributor(repoId: repoId, distributorId: distId, update))
        }
        r.on(.delete, "/repositories/:repo_id/distributors/:distributor_id/", .delete) { _, context in
            accepted(try await pulp.removeDistributor(repoId: try context.parameters.id("repo_id"),
                                                      distributorId: try context.parameters.id("distributor_id")))
        }
        r.on(.post, "/distributors/search/", .read) { request, _ in
            let body = try await request.objectBody()
            guard let criteria = body["criteria"] else { throw PulpError.missingValue(["criteria"]) }
            return try await searchDistributors(try SearchCriteria.parse(criteria))
        }
        r.on(.get, "/distributors/search/", .read) { request, _ in
            try await searchDistributors(try SearchCriteria.parse(query: request.queryPairs))
        }
    }

    func searchDistributors(_ criteria: SearchCriteria) async throws -> Response {
        let repos = try await pulp.repositories(include: RepositoryInclude(distributors: true))
        let docs = repos.flatMap { ($0.distributors ?? []).map { $0.json() } }
        let found = try criteria.apply(to: docs, aliases: ["distributor_id": "id"], knownFields: Self.distributorFields,
                                       alwaysKept: ["id", "_id", "_href"])
        return json(.array(found.map(JSONValue.object)))
    }

    func addActionRoutes(_ r: RouteTable) {
        // Like Pulp, a missing repository is a 404 before the body is looked at.
        r.on(.post, "/repositories/:repo_id/actions/sync/", .execute) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            let overrides = try Self.overrides(body)
            return accepted(try await pulp.sync(repoId: repoId, overrides: overrides))
        }
        r.on(.post, "/repositories/:repo_id/actions/download/", .execute) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            let verify: Bool
            switch body["verify_all_units"] {
            case nil, .null?: verify = false
            case .bool(let b)?: verify = b
            default: throw PulpError.invalidValue(["verify_all_units"])
            }
            return accepted(try await pulp.download(repoId: repoId, verifyAllUnits: verify))
        }
        r.on(.post, "/repositories/:repo_id/actions/publish/", .execute) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let body = try await request.objectBody()
            guard let idValue = body["id"], !idValue.isNull else { throw PulpError.missingValue(["id"]) }
            guard case .string(let distId) = idValue else { throw PulpError.invalidValue(["id"]) }
            let overrides = try Self.overrides(body)
            return accepted(try await pulp.publish(repoId: repoId, distributorId: distId, overrides: overrides))
        }
    }

    static func historyQuery(_ request: Request) throws -> HistoryQuery {
        try HistoryQuery.parse(limit: request.query("limit"), sort: request.query("sort"),
                               startDate: request.query("start_date"), endDate: request.query("end_date"))
    }

    func addHistoryRoutes(_ r: RouteTable) {
        r.on(.get, "/repositories/:repo_id/history/sync/", .read) { request, context in
            let repoId = try context.parameters.id("repo_id")
            _ = try await pulp.repository(repoId, include: .none)
            let entries = try await pulp.syncHistory(repoId: repoId, query: try Self.historyQuery(request))
            return json(.array(entries.map { .object($0.json()) }))
        }
        r.on(.get, "/repositories/:repo_id/history/publish/:distributor_id/", .read) { request, context in
            let repoId = try context.parameters.id("repo_id")
            let distId = try context.parameters.id("distributor_id")
            _ = try await pulp.distributor(repoId: repoId, distributorId: distId)
            let entries = try await pulp.publishHistory(repoId: repoId, distributorId: distId, query: try Self.historyQuery(request))
            return json(.array(entries.map { .object($0.json()) }))
        }
    }
}

extension PulpAPI {
    /// The catalog's content types and plugin types (`GET /plugins/…`): what pubtools-pulplib and pulp-admin read
    /// before searching content by type.
    func addPluginTypeRoutes(_ r: RouteTable) {
        r.on(.get, "/plugins/types/", .read) { _, _ in
            json(.array(PluginCatalog.contentTypes.map { .object($0.json) }))
        }
        r.on(.get, "/plugins/types/:type_id/", .read) { _, context in
            let id = try context.parameters.id("type_id")
            guard let type = PluginCatalog.contentType(id) else { throw PulpError.missingResource(["type": id]) }
            return json(type.json)
        }
        for kind in [PluginKind.importer, .distributor] {
            let path = kind == .importer ? "importers" : "distributors"
            r.on(.get, "/plugins/\(path)/", .read) { _, _ in
                let ids = kind == .importer ? catalog.importerIds : catalog.distributorIds
                return json(.array(ids.compactMap { catalog.types[$0] }.map { .object(catalog.listing($0)) }))
            }
            r.on(.get, "/plugins/\(path)/:type_id/", .read) { _, context in
                let id = try context.parameters.id("type_id")
                guard let type = catalog.types[id], type.kind == kind else { throw PulpError.missingResource([kind.rawValue + "_type": id]) }
                return json(catalog.listing(type))
            }
        }
    }
}

