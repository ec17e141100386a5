public import PulpModel

/// The JSON Schema of manifests (draft-07, for editors' YAML language servers), generated from the plugin
/// catalog so that each importer and distributor type offers its own config keys.
public enum ManifestSchema {
    public static let id = "https://pulpform.example.com/schemas/manifest.schema.json"

    static func valueSchema(_ key: ConfigKey) -> JSONValue {
        var s: JSONObject
        switch key.type {
        case .string: s = ["type": "string"]
        case .bool: s = ["type": "boolean"]
        case .int: s = ["type": "integer"]
        case .number: s = ["type": "number"]
        case .stringList: s = ["type": "array", "items": ["type": "string"]]
        case .object: s = ["type": "object"]
        case .any: s = [:]
        }
        s["description"] = .string(key.summary + (key.secret ? " (secret: give it as {env: NAME} or {file: PATH})" : ""))
        if let d = key.defaultValue { s["default"] = d }
        if key.secret { return ["$ref": "#/definitions/secret", "description": s["description"] ?? .null] }
        // Any value may also be a secret reference.
        return ["anyOf": [.object(s), ["$ref": "#/definitions/secret"]]]
    }

    /// A plugin object: `type` from the catalog, and per type (`if`/`then`) its own config keys. The type
    /// may be left out where `defaults` supplies it.
    static func pluginSchema(kind: PluginKind, catalog: PluginCatalog) -> JSONValue {
        let ids = kind == .importer ? catalog.importerIds : catalog.distributorIds
        var properties: JSONObject = ["type": ["enum": .array(ids.map(JSONValue.string))], "config": ["type": "object"]]
        if kind == .importer {
            properties["sync_after_create"] = ["type": "boolean", "default": false,
                                               "description": "sync once when the plan creates the repository or sets this importer"]
        }
        if kind == .distributor {
            properties["id"] = ["type": "string", "description": "distributor id (letters, digits, '-', '_'), unique in the repository"]
            properties["auto_publish"] = ["type": "boolean", "default": false, "description": "publish after every successful sync"]
            properties["publish_schedules"] = ["type": "array", "items": ["$ref": "#/definitions/schedule"]]
        }
        let rules: [JSONValue] = ids.compactMap { catalog.types[$0] }.map { t in
            var config = JSONObject()
            for k in t.keys { config[k.name] = valueSchema(k) }
            return [
                "if": ["properties": ["type": ["const": .string(t.id)]], "required": ["type"]],
                "then": ["properties": ["config": ["type": "object", "additionalProperties": false, "properties": .object(config),
                                                   "description": .string(t.summary)]]],
            ]
        }
        return ["type": "object", "additionalProperties": false, "properties": .object(properties), "allOf": .array(rules)]
    }

