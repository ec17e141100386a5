import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PulpContract
public import PulpModel
import Synchronization

/// Sync and publish history.
extension PulpClient {
    static func historyQuery(_ q: HistoryQuery) -> String {
        var pairs: [(String, String)] = [("sort", q.ascending ? "ascending" : "descending")]
        if let l = q.limit { pairs.append(("limit", String(l))) }
        if let s = q.startDate { pairs.append(("start_date", s.utc.iso8601)) }
        if let e = q.endDate { pairs.append(("end_date", e.utc.iso8601)) }
        return query(pairs)
    }

    public func syncHistory(repoId: String, query q: HistoryQuery) async throws -> [SyncHistoryEntry] {
        let path = PulpPaths.repository(repoId) + "history/sync/" + Self.historyQuery(q)
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in
            var out: [SyncHistoryEntry] = []
            for v in r.body.arrayValue ?? [] { out.append(try SyncHistoryEntry(json: v)) }
            return out
        }
    }

    public func publishHistory(repoId: String, distributorId: String, query q: HistoryQuery) async throws -> [PublishHistoryEntry] {
        let path = PulpPaths.repository(repoId) + "history/publish/\(distributorId)/" + Self.historyQuery(q)
        let r = try await send(.GET, path, idempotent: true)
        return try decode(path) { () throws(DecodeError) in
            var out: [PublishHistoryEntry] = []
            for v in r.body.arrayValue ?? [] { out.append(try PublishHistoryEntry(json: v)) }
            return out
        }
    }
}
