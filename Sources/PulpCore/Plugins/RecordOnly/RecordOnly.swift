import PulpModel

/// The catalog's importer types whose content transfer is not built yet (`yum_importer`, `iso_importer`, ...):
/// a sync records history and `last_sync` only.
struct RecordOnlyImporter: ImporterPlugin {
    let typeId: String

    func sync(_ request: SyncRequest) async throws -> SyncResult {
        SyncResult(summary: ["message": .string("no content transfer for \(typeId) in the embedded store")])
    }
}

/// The catalog's distributor types whose publish is not built yet: history and `last_publish` only.
struct RecordOnlyDistributor: DistributorPlugin {
    let typeId: String

    func publish(_ request: PublishRequest) async throws -> PublishResult {
        PublishResult(summary: ["message": .string("no content written for \(typeId) in the embedded store")])
    }
}
