/// Request bodies of the operations, each with Pulp's parsing rules (`parse`) and the JSON a client
/// sends (`json`). Parsing checks shapes; the operations check ids, types and existence.

/// `POST /repositories/`
public struct RepositoryCreate: Sendable, Hashable {
    public var id: String?
    public var displayName: String?
    public var description: String?
    public var notes: JSONObject
    public var importerTypeId: String?
    public var importerConfig: JSONObject
    public var distributors: [DistributorCreate]

    public init(id: String?, displayName: String? = nil, description: String? = nil, notes: JSONObject = [:],
                importerTypeId: String? = nil, importerConfig: JSONObject = [:], distributors: [DistributorCreate] = [])
    {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.notes = notes
        self.importerTypeId = importerTypeId
        self.importerConfig = importerConfig
        self.distributors = distributors
    }

    /// Unknown keys are ignored (clients send `relative_path`). A missing, null or non-string id is
    /// InvalidValue ['repo_id']; a non-list `distributors` is InvalidValue ['distributor_list'].
    public static func parse(_ body: JSONObject) throws(PulpError) -> RepositoryCreate {
        guard case .string(let id)? = body["id"] else { throw .invalidValue(["repo_id"]) }
        var invalid: [String] = []
        func optionalString(_ key: String) -> String? {
            switch body[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: invalid.append(key); return nil
            }
        }
        func optionalObject(_ key: String) -> JSONObject {
            switch body[key] {
            case nil, .null?: return [:]
            case .object(let o)?: return o
            default: invalid.append(key); return [:]
            }
        }
        let displayName = optionalString("display_name")
        let description = optionalString("description")
        let notes = optionalObject("notes")
        let importerTypeId = optionalString("importer_type_id")
        let importerConfig = optionalObject("importer_config")
        var distributors: [DistributorCreate] = []
        switch body["distributors"] {
        case nil, .null?: break
        case .array(let items)?:
            for item in items {
                guard case .object(let d) = item else {
                    invalid.append("distributor_list")
                    break
                }
                distributors.append(try DistributorCreate.parse(d))
            }
        default: invalid.append("distributor_list")
        }
        if !invalid.isEmpty { throw .invalidValue(invalid) }
        return RepositoryCreate(id: id, displayName: displayName, description: description, notes: notes,
                                importerTypeId: importerTypeId, importerConfig: importerConfig, distributors: distributors)
    }

    public func json() -> JSONObject {
        var o: JSONObject = ["id": .from(id), "notes": .object(notes)]
        if let displayName { o["display_name"] = .string(displayName) }
        if let description { o["description"] = .string(description) }
        if let importerTypeId {
            o["importer_type_id"] = .string(importerTypeId)
            o["importer_config"] = .object(importerConfig)
        }
        if !distributors.isEmpty { o["distributors"] = .array(distributors.map { .object($0.json()) }) }
        return o
    }
}

/// `POST /repositories/<id>/distributors/`, and an item of a create's `distributors`.
public struct DistributorCreate: Sendable, Hashable {
    public var distributorId: String?
    public var typeId: String?
    public var config: JSONObject
    public var autoPublish: Bool

    public init(distributorId: String?, typeId: String?, config: JSONObject = [:], autoPublish: Bool = false) {
        self.distributorId = distributorId
        self.typeId = typeId
        self.config = config
        self.autoPublish = autoPublish
    }

    /// Unknown keys (`last_publish`, `repo_id`) are ignored.
    public static func parse(_ body: JSONObject) throws(PulpError) -> DistributorCreate {
        var invalid: [String] = []
        var id: String?
        switch body["distributor_id"] {
        case nil, .null?: break
        case .string(let s)?: id = s
        default: invalid.append("distributor_id")
        }
        var type: String?
        switch body["distributor_type_id"] {
        case nil, .null?: break
        case .string(let s)?: type = s
        default: invalid.append("distributor_type_id")
        }
        var config: JSONObject = [:]
        switch body["distributor_config"] ?? body["repo_plugin_config"] {
        case nil, .null?: break
        case .object(let o)?: config = o
        default: invalid.append("distributor_config")
        }
        var auto = false
        switch body["auto_publish"] {
        case nil, .null?: break
        case .bool(let b)?: auto = b
        default: invalid.append("auto_publish")
        }
        if !invalid.isEmpty { throw .invalidValue(invalid) }
        return DistributorCreate(distributorId: id, typeId: type, config: config, autoPublish: auto)
    }

