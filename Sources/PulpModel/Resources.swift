/// A repository (`serializers.Repository`, with `repo_id→id` and `id→_id`).
public struct Repository: Sendable, Hashable {
    public var id: String
    /// 24 hex digits, rendered as `{"$oid": ...}`.
    public var oid: String
    public var displayName: String
    public var description: String?
    /// Stored verbatim, nulls included.
    public var notes: JSONObject
    public var scratchpad: JSONObject
    public var contentUnitCounts: JSONObject
    public var lastUnitAdded: PulpDateTime?
    public var lastUnitRemoved: PulpDateTime?

    public init(id: String, oid: String, displayName: String? = nil, description: String? = nil, notes: JSONObject = [:],
                scratchpad: JSONObject = [:], contentUnitCounts: JSONObject = [:], lastUnitAdded: PulpDateTime? = nil,
                lastUnitRemoved: PulpDateTime? = nil)
    {
        self.id = id
        self.oid = oid
        self.displayName = displayName ?? id
        self.description = description
        self.notes = notes
        self.scratchpad = scratchpad
        self.contentUnitCounts = contentUnitCounts
        self.lastUnitAdded = lastUnitAdded
        self.lastUnitRemoved = lastUnitRemoved
    }

    public var href: String { PulpPaths.repository(id) }

    /// Total units over every content type.
    public var totalUnits: Int { contentUnitCounts.values.reduce(0) { $0 + ($1.intValue ?? 0) } }

    public func json() -> JSONObject {
        [
            "id": .string(id),
            "_id": ["$oid": .string(oid)],
            "_href": .string(href),
            "_ns": "repos",
            "display_name": .string(displayName),
            "description": .from(description),
            "notes": .object(notes),
            "scratchpad": .object(scratchpad),
            "content_unit_counts": .object(contentUnitCounts),
            "last_unit_added": .from(lastUnitAdded),
            "last_unit_removed": .from(lastUnitRemoved),
        ]
    }
}

/// A repository's importer. Its id is its type id.
public struct Importer: Sendable, Hashable {
    public var repoId: String
    public var typeId: String
    public var oid: String
    /// Cleaned of nulls; secrets stored as given.
    public var config: JSONObject
    public var lastSync: PulpDateTime?
    public var scratchpad: JSONValue

    public init(repoId: String, typeId: String, oid: String, config: JSONObject, lastSync: PulpDateTime? = nil,
                scratchpad: JSONValue = .null)
    {
        self.repoId = repoId
        self.typeId = typeId
        self.oid = oid
        self.config = config
        self.lastSync = lastSync
        self.scratchpad = scratchpad
    }

    public var id: String { typeId }
    public var href: String { PulpPaths.importer(repoId, typeId) }

    /// The representation every response uses: secrets are `*****`.
    ///
    /// `sync_in_progress` is always false: a running sync's changes are invisible until its task commits.
    /// `scheduled_syncs` (schedule ids) is included when the caller has looked them up.
    public func json(catalog: PluginCatalog = .builtin, scheduledSyncs: [String]? = nil) -> JSONObject {
        var o: JSONObject = [
            "id": .string(typeId),
            "importer_type_id": .string(typeId),
            "repo_id": .string(repoId),
            "config": .object(ConfigRules.masked(config, secretKeys: catalog.importerMaskedKeys(typeId))),
            "last_sync": .from(lastSync),
            "scratchpad": scratchpad,
            "sync_in_progress": false,
            "_ns": "repo_importers",
            "_id": ["$oid": .string(oid)],
            "_href": .string(href),
        ]
        if let scheduledSyncs { o["scheduled_syncs"] = .array(scheduledSyncs.map(JSONValue.string)) }
        return o
    }
}

/// A repository's distributor.
public struct Distributor: Sendable, Hashable {
    public var repoId: String
    public var id: String
    public var typeId: String
    public var oid: String
    public var config: JSONObject
    public var autoPublish: Bool
    public var lastPublish: PulpDateTime?
    public var scratchpad: JSONValue

