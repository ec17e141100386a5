import Foundation
import PulpContent
import PulpModel
import PulpStore
import Synchronization

/// What a request under `/pulp/repos/` that no published file answers can still be (a deferred package).
public enum OnDemandLookup: Sendable {
    case notFound
    /// The package's file is in the content directory (fetched after the tree was published).
    case file(path: String)
    /// Fetched now: the bytes as they arrive; the stream ends with an error if the fetch fails or the bytes are
    /// not the package's (the client then sees a short response, whose `Content-Length` it was told).
    case stream(size: Int, AsyncThrowingStream<[UInt8], any Error>)
    /// The feed did not give the package: `502`.
    case badGateway(String)
}

/// Fetches of deferred packages: one per unit at a time, however many clients ask at once.
final class OnDemandFetches: Sendable {
    private let running = Mutex<[String: Task<Void, any Error>]>([:])

    /// The fetch of `unitId` under way, or nil after starting one with `start` (the caller then owns it).
    func join(_ unitId: String, start: () -> Task<Void, any Error>) -> Task<Void, any Error>? {
        running.withLock { map in
            if let t = map[unitId] { return t }
            map[unitId] = start()
            return nil
        }
    }

    func finished(_ unitId: String) { running.withLock { _ = $0.removeValue(forKey: unitId) } }
}

/// A download's file that also hands each chunk to a client: the package is stored and checked while it streams.
final class TeeFile: DownloadSink, @unchecked Sendable {
    let file: PackageFile
    let onBytes: @Sendable ([UInt8]) -> Void
    let onStart: @Sendable () -> Void

    init(_ file: PackageFile, onStart: @escaping @Sendable () -> Void, onBytes: @escaping @Sendable ([UInt8]) -> Void) {
        self.file = file
        self.onStart = onStart
        self.onBytes = onBytes
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if file.size == 0 { onStart() }
        try file.write(bytes)
        onBytes(Array(bytes))
    }

    func restart() throws {
        // The client has bytes already: a retry would send them twice.
        if file.size > 0 { throw ContentError("the feed's connection broke during the transfer") }
        try file.restart()
    }

    func finish() throws { try file.finish() }
    func discard() { file.discard() }
}

/// Fetches one deferred package into the content directory, checked against its key's checksum and its size,
/// and records it as downloaded. Returns the file's sha256. The content directory is prepared already.
func fetchDeferredPackage(_ unit: ContentUnit, url: String, fetcher: Fetcher, store: PulpStore, content: ContentDirectory,
                          now: @Sendable () -> Double, tee: (onStart: @Sendable () -> Void, onBytes: @Sendable ([UInt8]) -> Void)? = nil)
    async throws -> String
{
    let declared = unit.unitKey["checksumtype"]?.stringValue.flatMap(ChecksumType.init(pulp:))
    guard let declared, let expected = unit.unitKey["checksum"]?.stringValue?.lowercased() else {
        throw ContentError("the package's checksum type is unknown")
    }
    let size = unit.metadata["size"]?.intValue
    let file = try PackageFile(content.temporaryPath("rpm"), declared: declared, limit: size)
    try await file.fetch(url, with: fetcher, via: tee.map { TeeFile(file, onStart: $0.onStart, onBytes: $0.onBytes) })
    guard file.declaredHex == expected, size == nil || file.size == size else {
        file.discard()
        throw ContentError("the bytes from \(url) are not the package's (checksum or size)")
    }
    let sha = try file.adopt(into: content)
    let fileSize = file.size, at = now()
    try await store.write { db in try db.markDownloaded(unit.unitId, sha256: sha, size: fileSize, now: at) }
    return sha
}
