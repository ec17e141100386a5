import Foundation
import PulpContent
import PulpModel
import PulpStore
import Synchronization

/// `download_policy: on_demand` (pulp2-content.md §1.1): a published package whose file the content directory
/// lacks is fetched from the feed on the first request, streamed to that client while it is stored and checked;
/// later requests read it from disk. Concurrent first requests fetch it once.
extension LocalPulp {
    /// What a path under `/pulp/repos/` that named no published file is: a deferred package of a published
    /// repository, or nothing.
    public func onDemand(_ segments: [String]) async -> OnDemandLookup {
        guard segments.count >= 2, let filename = segments.last, filename.hasSuffix(".rpm"),
              let repoId = publishedRepository(Array(segments.dropLast())) else { return .notFound }
        guard let found = try? await store.read({ db in try db.publishedPackage(repoId: repoId, filename: filename) }) else {
            return .notFound
        }
        if found.unit.downloaded, let sha = found.unit.fileSha256, content.hasUnit(sha256: sha) {
            return .file(path: content.unitPath(sha256: sha))
        }
        guard let url = found.url else { return .notFound }
        let unit = found.unit
        let importer = (try? await store.read { db in try db.importer(repoId: repoId) }) ?? nil

        // A fetch under way: wait for it, then serve the file.
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream(bufferingPolicy: .unbounded)
        let started = StartSignal()
        let store = self.store, content = self.content, clock = self.clock, fetches = self.fetches
        let running = fetches.join(unit.unitId) {
            Task {
                defer { fetches.finished(unit.unitId) }
                // Another request's fetch may have ended between this request's read and now.
                if let u = try? await store.read({ db in try db.contentUnit(id: unit.unitId) }), u.downloaded, let sha = u.fileSha256,
                   content.hasUnit(sha256: sha) {
                    started.fire(.onDisk(content.unitPath(sha256: sha)))
                    continuation.finish()
                    return
                }
                do {
                    let config = try importer.map { try store.secrets.reveal($0).config } ?? [:]
                    let fetcher = try Fetcher(try ImporterConfig(config).fetch)
                    defer { Task { await fetcher.shutdown() } }
                    try content.prepare()
                    _ = try await fetchDeferredPackage(unit, url: url, fetcher: fetcher, store: store, content: content,
                                                       now: { clock.now().epoch },
                                                       tee: (onStart: { started.fire(.streaming) }, onBytes: { continuation.yield($0) }))
                    started.fire(.streaming)
                    continuation.finish()
                } catch {
                    started.fire(.failed("\(error)"))
                    continuation.finish(throwing: error)
                    throw error
                }
            }
        }
        if let running {
            continuation.finish()
            do {
                try await running.value
            } catch {
                return .badGateway("\(error)")
            }
            guard let u = try? await store.read({ db in try db.contentUnit(id: unit.unitId) }), let sha = u.fileSha256,
                  content.hasUnit(sha256: sha) else { return .badGateway("the package could not be fetched") }
            return .file(path: content.unitPath(sha256: sha))
        }
        switch await started.wait() {
        case .failed(let message): return .badGateway(message)
        case .onDisk(let path): return .file(path: path)
        case .streaming: return .stream(size: unit.metadata["size"]?.intValue ?? -1, stream)
        }
    }

    /// The repository whose published tree the path (a relative URL) names, from the link `http/repos/<path>`.
    func publishedRepository(_ path: [String]) -> String? {
        guard !path.isEmpty, !path.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.contains("/") }) else { return nil }
        let link = content.httpRepos.path + "/" + path.joined(separator: "/")
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link),
              let range = target.range(of: "yum/master/") else { return nil }
        return target[range.upperBound...].split(separator: "/").first.map(String.init)
    }
}

/// Fired once: how a fetch began (its first bytes arrived, it failed first, or the file was there already).
final class StartSignal: Sendable {
    enum Start: Sendable {
        case streaming
        case onDisk(String)
        case failed(String)
    }

    private let state = Mutex<(fired: Bool, value: Start, waiters: [CheckedContinuation<Start, Never>])>((false, .streaming, []))

    func fire(_ value: Start) {
        let waiters = state.withLock { s -> [CheckedContinuation<Start, Never>] in
            guard !s.fired else { return [] }
            s.fired = true
            s.value = value
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume(returning: value) }
    }

    func wait() async -> Start {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> (Bool, Start) in
                if s.fired { return (true, s.value) }
                s.waiters.append(c)
                return (false, .streaming)
            }
            if now.0 { c.resume(returning: now.1) }
        }
    }
}