    public init(repoId: String, id: String, typeId: String, oid: String, config: JSONObject, autoPublish: Bool,
                lastPublish: PulpDateTime? = nil, scratchpad: JSONValue = .object([:]))
    {
        self.repoId = repoId
        self.id = id
        self.typeId = typeId
        self.oid = oid
        self.config = config
        self.autoPublish = autoPublish
        self.lastPublish = lastPublish
        self.scratchpad = scratchpad
    }

    public var href: String { PulpPaths.distributor(repoId, id) }

    /// Distributor configs are not masked. `publish_in_progress` is false for the same reason as
    /// `sync_in_progress`; `scheduled_publishes` is included when the caller has looked them up.
    public func json(scheduledPublishes: [String]? = nil) -> JSONObject {
        var o: JSONObject = [
            "id": .string(id),
            "distributor_type_id": .string(typeId),
            "repo_id": .string(repoId),
            "config": .object(config),
            "auto_publish": .bool(autoPublish),
            "last_publish": .from(lastPublish),
            "scratchpad": scratchpad,
            "publish_in_progress": false,
            "_ns": "repo_distributors",
            "_id": ["$oid": .string(oid)],
            "_href": .string(href),
        ]
        if let scheduledPublishes { o["scheduled_publishes"] = .array(scheduledPublishes.map(JSONValue.string)) }
        return o
    }
}

/// A registered consumer.
public struct Consumer: Sendable, Hashable {
    public var id: String
    public var oid: String
    public var displayName: String
    public var description: String?
    public var notes: JSONObject
    public var capabilities: JSONObject
    public var rsaPub: String?

    public init(id: String, oid: String, displayName: String? = nil, description: String? = nil, notes: JSONObject = [:],
                capabilities: JSONObject = [:], rsaPub: String? = nil)
    {
        self.id = id
        self.oid = oid
        self.displayName = displayName ?? id
        self.description = description
        self.notes = notes
        self.capabilities = capabilities
        self.rsaPub = rsaPub
    }

    public var href: String { PulpPaths.consumer(id) }

    public func json() -> JSONObject {
        [
            "id": .string(id),
            "display_name": .string(displayName),
            "description": .from(description),
            "notes": .object(notes),
            "capabilities": .object(capabilities),
            "rsa_pub": .from(rsaPub),
            "_ns": "consumers",
            "_id": ["$oid": .string(oid)],
            "_href": .string(href),
        ]
    }
}

/// A sync history entry (`RepoSyncResult`).
public struct SyncHistoryEntry: Sendable, Hashable {
    public enum Result: String, Sendable, Codable { case success, failed, error, canceled }
    public var oid: String
    public var repoId: String
    public var importerTypeId: String
    public var started: PulpDateTime
    public var completed: PulpDateTime
    public var result: Result
    public var addedCount: Int
    public var updatedCount: Int
    public var removedCount: Int
    public var summary: JSONValue
    public var details: JSONValue
    public var errorMessage: String?

    public init(oid: String, repoId: String, importerTypeId: String, started: PulpDateTime, completed: PulpDateTime,
                result: Result, addedCount: Int, updatedCount: Int = 0, removedCount: Int = 0, summary: JSONValue = .object([:]),
                details: JSONValue = .object([:]), errorMessage: String? = nil)
    {
        self.oid = oid
        self.repoId = repoId
        self.importerTypeId = importerTypeId
        self.started = started
        self.completed = completed
        self.result = result
        self.addedCount = result == .error ? -1 : addedCount
        self.updatedCount = result == .error ? -1 : updatedCount
        self.removedCount = result == .error ? -1 : removedCount
        self.summary = summary
        self.details = details
        self.errorMessage = errorMessage
    }

    public func json() -> JSONObject {
        [
            "_id": ["$oid": .string(oid)],
            "id": .string(oid),
            "repo_id": .string(repoId),
            "importer_id": .string(importerTypeId),
            "importer_type_id": .string(importerTypeId),
            "started": .string(started.iso8601),
            "completed": .string(completed.iso8601),
            "result": .string(result.rawValue),
            "added_count": .int(addedCount),
            "updated_count": .int(updatedCount),
            "removed_count": .int(removedCount),
            "summary": summary,
            "details": details,
            "error_message": .from(errorMessage),
            "exception": .null,
            "traceback": .null,
        ]
    }
}