    public func json() -> JSONObject {
        var o: JSONObject = ["distributor_type_id": .from(typeId), "distributor_config": .object(config),
                             "auto_publish": .bool(autoPublish)]
        if let distributorId { o["distributor_id"] = .string(distributorId) }
        return o
    }
}

/// `PUT /repositories/<id>/`: all parts optional.
public struct RepositoryUpdate: Sendable, Hashable {
    public var delta: JSONObject?
    public var importerConfig: JSONObject?
    public var distributorConfigs: [String: JSONObject]?

    public init(delta: JSONObject? = nil, importerConfig: JSONObject? = nil, distributorConfigs: [String: JSONObject]? = nil) {
        self.delta = delta
        self.importerConfig = importerConfig
        self.distributorConfigs = distributorConfigs
    }

    /// A non-object `delta` is PLP1010 (`field: "delta", field_type: "dict"`).
    public static func parse(_ body: JSONObject) throws(PulpError) -> RepositoryUpdate {
        var u = RepositoryUpdate()
        switch body["delta"] {
        case nil, .null?: break
        case .object(let o)?: u.delta = o
        case let v?: throw .invalidType(field: "delta", value: v, fieldType: "dict")
        }
        switch body["importer_config"] {
        case nil, .null?: break
        case .object(let o)?: u.importerConfig = o
        case let v?: throw .invalidType(field: "importer_config", value: v, fieldType: "dict")
        }
        switch body["distributor_configs"] {
        case nil, .null?: break
        case .object(let o)?:
            var configs: [String: JSONObject] = [:]
            for (k, v) in o {
                guard case .object(let c) = v else {
                    throw .invalidType(field: "distributor_configs.\(k)", value: v, fieldType: "dict")
                }
                configs[k] = c
            }
            u.distributorConfigs = configs
        case let v?: throw .invalidType(field: "distributor_configs", value: v, fieldType: "dict")
        }
        return u
    }

    public func json() -> JSONObject {
        var o = JSONObject()
        if let delta { o["delta"] = .object(delta) }
        if let importerConfig { o["importer_config"] = .object(importerConfig) }
        if let distributorConfigs { o["distributor_configs"] = .object(distributorConfigs.mapValues { .object($0) }) }
        return o
    }
}

/// `PUT /repositories/<id>/distributors/<d>/`. `delta` is carried raw: a bad `auto_publish` fails the task.
public struct DistributorUpdate: Sendable, Hashable {
    public var config: JSONObject?
    public var delta: JSONObject?

    public init(config: JSONObject? = nil, delta: JSONObject? = nil) {
        self.config = config
        self.delta = delta
    }

    public static func parse(_ body: JSONObject) throws(PulpError) -> DistributorUpdate {
        var u = DistributorUpdate()
        switch body["distributor_config"] {
        case nil, .null?: break
        case .object(let o)?: u.config = o
        case let v?: throw .invalidType(field: "distributor_config", value: v, fieldType: "dict")
        }
        switch body["delta"] {
        case nil, .null?: break
        case .object(let o)?: u.delta = o
        case let v?: throw .invalidType(field: "delta", value: v, fieldType: "dict")
        }
        return u
    }

    public func json() -> JSONObject {
        var o = JSONObject()
        if let config { o["distributor_config"] = .object(config) }
        if let delta { o["delta"] = .object(delta) }
        return o
    }
}

/// `POST /consumers/`
public struct ConsumerRegister: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var description: String?
    public var notes: JSONObject

    public init(id: String, displayName: String? = nil, description: String? = nil, notes: JSONObject = [:]) {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.notes = notes
    }

    public static func parse(_ body: JSONObject) throws(PulpError) -> ConsumerRegister {
        guard let idValue = body["id"], !idValue.isNull else { throw .missingValue(["id"]) }
        guard case .string(let id) = idValue else { throw .invalidValue(["id"]) }
        var invalid: [String] = []
        var r = ConsumerRegister(id: id)
        switch body["display_name"] {
        case nil, .null?: break
        case .string(let s)?: r.displayName = s
        default: invalid.append("display_name")
        }
        switch body["description"] {
        case nil, .null?: break
        case .string(let s)?: r.description = s
        default: invalid.append("description")
        }
        switch body["notes"] {
        case nil, .null?: break
        case .object(let o)?: r.notes = o
        default: invalid.append("notes")
        }
        if !invalid.isEmpty { throw .invalidValue(invalid) }
        return r
    }

    public func json() -> JSONObject {
        ["id": .string(id), "display_name": .from(displayName), "description": .from(description), "notes": .object(notes)]
    }
}
