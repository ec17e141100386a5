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
    }
}
