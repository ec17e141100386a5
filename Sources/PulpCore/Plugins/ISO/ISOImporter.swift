import Foundation
import PulpContent
import PulpModel
import PulpStore

/// pulp_rpm's iso_importer (pulp2-content.md §3.2): reads the feed's `PULP_MANIFEST`, downloads the files the
/// store lacks (`max_downloads` at once, each checked against its size and sha256 with `validate`), and returns
/// the associations; `remove_missing` drops the repository's files the manifest no longer lists.
struct ISOImporter: ImporterPlugin {
    let typeId = "iso_importer"

    func sync(_ request: SyncRequest) async throws -> SyncResult {
        let config = try ImporterConfig(request.config)
        guard let feed = config.feed else { throw PulpError.wrapped("Repository without feed cannot be synchronized") }
        let (store, content) = try request.contentStores(for: typeId)
        let sync = ISOSync(request: request, config: config, feed: feed, store: store, content: content)
        return try await sync.run()
    }
}

/// The iso_importer's progress report (`SyncProgressReport`): its state and the times each state began, and
/// the files and bytes to download in this run.
struct ISOSyncProgress {
    var state = "not_started"
    var stateTimes = StateTimes()
    var errorMessage: String?
    var totalBytes = 0, finishedBytes = 0, numISOs = 0, numISOsFinished = 0
    var errors: [JSONValue] = []
    private var throttle = ProgressThrottle()

    init(now: Double) { enter("not_started", now: now) }

    mutating func enter(_ s: String, now: Double) {
        state = s
        stateTimes.enter(s, now: now)
    }

    var report: JSONObject {
        ["state": .string(state), "state_times": stateTimes.json, "error_message": errorMessage.map(JSONValue.string) ?? .null,
                "traceback": .null, "total_bytes": .int(totalBytes), "finished_bytes": .int(finishedBytes),
                "num_isos": .int(numISOs), "num_isos_finished": .int(numISOsFinished), "iso_error_messages": .array(errors)]
    }

    mutating func due(force: Bool) -> Bool { throttle.due(force: force) }
}

/// One iso sync's work phase.
final class ISOSync: @unchecked Sendable {
    let request: SyncRequest
    let config: ImporterConfig
    let feed: String
    let store: PulpStore
    let content: ContentDirectory
    var progress: ISOSyncProgress

    init(request: SyncRequest, config: ImporterConfig, feed: String, store: PulpStore, content: ContentDirectory) {
        self.request = request
        self.config = config
        self.feed = feed
        self.store = store
        self.content = content
        progress = ISOSyncProgress(now: request.now())
    }

    func report(force: Bool = false) async {
        guard progress.due(force: force) else { return }
        await request.progress.report(["iso_importer": .object(progress.report)])
    }

    func fail(_ state: String, _ message: String) async -> PulpError {
        progress.errorMessage = message
        progress.enter(state, now: request.now())
        await report(force: true)
        return PulpError.wrapped("Importer indicated a failed response: \(message)")
    }

    func run() async throws -> SyncResult {
        let fetcher = try Fetcher(config.fetch)
        defer { Task { await fetcher.shutdown() } }
        do {
            return try await steps(fetcher)
        } catch {
            if error is CancellationError || Task.isCancelled {
                progress.enter("cancelled", now: request.now())
                await report(force: true)
            }
            throw error
        }
    }

