import Hummingbird
import PulpCore
import PulpModel

extension PulpAPI {
    /// The content APIs on a repository's units (pulp2-content.md §4).
    func addUnitRoutes(_ r: RouteTable) {
        // Body `{"criteria": …}`; no criteria is every unit. 404 for an unknown repository, 400 for bad criteria.
        r.on(.post, "/repositories/:repo_id/search/units/") { request, context in
            let repoId = try context.parameters.id("repo_id")
            let body = try await request.objectBody()
            let criteria = try body["criteria"].map { c throws(PulpError) in
                c.isNull ? UnitAssociationCriteria() : try UnitAssociationCriteria.parse(c)
            } ?? UnitAssociationCriteria()
            return json(.array(try await pulp.searchUnits(repoId: repoId, criteria: criteria)))
        }
        // Units by type: body `{"criteria": {filters, sort, limit, skip, fields}, "include_repos": bool}`, or the
        // query form. An unknown type has no units (never a 404).
        r.on(.post, "/content/units/:type_id/search/") { request, context in
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
        r.on(.get, "/content/units/:type_id/search/") { request, context in
            let typeId = try context.parameters.id("type_id")
            let pairs = request.queryPairs.filter { $0.0 != "include_repos" }
            let includeRepos = ["true", "1", "yes"].contains(request.query("include_repos")?.lowercased() ?? "")
            return json(.array(try await pulp.searchUnits(typeId: typeId, criteria: try SearchCriteria.parse(query: pairs),
                                                          includeRepos: includeRepos)))
        }
        r.on(.get, "/content/units/:type_id/") { _, context in
            json(.array(try await pulp.searchUnits(typeId: try context.parameters.id("type_id"), criteria: SearchCriteria(),
                                                   includeRepos: false)))
        }
        // A missing unit is a 404 whose body is a bare JSON string, as in Pulp 2.8.
        r.on(.get, "/content/units/:type_id/:unit_id/") { _, context in
            let unitId = try context.parameters.id("unit_id")
            guard let unit = try await pulp.unit(typeId: try context.parameters.id("type_id"), unitId: unitId) else {
                return json(.string("No content unit resource: \(unitId)"), status: .notFound)
            }
            return json(unit)
        }
    }
}
