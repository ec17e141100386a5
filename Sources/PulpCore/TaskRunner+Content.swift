import Foundation
import PulpContent
import PulpContract
import PulpModel
import PulpStore

/// Copy, remove and orphan deletion (pulp2-content.md §4.4, §4.5, §4.7): operations on associations, done whole
/// in the task's one transaction.
extension TaskRunner {
    /// The types a yum copy clones into the destination (their key holds the repository) rather than shares.
    static let clonedTypes: Set<String> = ["package_group", "package_category", "package_environment", "yum_repo_metadata_file"]

    /// The units of a repository that the criteria select. Criteria without a filter or a sort are one query on
    /// the association table (paged there); any other reads the units and matches them as a search does.
    static func selectUnits(_ db: StoreDB, repoId: String, criteria: UnitAssociationCriteria, content: ContentDirectory?)
        throws -> [StoreDB.UnitKeyRow]
    {
        if criteria.pagesInStore {
            return try db.repositoryUnitKeys(repoId: repoId, typeIds: criteria.typeIds, limit: criteria.limit, offset: criteria.skip)
        }
        let rows = try db.repositoryAssociations(repoId: repoId, typeIds: criteria.typeIds)
        let keys = Dictionary(rows.map { ($0.unit.unitId, $0.unit) }, uniquingKeysWith: { a, _ in a })
        let records = rows.map { LocalPulp.associationRecord(repoId: repoId, $0.unit, created: $0.created, updated: $0.updated, content: content) }
        var selecting = criteria
        selecting.unitFields = nil
        selecting.associationFields = nil
        return try selecting.apply(to: records).compactMap { r in
            guard let id = r["unit_id"]?.stringValue, let u = keys[id] else { return nil }
            return StoreDB.UnitKeyRow(unitId: u.unitId, typeId: u.typeId, unitKey: JSONValue.object(u.unitKey).serialized())
        }
    }

    /// `units_successful`: each unit's type and key.
    static func unitsSuccessful(_ units: [StoreDB.UnitKeyRow]) -> JSONValue {
        .array(units.map { u in
            ["type_id": .string(u.typeId), "unit_key": (try? JSONValue.parse(u.unitKey)) ?? .object([:])]
        })
    }

    func copyUnits(into dest: String, from source: String, criteria value: JSONValue, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        guard var destRepo = try db.repository(dest) else { throw PulpError.missingResource(["repository": dest]) }
        guard try db.repositoryExists(source) else { throw PulpError.invalidValue(["source_repo_id"]) }
        guard let destImporter = try db.importer(repoId: dest) else { throw PulpError.missingResource(["repo_id": dest]) }
        guard try db.importer(repoId: source) != nil else { throw PulpError.missingResource(["repo_id": source]) }
        // Pulp checks every type the source holds, whatever the criteria select.
        let supported = Set(PluginCatalog.pluginListing[destImporter.typeId]?.types ?? [])
        guard Set(try db.contentCounts(repoId: source).filter { $0.value > 0 }.keys).isSubset(of: supported) else {
            throw PulpError.unsupportedCopyTypes(sourceRepoId: source, destRepoId: dest)
        }
        let criteria = value.isNull ? UnitAssociationCriteria() : try UnitAssociationCriteria.parse(value)
        let selected = try Self.selectUnits(db, repoId: source, criteria: criteria, content: content)
        var shared: [(unitId: String, typeId: String)] = []
        for u in selected {
            if Self.clonedTypes.contains(u.typeId) {
                shared.append((try cloneUnit(u.unitId, into: dest, db: db, now: now), u.typeId))
            } else {
                shared.append((u.unitId, u.typeId))
            }
        }
        let counts = try db.associate(repoId: dest, units: shared, now: now.epoch)
        if counts.added > 0 {
            destRepo.contentUnitCounts = try db.contentCounts(repoId: dest).mapValues(JSONValue.int)
            destRepo.lastUnitAdded = now
            try db.updateRepository(destRepo)
        }
        return TaskOutcome(result: ["units_successful": Self.unitsSuccessful(selected)])
    }

    /// A copy of a unit whose key names its repository, keyed by the destination (or the one it has already).
    private func cloneUnit(_ unitId: String, into dest: String, db: StoreDB, now: PulpDateTime) throws -> String {
        guard var unit = try db.contentUnit(id: unitId) else { throw StoreError.corrupt("content unit \(unitId)") }
        unit.unitKey["repo_id"] = .string(dest)
        if unit.metadata["repo_id"] != nil { unit.metadata["repo_id"] = .string(dest) }
        unit.keyDigest = UnitKey.digest(unit.unitKey)
        if let existing = try db.contentUnits(typeId: unit.typeId, digests: [unit.keyDigest])[unit.keyDigest] {
            if existing.metadata != unit.metadata { try db.updateContentUnitMetadata(existing.unitId, unit.metadata, now: now.epoch) }
            return existing.unitId
        }
        unit.unitId = PulpIDs.unitId()
        unit.lastUpdated = now.epoch
        try db.insertContentUnit(unit)
        return unit.unitId
    }

