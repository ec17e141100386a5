import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
public import PulpContract
public import PulpModel
import Synchronization

/// Repositories.
extension PulpClient {
    public func createRepository(_ request: RepositoryCreate) async throws -> Repository {
        let path = "repositories/"
        do {
            let r = try await send(.POST, path, .object(request.json()), idempotent: false)
            return try decode(path) { () throws(DecodeError) in try Repository(json: r.body) }
        } catch let e as ClientError where e.kind == .connection {
            // The write may have happened: re-read before deciding.
            if let id = request.id, let existing = try? await repository(id, include: .none) { return existing.repository }
            throw e
        }
    }

    public func updateRepository(_ id: String, _ request: RepositoryUpdate) async throws -> CallReport {
        CallReport(json: try await send(.PUT, PulpPaths.repository(id), .object(request.json()), idempotent: false).body)
    }

    public func deleteRepository(_ id: String) async throws -> CallReport {
        CallReport(json: try await send(.DELETE, PulpPaths.repository(id), idempotent: false).body)
    }

    static func details(_ v: JSONValue, include: RepositoryInclude) throws(DecodeError) -> RepositoryDetails {
        var importers: [Importer]?
        if include.importers {
            var list: [Importer] = []
            for i in v["importers"]?.arrayValue ?? [] { list.append(try Importer(json: i)) }
            importers = list
        }
        var distributors: [Distributor]?
        if include.distributors {
            var list: [Distributor] = []
            for d in v["distributors"]?.arrayValue ?? [] { list.append(try Distributor(json: d)) }
            distributors = list
        }
        return RepositoryDetails(repository: try Repository(json: v), importers: importers, distributors: distributors)
    }

    public func repository(_ id: String, include: RepositoryInclude) async throws -> RepositoryDetails {
        let path = PulpPaths.repository(id) + Self.includeQuery(include)
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in try Self.details(r.body, include: include) }
    }

    /// Paged `POST /repositories/search/`, sorted by id so that paging is stable and complete.
    public func repositories(include: RepositoryInclude) async throws -> [RepositoryDetails] {
        var out: [RepositoryDetails] = []
        var skip = 0
        while true {
            let body: JSONValue = [
                "criteria": ["sort": [["id", "ascending"]], "limit": .int(options.pageSize), "skip": .int(skip)],
                "importers": .bool(include.importers), "distributors": .bool(include.distributors),
            ]
            let r = try await send(.POST, "repositories/search/", body, idempotent: true)
            guard let page = r.body.arrayValue else { throw ClientError(url: url("repositories/search/"), message: "expected a list") }
            for v in page { out.append(try decode("repositories/search/") { () throws(DecodeError) in try Self.details(v, include: include) }) }
            if page.count < options.pageSize { return out }
            skip += page.count
        }
    }
}
