// The content types and what each plugin handles, for `GET /plugins/types/`, `/plugins/importers/` and
// `/plugins/distributors/` (pulp2-content.md §1.4 and §4.3; pubtools-pulplib reads the type ids).

/// A content type as Pulp 2's type definitions give it.
public struct ContentTypeDefinition: Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var description: String
    /// The unit key's fields, in Pulp's REST names.
    public var unitKey: [String]
    public var referencedTypes: [String]

    public init(id: String, displayName: String, description: String, unitKey: [String], referencedTypes: [String] = []) {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.unitKey = unitKey
        self.referencedTypes = referencedTypes
    }
}

extension PluginCatalog {
    /// The content types pulpform knows: pulp_rpm's (yum and iso) and pulp_docker's.
    public static let contentTypes: [ContentTypeDefinition] = [
        ContentTypeDefinition(id: "distribution", displayName: "Distribution", description: "Kickstart trees and all accompanying files",
                              unitKey: ["id", "family", "variant", "version", "arch"]),
        ContentTypeDefinition(id: "docker_blob", displayName: "Docker Blob", description: "Docker Blob", unitKey: ["digest"]),
        ContentTypeDefinition(id: "docker_image", displayName: "Docker Image", description: "Docker Image", unitKey: ["image_id"]),
        ContentTypeDefinition(id: "docker_manifest", displayName: "Docker Manifest", description: "Docker Manifest", unitKey: ["digest"]),
        ContentTypeDefinition(id: "docker_tag", displayName: "Docker Tag", description: "Docker Tag", unitKey: ["name", "repo_id"]),
        ContentTypeDefinition(id: "drpm", displayName: "DRPM", description: "DRPM",
                              unitKey: ["epoch", "version", "release", "filename", "checksumtype", "checksum"]),
        ContentTypeDefinition(id: "erratum", displayName: "Erratum", description: "Erratum advisory information", unitKey: ["id"],
                              referencedTypes: ["rpm"]),
        ContentTypeDefinition(id: "iso", displayName: "ISO", description: "ISO", unitKey: ["name", "checksum", "size"]),
        ContentTypeDefinition(id: "package_category", displayName: "Package Category", description: "Yum Package category information",
                              unitKey: ["id", "repo_id"], referencedTypes: ["package_group"]),
        ContentTypeDefinition(id: "package_environment", displayName: "Package Environment",
                              description: "Yum Package environment information", unitKey: ["id", "repo_id"],
                              referencedTypes: ["package_group"]),
        ContentTypeDefinition(id: "package_group", displayName: "Package Group", description: "Yum Package group information",
                              unitKey: ["id", "repo_id"], referencedTypes: ["rpm"]),
        ContentTypeDefinition(id: "rpm", displayName: "RPM", description: "RPM",
                              unitKey: ["name", "epoch", "version", "release", "arch", "checksumtype", "checksum"],
                              referencedTypes: ["erratum"]),
        ContentTypeDefinition(id: "srpm", displayName: "SRPM", description: "SRPM",
                              unitKey: ["name", "epoch", "version", "release", "arch", "checksumtype", "checksum"]),
        ContentTypeDefinition(id: "yum_repo_metadata_file", displayName: "YUM Repository Metadata File",
                              description: "YUM Repository Metadata File", unitKey: ["data_type", "repo_id"]),
    ]

    public static func contentType(_ id: String) -> ContentTypeDefinition? { contentTypes.first { $0.id == id } }

    static let yumTypes = ["distribution", "drpm", "erratum", "package_group", "package_category", "rpm", "srpm",
                           "yum_repo_metadata_file", "package_environment"]
    static let dockerTypes = ["docker_blob", "docker_image", "docker_manifest", "docker_tag"]

    /// Each plugin type's display name and the content types it handles, as `GET /plugins/importers/` shows them.
    public static let pluginListing: [String: (displayName: String, types: [String])] = [
        "harness_importer": ("Plugin Test Harness Importer", []),
        "harness_distributor": ("Plugin Test Harness Distributor", []),
        "yum_importer": ("Yum Importer", yumTypes),
        "iso_importer": ("ISO Importer", ["iso"]),
        "docker_importer": ("Docker Importer", dockerTypes),
        "yum_distributor": ("Yum Distributor", yumTypes),
        "export_distributor": ("Export Distributor", yumTypes),
        "iso_distributor": ("ISO Distributor", ["iso"]),
        "cdn_distributor": ("CDN Distributor", ["rpm", "srpm", "erratum", "iso"]),
        "docker_distributor_web": ("Docker Web Distributor", dockerTypes),
    ]

    /// A plugin type as `GET /plugins/importers/` (or distributors) lists it.
    public func listing(_ type: PluginType) -> JSONObject {
        let info = PluginCatalog.pluginListing[type.id]
        let kind = type.kind == .importer ? "importers" : "distributors"
        return ["id": .string(type.id), "display_name": .string(info?.displayName ?? type.id),
                "types": .array((info?.types ?? []).map(JSONValue.string)), "_href": .string("/pulp/api/v2/plugins/\(kind)/\(type.id)/")]
    }
}

extension ContentTypeDefinition {
    /// As `GET /plugins/types/` shows it. `_id` is derived from the id, so it is the same on every server.
    public var json: JSONObject {
        ["_href": .string("/pulp/api/v2/plugins/types/\(id)/"), "_id": ["$oid": .string(PulpIDs.stableObjectId(id))], "_ns": "content_types",
         "id": .string(id), "display_name": .string(displayName), "description": .string(description),
         "unit_key": .array(unitKey.map(JSONValue.string)), "search_indexes": [], "referenced_types": .array(referencedTypes.map(JSONValue.string))]
    }
}
