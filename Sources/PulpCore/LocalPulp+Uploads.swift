import Foundation
import PulpContent
import PulpContract
public import PulpModel
import PulpStore

/// Uploads (pulp2-content.md §4.6): `POST /content/uploads/` makes one, `PUT …/<offset>/` writes bytes into it
/// (chunks may arrive out of order, several at once), `import_upload` makes a unit of a finished one, and
/// `DELETE` drops it. The bytes are a file under the content directory; the store records which ranges arrived.
extension LocalPulp {
    /// How far past the bytes received so far a chunk may start: room for chunks sent in parallel, not for a
    /// sparse file of any size.
    public static let uploadGap = 1 << 30

    public func createUpload() async throws -> String {
        let id = PulpIDs.uuid()
        try content.prepare()
        let path = content.uploadPath(id)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw PulpError.wrapped("cannot create the upload's file under \(content.root.path)/uploads")
        }
        let now = clock.now().epoch
        do {
            try await store.write { db in try db.insertUpload(id, now: now) }
        } catch {
            unlink(path)
            throw error
        }
        return id
    }

    public func uploadIds() async throws -> [String] {
        try await store.read { db in try db.uploadIds() }
    }

    /// Writes `bytes` at `offset`. 404 for an unknown upload; 400 (`offset`) for a chunk that starts more than
    /// `uploadGap` past the bytes received so far.
    public func writeUpload(_ id: String, offset: Int, bytes: [UInt8]) async throws {
        guard let ranges = try await store.read({ db in try db.uploadRanges(id) }) else {
            throw PulpError.missingResource(["upload_request": id])
        }
        let end = ranges.last?.upperBound ?? 0
        guard offset >= 0, offset <= end + Self.uploadGap, offset <= Int.max - bytes.count else { throw PulpError.invalidValue(["offset"]) }
        let fd = open(content.uploadPath(id), O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PulpError.missingResource(["upload_request": id]) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { b in pwrite(fd, b.baseAddress! + written, b.count - written, off_t(offset + written)) }
            guard n > 0 else { throw PulpError.wrapped("cannot write the upload's bytes: \(String(cString: strerror(errno)))") }
            written += n
        }
        guard try await store.write({ db in try db.addUploadRange(id, offset..<(offset + bytes.count)) }) else {
            throw PulpError.missingResource(["upload_request": id])
        }
    }

    public func deleteUpload(_ id: String) async throws {
        guard try await store.write({ db in try db.deleteUpload(id) }) else { throw PulpError.missingResource(["upload_request": id]) }
        unlink(content.uploadPath(id))
    }

    /// `POST /repositories/<id>/actions/import_upload/`: a task that makes a unit of the upload and associates it.
    /// Refused at once (changing nothing): an unknown repository or upload, a repository without an importer, a
    /// type its importer does not take, and an upload with holes (a chunk never arrived).
    public func importUpload(repoId: String, uploadId: String, typeId: String, unitKey: JSONObject, metadata: JSONObject,
                             overrides: JSONObject) async throws -> CallReport
    {
        let (_, tasks) = try await dispatch { db, _ -> ((), [TaskOperation]) in
            _ = try requireRepository(db, repoId)
            guard let ranges = try db.uploadRanges(uploadId) else { throw PulpError.missingResource(["upload_request": uploadId]) }
            guard let importer = try db.importer(repoId: repoId) else { throw PulpError.missingResource(["importer": repoId]) }
            guard PluginCatalog.pluginListing[importer.typeId]?.types.contains(typeId) == true else {
                throw PulpError.invalidValue(["unit_type_id"])
            }
            guard ranges.count <= 1, ranges.first?.lowerBound ?? 0 == 0 else { throw PulpError.invalidValue(["upload_id"]) }
            return ((), [.importUpload(repoId: repoId, uploadId: uploadId, typeId: typeId, unitKey: unitKey, metadata: metadata,
                                       overrides: overrides)])
        }
        return CallReport(spawnedTasks: tasks)
    }
}