    private func steps(_ fetcher: Fetcher) async throws -> SyncResult {
        progress.enter("manifest_in_progress", now: request.now())
        await report(force: true)
        let entries: [ISOManifest.Entry]
        do {
            entries = try ISOManifest.parse(try await fetcher.fetchAll(feed + "PULP_MANIFEST"))
        } catch let e as FetchError {
            throw await fail("manifest_failed", "cannot read \(feed)PULP_MANIFEST: \(e.description)")
        } catch let e as ISOManifest.ParseError {
            throw await fail("manifest_failed", e.description)
        }

        // Files the store has, with their file on disk, are only associated; the rest are downloaded.
        let keyed = entries.map { e -> (ISOManifest.Entry, JSONObject, String) in
            let key: JSONObject = ["name": .string(e.name), "checksum": .string(e.checksum), "size": .int(e.size)]
            return (e, key, UnitKey.digest(key))
        }
        let known = try await store.read { db in try db.contentUnits(typeId: "iso", digests: keyed.map(\.2)) }
        var associate: [(unitId: String, typeId: String)] = []
        var wanted: [(ISOManifest.Entry, JSONObject, String)] = []
        for k in keyed {
            if let u = known[k.2], u.downloaded, let sha = u.fileSha256, content.hasUnit(sha256: sha) {
                associate.append((u.unitId, "iso"))
            } else {
                wanted.append(k)
            }
        }
        progress.numISOs = wanted.count
        progress.totalBytes = wanted.reduce(0) { $0 + $1.0.size }
        progress.enter("isos_in_progress", now: request.now())
        await report(force: true)

        try await withThrowingTaskGroup(of: (ISOManifest.Entry, Result<String, FetchError>).self) { group in
            var next = wanted.makeIterator()
            func start() -> Bool {
                guard let (entry, key, digest) = next.next() else { return false }
                group.addTask { [self] in
                    do {
                        return (entry, .success(try await self.download(entry, key: key, digest: digest, fetcher: fetcher)))
                    } catch let e as FetchError {
                        return (entry, .failure(e))
                    }
                }
                return true
            }
            for _ in 0..<config.maxDownloads where !start() { break }
            while let (entry, outcome) = try await group.next() {
                switch outcome {
                case .success(let unitId):
                    associate.append((unitId, "iso"))
                    progress.numISOsFinished += 1
                    progress.finishedBytes += entry.size
                case .failure(let e):
                    var error: JSONObject = ["url": .string(e.url), "error_message": .string(e.message)]
                    if let code = e.responseCode { error["response_code"] = .int(code) }
                    progress.errors.append(["name": .string(entry.name), "error": .object(error)])
                }
                await report()
                _ = start()
            }
        }
        if !progress.errors.isEmpty {
            throw await fail("isos_failed", "\(progress.errors.count) of \(wanted.count) files could not be downloaded")
        }
        progress.enter("complete", now: request.now())
        await report(force: true)
        var result = SyncResult(summary: progress.report)
        result.associate = associate
        result.detailsAreSummary = true
        if config.removeMissing { result.keepOnly["iso"] = Set(associate.map(\.unitId)) }
        return result
    }

    /// Downloads one file, checks it, moves it to its address and stores its unit (or finds the one another sync
    /// stored meanwhile). A failure of the feed or of the check is a `FetchError`, reported per file.
    private func download(_ entry: ISOManifest.Entry, key: JSONObject, digest: String, fetcher: Fetcher) async throws -> String {
        try Task.checkCancellation()
        let url = feed + entry.name.split(separator: "/").map { String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
            .joined(separator: "/")
        let temporary = content.temporaryPath("iso")
        let file = try PackageFile(temporary, declared: nil, limit: config.validate ? entry.size : nil)
        do {
            try await file.fetch(url, with: fetcher)
        } catch let e as ContentError {
            throw FetchError(url: url, message: e.message, transient: false)
        }
        if config.validate {
            var problem: String?
            if file.size != entry.size { problem = "\(file.size) bytes where PULP_MANIFEST says \(entry.size)" }
            else if file.sha.hex() != entry.checksum { problem = "the sha256 checksum does not match PULP_MANIFEST" }
            if let problem {
                file.discard()
                throw FetchError(url: url, message: problem, transient: false)
            }
        }
        let sha = try file.adopt(into: content)
        let now = request.now()
        let size = file.size
        let unit = ContentUnit(unitId: PulpIDs.unitId(), typeId: "iso", keyDigest: digest, unitKey: key, metadata: [:],
                               fileSha256: sha, size: size, downloaded: true, lastUpdated: now)
        return try await store.write { db in
            if let old = try db.contentUnits(typeId: "iso", digests: [digest])[digest] {
                try db.markDownloaded(old.unitId, sha256: sha, size: size, now: now)
                return old.unitId
            }
            try db.insertContentUnit(unit)
            return unit.unitId
        }
    }
}
