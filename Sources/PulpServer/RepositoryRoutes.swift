import Hummingbird
import PulpContract
import PulpCore
import PulpAuth
import PulpModel

extension PulpAPI {
    static let repositoryFields: Set<String> = ["id", "_id", "_href", "_ns", "display_name", "description", "notes", "scratchpad",
                                                "content_unit_counts", "last_unit_added", "last_unit_removed", "importers",
                                                "distributors"]

    /// `details`/`importers`/`distributors` from the query string, or from a search body's options.
    func include(_ request: Request, body: JSONObject? = nil) -> RepositoryInclude {
        func option(_ name: String) -> Bool {
            if let v = body?[name] {
                if case .bool(let b) = v { return b }
                return pulpBoolFlag(v.stringValue)
            }
            return request.flag(name)
        }
        return RepositoryInclude(importers: option("importers"), distributors: option("distributors"), details: option("details"))
    }

    func addRepositoryRoutes(_ r: RouteTable) {
        r.on(.post, "/repositories/", .create) { request, _ in
            let create = try RepositoryCreate.parse(try await request.objectBody())
            let repo = try await pulp.createRepository(create)
            return json(repo.json(), status: .created, location: repo.href)
        }
        r.on(.get, "/repositories/", .read) { request, _ in
            let include = include(request)
            let repos = try await pulp.repositories(include: include)
            return json(.array(repos.map { .object($0.json(include: include, single: false, catalog: catalog)) }))
        }
        r.on(.post, "/repositories/search/", .read) { request, _ in
            let body = try await request.objectBody()
            guard let criteria = body["criteria"] else { throw PulpError.missingValue(["criteria"]) }
            return try await searchRepositories(try SearchCriteria.parse(criteria), include(request, body: body))
        }
        r.on(.get, "/repositories/search/", .read) { request, _ in
            try await searchRepositories(try SearchCriteria.parse(query: request.queryPairs), include(request))
        }
        r.on(.get, "/repositories/:repo_id/", .read) { request, context in
            let include = include(request)
            let details = try await pulp.repository(try context.parameters.id("repo_id"), include: include)
            return json(details.json(include: include, single: true, catalog: catalog))
        }
        r.on(.put, "/repositories/:repo_id/", .update) { request, context in
            let id = try context.parameters.id("repo_id")
            _ = try await pulp.repository(id, include: .none)
            let update = try RepositoryUpdate.parse(try await request.objectBody())
            let report = try await pulp.updateRepository(id, update)
            return json(report.json(), status: report.spawnedTasks.isEmpty ? .ok : .accepted)
        }
        r.on(.delete, "/repositories/:repo_id/", .delete) { _, context in
            accepted(try await pulp.deleteRepository(try context.parameters.id("repo_id")))
        }
    }

    func searchRepositories(_ criteria: SearchCriteria, _ include: RepositoryInclude) async throws -> Response {
        var kept: Set<String> = ["id", "_id", "_href"]
        if include.importers { kept.insert("importers") }
        if include.distributors { kept.insert("distributors") }
        let aliases = ["repo_id": "id"]
        // Checks the criteria (unknown sort or fields are 400) before any read.
        _ = try criteria.apply(to: [], aliases: aliases, knownFields: Self.repositoryFields, alwaysKept: kept)
        let repos: [RepositoryDetails]
        var rest = criteria
        if criteria.filters.isEmpty, criteria.sort.count <= 1,
           criteria.sort.allSatisfy({ ($0.field == "id" || $0.field == "repo_id") })
        {
            // A page in id or creation order: the store reads that page only, not the whole estate.
            let ascending = criteria.sort.first?.ascending
            let ids = try await pulp.repositoryIds(ascending: ascending, limit: criteria.limit, offset: criteria.skip)
            let found = Dictionary(try await pulp.repositories(ids: ids, include: include).map { ($0.repository.id, $0) },
                                   uniquingKeysWith: { a, _ in a })
            repos = ids.compactMap { found[$0] }
            rest.skip = 0
            rest.limit = nil
        } else {
            repos = try await pulp.repositories(include: include)
        }
        let docs = repos.map { $0.json(include: include, single: false, catalog: catalog) }
        let page = try rest.apply(to: docs, aliases: aliases, knownFields: Self.repositoryFields, alwaysKept: kept)
        return jsonArray(page)
    }
}
