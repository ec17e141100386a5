import Foundation
import PulpContent
import PulpContract
import PulpModel
import PulpStore

/// `download_repo` (`POST /repositories/<id>/actions/download/`, and after a `background` sync): fetches the
/// files of the repository's packages that deferred syncs stored without them, `max_downloads` at a time, each
/// checked and recorded as it arrives. With `verify_all_units`, the files the store has are hashed first, and a
/// missing or damaged one is fetched again.
extension TaskRunner {
    func downloadRepository(_ r: String, verifyAll: Bool, store: PulpStore, progress: ProgressReporter) async throws -> TaskWork {
        guard let content else { throw PulpError.wrapped("download_repo needs a content directory") }
        let importer = try await store.read { db -> Importer? in
            guard try db.repositoryExists(r) else { throw PulpError.missingResource(["repository": r]) }
            return try db.importer(repoId: r)
        }
        // The importer's downloader settings (TLS, proxy, auth), read once; a config that does not read is an
        // error, never a fetch without them.
        let config = try ImporterConfig(try importer.map { try store.secrets.reveal($0).config } ?? [:])
        let maxDownloads = config.maxDownloads
        if verifyAll {
            let held = try await store.read { db in try db.downloadedPackages(repoId: r) }
            var damaged: [String] = []
            for unit in held {
                try Task.checkCancellation()
                if let sha = unit.fileSha256, Self.fileIsWhole(content.unitPath(sha256: sha), sha256: sha) { continue }
                damaged.append(unit.unitId)
            }
            if !damaged.isEmpty { try await store.write { [damaged] db in try db.markMissing(damaged) } }
        }
        let todo = try await store.read { db in try db.packagesToDownload(repoId: r) }
        var report: JSONObject = ["state": "IN_PROGRESS", "items_total": .int(todo.count), "items_left": .int(todo.count),
                                  "num_success": 0, "num_failures": 0, "error_details": []]
        await progress.report(["on_demand_download": .object(report)])
        var errors: [JSONValue] = []
        var succeeded = 0
        let clock = self.clock
        let fetcher = try Fetcher(config.fetch)
        defer { Task { await fetcher.shutdown() } }
        try content.prepare()
        try await withThrowingTaskGroup(of: (String, String?).self) { group in
            var next = todo.makeIterator()
            func start() -> Bool {
                guard let (unit, url) = next.next() else { return false }
                group.addTask {
                    do {
                        _ = try await fetchDeferredPackage(unit, url: url, fetcher: fetcher, store: store, content: content,
                                                           now: { clock.now().epoch })
                        return (url, nil)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        return (url, "\(error)")
                    }
                }
                return true
            }
            for _ in 0..<maxDownloads where !start() { break }
            var throttle = ProgressThrottle()
            while let (url, failure) = try await group.next() {
                if let failure { errors.append(["url": .string(url), "error_message": .string(failure)]) } else { succeeded += 1 }
                report["items_left"] = .int(todo.count - succeeded - errors.count)
                report["num_success"] = .int(succeeded)
                report["num_failures"] = .int(errors.count)
                report["error_details"] = .array(errors)
                if throttle.due(force: false) { await progress.report(["on_demand_download": .object(report)]) }
                _ = start()
            }
        }
        report["state"] = errors.isEmpty ? "FINISHED" : "FAILED"
        await progress.report(["on_demand_download": .object(report)])
        if !errors.isEmpty {
            throw PulpError.wrapped("\(errors.count) of \(todo.count) packages could not be downloaded")
        }
        return .downloaded(repoId: r, report)
    }

    /// Whether the file exists and its bytes hash to `sha256`.
    static func fileIsWhole(_ path: String, sha256: String) -> Bool {
        (try? ContentDirectory.digest(ofFile: path))?.sha256 == sha256
    }
}