    func removeUnits(from r: String, criteria value: JSONValue, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        guard var repo = try db.repository(r) else { throw PulpError.missingResource(["repository": r]) }
        let criteria = value.isNull ? UnitAssociationCriteria() : try UnitAssociationCriteria.parse(value)
        let selected = try Self.selectUnits(db, repoId: r, criteria: criteria, content: content)
        let removed = try db.disassociate(repoId: r, unitIds: selected.map(\.unitId))
        if removed > 0 {
            repo.contentUnitCounts = try db.contentCounts(repoId: r).mapValues(JSONValue.int)
            repo.lastUnitRemoved = now
            try db.updateRepository(repo)
        }
        return TaskOutcome(result: ["units_successful": Self.unitsSuccessful(selected)])
    }

    /// Deletes orphans and, once that is committed, the files no unit uses any more. An unknown type, or a unit
    /// that is not an orphan, was refused when the task was dispatched; by now there may be nothing to delete.
    func deleteOrphans(typeId: String?, unitId: String?, db: StoreDB) throws -> TaskOutcome {
        let (_, files) = try db.deleteOrphans(typeId: typeId, unitId: unitId)
        var outcome = TaskOutcome()
        if let content, !files.isEmpty {
            outcome.afterCommit = { for sha in files { content.removeUnit(sha256: sha) } }
        }
        return outcome
    }
}

extension TaskRunner {
    /// Stores an uploaded unit (or finds the one with its key) and associates it; an rpm replaces the
    /// repository's package with the same NEVRA.
    func commitUpload(repoId r: String, importerTypeId: String, _ uploaded: UploadedUnit, db: StoreDB, now: PulpDateTime) throws -> TaskOutcome {
        guard var repo = try db.repository(r) else { throw PulpError.missingResource(["repository": r]) }
        guard let importer = try db.importer(repoId: r), importer.typeId == importerTypeId else {
            throw PulpError.missingResource(["repo_id": r])
        }
        var unit = uploaded.unit
        if let old = try db.contentUnits(typeId: unit.typeId, digests: [unit.keyDigest])[unit.keyDigest] {
            if let summary = uploaded.existingRefused {
                throw PulpError.uploadFailed(repoId: r, importerId: importer.typeId, unitType: unit.typeId, summary: .string(summary),
                                             details: .null)
            }
            if let sha = unit.fileSha256, !old.downloaded || old.fileSha256 == nil {
                try db.markDownloaded(old.unitId, sha256: sha, size: unit.size ?? 0, now: now.epoch)
            } else if unit.fileSha256 == nil, old.metadata != unit.metadata {
                try db.updateContentUnitMetadata(old.unitId, unit.metadata, now: now.epoch)
            }
            unit.unitId = old.unitId
        } else if let snippets = uploaded.snippets, let sha = unit.fileSha256 {
            _ = try db.insertPackageUnit(unitId: unit.unitId, typeId: unit.typeId, keyDigest: unit.keyDigest,
                                         unitKey: JSONValue.object(unit.unitKey).serialized(), metadata: JSONValue.object(unit.metadata).serialized(),
                                         pkgid: unit.pkgid ?? sha, sha256: sha, size: unit.size ?? 0, now: now.epoch,
                                         primary: Array(snippets.primary.utf8), filelists: Array(snippets.filelists.utf8),
                                         other: Array(snippets.other.utf8))
        } else {
            try db.insertContentUnit(unit)
        }
        var removed = 0
        if uploaded.replacesSameNEVRA {
            removed = try db.disassociate(repoId: r, unitIds: try db.sameNEVRA(repoId: r, typeId: unit.typeId, key: unit.unitKey, except: unit.unitId))
        }
        let counts = try db.associate(repoId: r, units: [(unit.unitId, unit.typeId)], now: now.epoch)
        if counts.added > 0 || removed > 0 {
            repo.contentUnitCounts = try db.contentCounts(repoId: r).mapValues(JSONValue.int)
            if counts.added > 0 { repo.lastUnitAdded = now }
            if removed > 0 { repo.lastUnitRemoved = now }
            try db.updateRepository(repo)
        }
        return TaskOutcome(result: uploaded.report)
    }
}

extension UnitAssociationCriteria {
    /// Without a filter or a sort the store's order (type, then unit id) is the criteria's: their page can be
    /// read from the store alone.
    var pagesInStore: Bool { unitFilters.isEmpty && associationFilters.isEmpty && unitSort.isEmpty && associationSort.isEmpty }
}
