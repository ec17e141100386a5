public import PulpContent
public import PulpModel
public import PulpStore

/// Writes a running task's `progress_report`, each time in a short transaction of its own, so that
/// `GET /tasks/<id>/` shows it changing while the work goes on.
public struct ProgressReporter: Sendable {
    let write: @Sendable (JSONObject) async -> Void

    public init(_ write: @escaping @Sendable (JSONObject) async -> Void) { self.write = write }

    public func report(_ progress: JSONObject) async { await write(progress) }

    /// Reports nothing (tests of a plugin on its own).
    public static let none = ProgressReporter { _ in }
}

/// What a sync's work phase is given: a snapshot read before it began, and the stores it may add units to.
public struct SyncRequest: Sendable {
    public var repoId: String
    public var importerTypeId: String
    /// The importer's config with the sync's `override_config` merged over it.
    public var config: JSONObject
    public var progress: ProgressReporter
    /// The repository and its importer as they were when the sync began.
    public var repository: Repository?
    public var importer: Importer?
    /// Content plugins add units (not associations) as they go, each batch in a short transaction of its own.
    public var store: PulpStore?
    public var content: ContentDirectory?
    public var now: @Sendable () -> Double = { 0 }
}

extension SyncRequest {
    /// The store and content directory a content importer needs, the directory made ready (and what killed work
    /// left in `tmp/` swept).
    func contentStores(for typeId: String) throws -> (PulpStore, ContentDirectory) {
        guard let store, let content else { throw PulpError.wrapped("\(typeId) needs a store and a content directory") }
        try content.prepare()
        content.sweepTemporary()
        return (store, content)
    }
}

/// What a sync's work phase produced, committed in one short transaction with its history entry.
public struct SyncResult: Sendable {
    /// Units to associate with the repository, by unit type.
    public var units: [String: [String]]
    /// The history entry's `summary`.
    public var summary: JSONObject

    /// Content units to associate with the repository (a unit it holds already has its `updated` bumped).
    public var associate: [(unitId: String, typeId: String)] = []
    /// For each type listed, the units the repository keeps: the others of that type are removed
    /// (`remove_missing`, `retain_old_count`).
    public var keepOnly: [String: Set<String>] = [:]
    /// The history entry's `details` (the final progress report), and the task's last progress report.
    public var details: JSONObject = [:]
    /// Merged into the importer's and the repository's scratchpads.
    public var importerScratchpad: JSONObject = [:]
    public var repositoryScratchpad: JSONObject = [:]
    /// The importer reports one dict (iso_importer): the task's progress report is the summary, and the history
    /// entry's `details` is null.
    public var detailsAreSummary = false
    /// Deferred downloads: where to fetch each package stored without its file (the lazy catalog).
    public var lazyCatalog: [(unitId: String, url: String)] = []
    /// `download_policy: background`: a `download_repo` task follows the sync.
    public var spawnDownload = false

    public init(units: [String: [String]] = [:], summary: JSONObject = [:]) {
        self.units = units
        self.summary = summary
    }
}

/// What an upload's import is given (`POST /repositories/<id>/actions/import_upload/`): the finished upload's
/// file, and what the client said of the unit.
public struct UploadRequest: Sendable {
    public var repoId: String
    public var typeId: String
    public var unitKey: JSONObject
    public var metadata: JSONObject
    /// The importer's config with the call's `override_config` merged over it.
    public var config: JSONObject
    /// The upload's bytes; not to be moved (the client deletes the upload afterwards).
    public var file: String
    public var content: ContentDirectory
    public var now: @Sendable () -> Double = { 0 }
}

/// A unit made from an upload, for the commit: stored (or found by its key), then associated.
public struct UploadedUnit: Sendable {
    public var unit: ContentUnit
    /// For a package: its primary, filelists and other snippets.
    public var snippets: (primary: String, filelists: String, other: String)?
    /// An rpm replaces the repository's other package with the same NEVRA (`remove_unit_duplicate_nevra`).
    public var replacesSameNEVRA = false
    /// A unit whose key the store has already fails the import with this summary (iso: "ISO already exists").
    public var existingRefused: String?
    /// The importer's report, the task's result.
    public var report: JSONValue

    public init(unit: ContentUnit, report: JSONValue) {
        self.unit = unit
        self.report = report
    }
}

/// What a publish's work phase is given: a snapshot read before it began.
public struct PublishRequest: Sendable {
    public var repoId: String
    public var distributorId: String
    public var distributorTypeId: String
    /// The distributor's config with the publish's `override_config` merged over it.
    public var config: JSONObject
    /// The repository's units, by id.
    public var unitIds: [String]
    public var progress: ProgressReporter
    public var store: PulpStore?
    public var content: ContentDirectory?
    public var repository: Repository?
    public var now: @Sendable () -> Double = { 0 }
}

/// What a publish's work phase produced.
public struct PublishResult: Sendable {
    /// The history entry's `summary`.
    public var summary: JSONObject

    /// The history entry's `details` (the step reports), and the task's last progress report.
    public var details: JSONValue = .null
    /// The distributor reports one dict (iso_distributor): the task's progress report is the summary, and the
    /// history entry's `details` is null.
    public var detailsAreSummary = false

    public init(summary: JSONObject = [:]) { self.summary = summary }
}

/// An importer type's behaviour. `sync` is the work phase of a sync task: it runs outside any store
/// transaction, may take as long as it needs, reports progress, and must stop when its task is cancelled
/// (`Task.checkCancellation()`); its result is committed whole, or not at all.
public protocol ImporterPlugin: Sendable {
    var typeId: String { get }
    func sync(_ request: SyncRequest) async throws -> SyncResult
    /// The work phase of an upload's import: reads and checks the file, moves a copy to its address and returns
    /// the unit. Runs outside any store transaction; the commit stores and associates the unit.
    func upload(_ request: UploadRequest) async throws -> UploadedUnit
}

extension ImporterPlugin {
    public func upload(_ request: UploadRequest) async throws -> UploadedUnit {
        throw PulpError.dataException("Invalid unit type for repository")
    }
}

/// A distributor type's behaviour; `publish` is the work phase of a publish task, as `ImporterPlugin.sync`.
public protocol DistributorPlugin: Sendable {
    var typeId: String { get }
    func publish(_ request: PublishRequest) async throws -> PublishResult
}

/// The plugins by type id. A type of the catalog with no plugin of its own records history only.
public struct PluginRegistry: Sendable {
    private var importers: [String: any ImporterPlugin] = [:]
    private var distributors: [String: any DistributorPlugin] = [:]

    public init() {}

    public mutating func register(_ plugin: any ImporterPlugin) { importers[plugin.typeId] = plugin }
    public mutating func register(_ plugin: any DistributorPlugin) { distributors[plugin.typeId] = plugin }

    public func importer(_ typeId: String) -> any ImporterPlugin { importers[typeId] ?? RecordOnlyImporter(typeId: typeId) }
    public func distributor(_ typeId: String) -> any DistributorPlugin {
        distributors[typeId] ?? RecordOnlyDistributor(typeId: typeId)
    }

    /// The plugins pulpform ships. A new content type is a folder under `Plugins/` and a line here.
    public static var builtin: PluginRegistry {
        var r = PluginRegistry()
        r.register(HarnessImporter())
        r.register(HarnessDistributor())
        r.register(YumImporter())
        r.register(YumDistributor())
        r.register(ISOImporter())
        r.register(ISODistributor())
        return r
    }
}
