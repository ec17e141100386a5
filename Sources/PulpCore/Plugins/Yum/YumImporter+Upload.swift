import Foundation
import PulpContent
import PulpModel
import PulpStore

/// Uploads into a yum repository (pulp2-content.md §4.6). A package needs no key from the client: pulpform reads
/// its header, and writes its repodata snippets as createrepo would. Errata and comps units carry no file.
extension YumImporter {
    func upload(_ request: UploadRequest) async throws -> UploadedUnit {
        let report: JSONValue = ["success_flag": true, "summary": "", "details": [:]]
        let now = request.now()
        switch request.typeId {
        case "rpm", "srpm":
            return try package(request, report: report)
        case "erratum":
            guard let id = request.unitKey["id"]?.stringValue ?? request.metadata["id"]?.stringValue, !id.isEmpty else {
                throw PulpError.invalidValue(["unit_key"])
            }
            var fields = request.metadata
            fields["id"] = .string(id)
            let key: JSONObject = ["id": .string(id)]
            return UploadedUnit(unit: ContentUnit(unitId: PulpIDs.unitId(), typeId: "erratum", keyDigest: UnitKey.digest(key), unitKey: key,
                                                  metadata: fields, downloaded: true, lastUpdated: now), report: report)
        case "package_group", "package_category", "package_environment":
            guard let id = request.unitKey["id"]?.stringValue ?? request.metadata["id"]?.stringValue, !id.isEmpty else {
                throw PulpError.invalidValue(["unit_key"])
            }
            var fields = request.metadata
            fields["id"] = .string(id)
            fields["repo_id"] = .string(request.repoId)
            let key: JSONObject = ["id": .string(id), "repo_id": .string(request.repoId)]
            return UploadedUnit(unit: ContentUnit(unitId: PulpIDs.unitId(), typeId: request.typeId, keyDigest: UnitKey.digest(key),
                                                  unitKey: key, metadata: fields, downloaded: true, lastUpdated: now), report: report)
        default:
            throw PulpError.dataException("Invalid unit type for repository")
        }
    }

    private func package(_ request: UploadRequest, report: JSONValue) throws -> UploadedUnit {
        var extraType: ChecksumType?
        if let name = request.metadata["checksum_type"]?.stringValue {
            guard let t = ChecksumType(pulp: name) else { throw PulpError.invalidValue(["checksum_type"]) }
            extraType = t
        }
        let fileSize = Int((try? FileManager.default.attributesOfItem(atPath: request.file)[.size] as? NSNumber)?.intValue ?? 0)
        let input = try FileReader(request.file)
        defer { input.close() }
        var head: [UInt8] = []
        func parse() -> Result<RPMHeader, RPMHeader.FormatError> {
            Result { () throws(RPMHeader.FormatError) in try RPMHeader.parse(head, fileSize: fileSize) }
        }
        var parsed = parse()
        // Read until the header is inside what was read; any error but "cut short" ends it at once.
        while case .failure(let e) = parsed, e.isCutShort || head.isEmpty, head.count < RPMHeader.maximumHeaderBytes,
              let chunk = try input.read(1 << 20) {
            head += chunk
            parsed = parse()
        }
        let header: RPMHeader
        switch parsed {
        case .success(let h): header = h
        case .failure(let e): throw PulpError.dataException("The uploaded file is not a valid RPM package: \(e.message)")
        }
        if header.isSource != (request.typeId == "srpm") { throw PulpError.wrongPackageKind(uploadedAs: request.typeId) }
        let stored = try request.content.stage(copyOf: request.file, extra: extraType)
        do {
            if let given = request.metadata["checksum"]?.stringValue, given.lowercased() != (stored.extra ?? stored.sha256) {
                throw PulpError.checksumMismatch()
            }
            try request.content.adopt(temporary: stored.path, sha256: stored.sha256)
        } catch {
            unlink(stored.path)
            throw error
        }
        let pkg = RPMPackage(header, sha256: stored.sha256, fileSize: stored.size)
        var unit = ContentUnit(unitId: PulpIDs.unitId(), typeId: request.typeId, keyDigest: pkg.package.keyDigest, unitKey: pkg.package.unitKey,
                               metadata: pkg.package.metadata, pkgid: stored.sha256, fileSha256: stored.sha256, size: stored.size,
                               downloaded: true, lastUpdated: request.now())
        for (k, v) in request.metadata where unit.metadata[k] == nil && !["checksum", "checksum_type"].contains(k) { unit.metadata[k] = v }
        var uploaded = UploadedUnit(unit: unit, report: report)
        uploaded.snippets = (pkg.primaryXML, pkg.filelistsXML, pkg.otherXML)
        uploaded.replacesSameNEVRA = true
        return uploaded
    }
}