    public static func generate(catalog: PluginCatalog = .builtin) -> JSONValue {
        let repositoryProperties: JSONObject = [
            "id": ["type": "string", "description": "repository id: letters, digits, '.', '-', '_'"],
            "display_name": ["type": "string", "description": "defaults to the id"],
            "description": ["type": ["string", "null"]],
            "notes": ["type": "object", "description": "key-value pairs; keys starting with pulpform_ are reserved"],
            "importer": ["$ref": "#/definitions/importer"],
            "distributors": ["type": "array", "items": ["$ref": "#/definitions/distributor"]],
            "sync_schedules": ["type": "array", "items": ["$ref": "#/definitions/schedule"]],
            "protect": ["type": "boolean", "default": false,
                        "description": "no plan deletes or replaces it, even once it is gone from the manifests (--allow-destroy lifts this)"],
            "ignore_changes": ["type": "array", "items": ["type": "string", "minLength": 1],
                               "description": "field paths as the plan prints them (importer.config.feed, distributor.ID.config.KEY, notes.KEY; * and ? globs): set on create, never updated or reported as drift"],
        ]
        return [
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": .string(id),
            "title": "pulpform manifest",
            "description": "One YAML document of a pulpform manifest. See docs/manifests.md.",
            "type": "object",
            "additionalProperties": false,
            "properties": [
                "defaults": ["$ref": "#/definitions/repositoryTemplate",
                             "description": "merged under every repository of this document"],
                "repositories": ["type": "array", "items": ["$ref": "#/definitions/repository"]],
                "matrix": ["type": "array", "items": ["$ref": "#/definitions/matrix"]],
                "consumers": ["type": "array", "items": ["$ref": "#/definitions/consumer"]],
                "users": ["type": "array", "items": ["$ref": "#/definitions/user"]],
                "roles": ["type": "array", "items": ["$ref": "#/definitions/role"]],
                "sync_after_create": ["type": "boolean",
                                      "description": "the default for this document's importers: sync once after a create"],
            ],
            "definitions": [
                "secret": [
                    "description": "a secret read from the environment or a file when applying; never printed",
                    "oneOf": [
                        ["type": "object", "additionalProperties": false, "required": ["env"],
                         "properties": ["env": ["type": "string", "minLength": 1]]],
                        ["type": "object", "additionalProperties": false, "required": ["file"],
                         "properties": ["file": ["type": "string", "minLength": 1]]],
                    ],
                ],
                "schedule": [
                    "type": "object", "additionalProperties": false, "required": ["schedule"],
                    "properties": [
                        "schedule": ["type": "string", "description": "ISO 8601 interval: [R<n>/][<start>/]<duration>"],
                        "enabled": ["type": "boolean", "default": true],
                        "failure_threshold": ["type": ["integer", "null"], "minimum": 1],
                        "override_config": ["type": "object"],
                    ],
                ],
                "repository": ["type": "object", "additionalProperties": false, "required": ["id"],
                               "properties": .object(repositoryProperties)],
                "repositoryTemplate": ["type": "object", "additionalProperties": false,
                                       "properties": .object(repositoryProperties)],
                "importer": pluginSchema(kind: .importer, catalog: catalog),
                "distributor": pluginSchema(kind: .distributor, catalog: catalog),
                "matrix": [
                    "type": "object", "additionalProperties": false, "required": ["vars", "repository"],
                    "properties": [
                        "vars": ["type": "object", "minProperties": 1,
                                 "additionalProperties": ["type": "array", "minItems": 1,
                                                          "items": ["type": ["string", "integer", "number", "boolean"]]]],
                        "exclude": ["type": "array", "items": ["type": "object"]],
                        "include": ["type": "array", "items": ["type": "object"]],
                        "repository": ["$ref": "#/definitions/repositoryTemplate"],
                    ],
                ],
                "consumer": [
                    "type": "object", "additionalProperties": false, "required": ["id"],
                    "properties": [
                        "id": ["type": "string"],
                        "display_name": ["type": "string"],
                        "description": ["type": ["string", "null"]],
                        "notes": ["type": "object"],
                        "protect": ["type": "boolean", "default": false],
                        "schedules": [
                            "type": "object", "additionalProperties": false,
                            "properties": ["install": ["$ref": "#/definitions/consumerSchedules"],
                                           "update": ["$ref": "#/definitions/consumerSchedules"],
                                           "uninstall": ["$ref": "#/definitions/consumerSchedules"]],
                        ],
                    ],
                ],
                "user": [
                    "type": "object", "additionalProperties": false, "required": ["login"],
                    "properties": [
                        "login": ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,255}$"],
                        "name": ["type": "string", "description": "defaults to the login"],
                        "password": ["$ref": "#/definitions/secret",
                                     "description": "managed only when given; left out, the user keeps the password they have"],
                    ],
                ],
                "role": [
                    "type": "object", "additionalProperties": false, "required": ["id"],
                    "properties": [
                        "id": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,255}$",
                               "description": "super-users is built in: declare only its members"],
                        "display_name": ["type": "string", "description": "defaults to the id"],
                        "description": ["type": ["string", "null"]],
                        "permissions": [
                            "type": "object", "description": "API path (and everything under it) → operations",
                            "propertyNames": ["pattern": "^/"],
                            "additionalProperties": [
                                "type": "array", "minItems": 1,
                                "items": ["enum": .array((AccessRules.operationNames.map { $0.lowercased() } + AccessRules.operationNames).map(JSONValue.string))],
                            ],
                        ],
                        "members": ["type": "array", "items": ["type": "string"], "uniqueItems": true],
                    ],
                ],
                "consumerSchedules": [
                    "type": "array",
                    "items": [
                        "type": "object", "additionalProperties": false, "required": ["schedule", "units"],
                        "properties": [
                            "schedule": ["type": "string"],
                            "enabled": ["type": "boolean"],
                            "failure_threshold": ["type": ["integer", "null"], "minimum": 1],
                            "units": ["type": "array", "items": ["type": "object"]],
                            "options": ["type": "object"],
                        ],
                    ],
                ],
            ],
        ]
    }
}
