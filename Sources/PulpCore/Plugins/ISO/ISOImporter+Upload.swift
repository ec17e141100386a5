import Foundation
import PulpContent
import PulpModel
import PulpStore

/// An uploaded file (pulp2-content.md §3.2): the key `{name, checksum, size}` is required, and checked against
/// the bytes when `validate` is on (the default).
extension ISOImporter {
    func upload(_ request: UploadRequest) async throws -> UploadedUnit {
        guard request.typeId == "iso" else { throw PulpError.dataException("Invalid unit type for repository") }
        let config = try ImporterConfig(request.config)
        let k = request.unitKey
        guard let name = k["name"]?.stringValue, let checksum = k["checksum"]?.stringValue?.lowercased(),
              let size = k["size"]?.intValue ?? k["size"]?.stringValue.flatMap({ Int($0) }) else {
            throw PulpError.invalidValue(["unit_key"])
        }
        guard ISOManifest.isSafeName(name) else { throw PulpError.invalidValue(["name"]) }
        let stored = try request.content.stage(copyOf: request.file)
        do {
            if config.validate {
                if stored.size != size {
                    throw PulpError.dataException("The uploaded file \(name) is \(stored.size) bytes; its unit key says \(size).")
                }
                if stored.sha256 != checksum { throw PulpError.checksumMismatch() }
            }
            try request.content.adopt(temporary: stored.path, sha256: stored.sha256)
        } catch {
            unlink(stored.path)
            throw error
        }
        let key: JSONObject = ["name": .string(name), "checksum": .string(checksum), "size": .int(size)]
        var uploaded = UploadedUnit(
            unit: ContentUnit(unitId: PulpIDs.unitId(), typeId: "iso", keyDigest: UnitKey.digest(key), unitKey: key,
                              metadata: request.metadata, fileSha256: stored.sha256, size: stored.size, downloaded: true,
                              lastUpdated: request.now()),
            report: ["success_flag": true, "summary": .null, "details": .null])
        uploaded.existingRefused = "ISO already exists"
        return uploaded
    }
}