/// A publish history entry (`RepoPublishResult`).
public struct PublishHistoryEntry: Sendable, Hashable {
    public enum Result: String, Sendable, Codable { case success, failed, error }
    public var oid: String
    public var repoId: String
    public var distributorId: String
    public var distributorTypeId: String
    public var started: PulpDateTime
    public var completed: PulpDateTime
    public var result: Result
    public var summary: JSONValue
    public var details: JSONValue
    public var errorMessage: String?

    public init(oid: String, repoId: String, distributorId: String, distributorTypeId: String, started: PulpDateTime,
                completed: PulpDateTime, result: Result, summary: JSONValue = .object([:]), details: JSONValue = .object([:]),
                errorMessage: String? = nil)
    {
        self.oid = oid
        self.repoId = repoId
        self.distributorId = distributorId
        self.distributorTypeId = distributorTypeId
        self.started = started
        self.completed = completed
        self.result = result
        self.summary = summary
        self.details = details
        self.errorMessage = errorMessage
    }

    public func json() -> JSONObject {
        [
            "_id": ["$oid": .string(oid)],
            "id": .string(oid),
            "repo_id": .string(repoId),
            "distributor_id": .string(distributorId),
            "distributor_type_id": .string(distributorTypeId),
            "started": .string(started.iso8601),
            "completed": .string(completed.iso8601),
            "result": .string(result.rawValue),
            "summary": summary,
            "details": details,
            "error_message": .from(errorMessage),
            "exception": .null,
            "traceback": .null,
        ]
    }
}

/// Which history entries to return, and in what order (§1c).
public struct HistoryQuery: Sendable, Hashable {
    public var limit: Int?
    public var ascending: Bool
    public var startDate: PulpDateTime?
    public var endDate: PulpDateTime?

    public init(limit: Int? = nil, ascending: Bool = false, startDate: PulpDateTime? = nil, endDate: PulpDateTime? = nil) {
        self.limit = limit
        self.ascending = ascending
        self.startDate = startDate
        self.endDate = endDate
    }

    /// Parses the query parameters; every bad one is named in one InvalidValue.
    public static func parse(limit: String?, sort: String?, startDate: String?, endDate: String?) throws(PulpError) -> HistoryQuery {
        var q = HistoryQuery()
        var invalid: [String] = []
        if let limit {
            if let n = Int(limit), n >= 1 { q.limit = n } else { invalid.append("limit") }
        }
        if let sort {
            switch sort {
            case "ascending": q.ascending = true
            case "descending": q.ascending = false
            default: invalid.append("sort")
            }
        }
        if let startDate {
            if let d = PulpDateTime.parse(startDate) { q.startDate = d } else { invalid.append("start_date") }
        }
        if let endDate {
            if let d = PulpDateTime.parse(endDate) { q.endDate = d } else { invalid.append("end_date") }
        }
        if !invalid.isEmpty { throw .invalidValue(invalid) }
        return q
    }
}

/// The 202 call report, or the 200 one of a repository update.
public struct CallReport: Sendable, Hashable {
    public var result: JSONValue
    public var error: JSONValue
    public var spawnedTasks: [String]

    public init(result: JSONValue = .null, error: JSONValue = .null, spawnedTasks: [String] = []) {
        self.result = result
        self.error = error
        self.spawnedTasks = spawnedTasks
    }

    public func json() -> JSONObject {
        [
            "result": result,
            "error": error,
            "spawned_tasks": .array(spawnedTasks.map(CallReport.taskLink)),
        ]
    }

    /// `{"_href": "/pulp/api/v2/tasks/<id>/", "task_id": "<id>"}`
    public static func taskLink(_ id: String) -> JSONValue {
        ["_href": .string(PulpPaths.task(id)), "task_id": .string(id)]
    }
}
