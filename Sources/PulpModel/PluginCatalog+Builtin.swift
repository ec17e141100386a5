// The built-in plugin types. Keys come from Pulp 2's plugin guides (pulp_rpm's yum and ISO
// importers and distributors, pulp_docker) and the plugin test harness the seeds use.

extension PluginCatalog {
    /// Every type pulpform knows.
    public static let builtin = PluginCatalog([
        harnessImporter, harnessDistributor,
        yumImporter, isoImporter, dockerImporter,
        yumDistributor, exportDistributor, isoDistributor, cdnDistributor, dockerDistributorWeb,
    ])

    /// Keys every downloading importer shares (`pulp.common.plugins.importer_constants`).
    static let downloaderKeys: [ConfigKey] = [
        ConfigKey("feed", .string, "URL of the upstream repository"),
        ConfigKey("ssl_validation", .bool, default: true, "verify the feed's TLS certificate"),
        ConfigKey("ssl_ca_cert", .string, "PEM CA certificate used to verify the feed"),
        ConfigKey("ssl_client_cert", .string, "PEM client certificate presented to the feed"),
        ConfigKey("ssl_client_key", .string, secret: true, "PEM private key for the client certificate"),
        ConfigKey("proxy_host", .string, "proxy URL"),
        ConfigKey("proxy_port", .int, "proxy port"),
        ConfigKey("proxy_username", .string, "proxy user name"),
        ConfigKey("proxy_password", .string, secret: true, "proxy password"),
        ConfigKey("basic_auth_username", .string, "HTTP basic auth user name for the feed"),
        ConfigKey("basic_auth_password", .string, secret: true, "HTTP basic auth password for the feed"),
        ConfigKey("max_speed", .number, "download speed limit, bytes per second"),
        ConfigKey("max_downloads", .int, default: 5, "concurrent downloads"),
        ConfigKey("validate", .bool, default: true, "validate each downloaded unit's size and checksum (pulpform: on unless turned off)"),
        ConfigKey("remove_missing", .bool, default: false, "remove units that are gone from the feed"),
        ConfigKey("retain_old_count", .int, "old versions of each package to keep when remove_missing is set"),
        ConfigKey("download_policy", .string, default: "immediate", "immediate, background or on_demand"),
    ]

    public static let harnessImporter = PluginType(
        id: "harness_importer", kind: .importer, summary: "plugin test harness importer",
        keys: [
            ConfigKey("num_units", .string, default: "5", "number of units a sync adds"),
            ConfigKey("write_files", .string, default: "true", "\"true\" to write unit files"),
        ])

    public static let harnessDistributor = PluginType(
        id: "harness_distributor", kind: .distributor, summary: "plugin test harness distributor",
        keys: [
            ConfigKey("publish_dir", .string, "directory the publish writes to"),
            ConfigKey("write_files", .string, default: "true", "\"true\" to write files on publish"),
        ])

    public static let yumImporter = PluginType(
        id: "yum_importer", kind: .importer, summary: "RPM (yum) repository importer",
        keys: downloaderKeys + [
            ConfigKey("type_skip_list", .stringList, "content types not to sync: rpm, drpm, distribution, erratum (comps cannot be skipped)"),
            ConfigKey("skip", .stringList, "the 2.8 documentation's name for type_skip_list"),
            ConfigKey("read_timeout", .int, "seconds without data before a download fails (pulpform; default 27)"),
            ConfigKey("checksum_type", .string, "checksum type used for the synced metadata"),
            ConfigKey("num_retries", .int, default: 2, "retries of a failed download"),
            ConfigKey("query_auth_token", .string, secret: true, "authorization token appended to feed requests"),
            ConfigKey("require_signature", .bool, default: false, "reject unsigned packages"),
            ConfigKey("allowed_keys", .stringList, "GPG key ids packages may be signed with"),
        ])

    public static let isoImporter = PluginType(
        id: "iso_importer", kind: .importer, summary: "ISO (file) repository importer",
        keys: downloaderKeys)

    public static let dockerImporter = PluginType(
        id: "docker_importer", kind: .importer, summary: "Docker registry importer",
        keys: downloaderKeys + [
            ConfigKey("upstream_name", .string, "name of the repository in the upstream registry"),
            ConfigKey("enable_v1", .bool, default: false, "sync from the registry's v1 API"),
            ConfigKey("enable_v2", .bool, default: true, "sync from the registry's v2 API"),
            ConfigKey("tags", .stringList, "only these tags are synced"),
            ConfigKey("mask_id", .string, "image id whose ancestors are skipped"),
        ])

    public static let yumDistributor = PluginType(
        id: "yum_distributor", kind: .distributor, summary: "publishes a yum repository over HTTP(S)",
        keys: [
            ConfigKey("relative_url", .string, required: true, "path under the publish root"),
            ConfigKey("http", .bool, required: true, "serve over HTTP"),
            ConfigKey("https", .bool, required: true, "serve over HTTPS"),
            ConfigKey("auth_ca", .string, "CA certificate that client entitlement certificates must chain to"),
            ConfigKey("auth_cert", .string, "certificate bundle given to bound consumers"),
            ConfigKey("https_ca", .string, "CA certificate that signed the HTTPS server certificate"),
            ConfigKey("protected", .bool, default: false, "require an entitlement certificate"),
            ConfigKey("gpgkey", .string, "GPG public key published with the repository"),
            ConfigKey("use_createrepo", .bool, default: false, "generate metadata with createrepo"),
            ConfigKey("checksum_type", .string, "checksum type of the published metadata"),
            ConfigKey("skip", .stringList, "content types not to publish"),
            ConfigKey("generate_sqlite", .bool, default: false, "also publish sqlite metadata"),
            ConfigKey("repoview", .bool, default: false, "generate repoview HTML"),
            ConfigKey("force_full", .bool, default: false, "never publish incrementally"),
            ConfigKey("remove_old_repodata", .bool, default: true, "remove superseded metadata files"),
            ConfigKey("remove_old_repodata_threshold", .int, "age in seconds after which old metadata is removed"),
        ])

    public static let exportDistributor = PluginType(
        id: "export_distributor", kind: .distributor, summary: "exports a repository as ISO images or a directory",
        keys: [
            ConfigKey("http", .bool, required: true, "serve the export over HTTP"),
            ConfigKey("https", .bool, required: true, "serve the export over HTTPS"),
            ConfigKey("relative_url", .string, "path under the publish root"),
            ConfigKey("export_dir", .string, "write the export to this directory instead of ISO images"),
            ConfigKey("iso_prefix", .string, "file name prefix of the ISO images"),
            ConfigKey("iso_size", .int, "maximum ISO image size in MB"),
            ConfigKey("skip", .stringList, "content types not to export"),
            ConfigKey("start_date", .string, "export errata issued on or after this date"),
            ConfigKey("end_date", .string, "export errata issued on or before this date"),
            ConfigKey("create_pulp_manifest", .bool, default: false, "write a PULP_MANIFEST"),
            ConfigKey("checksum_type", .string, "checksum type of the exported metadata"),
        ])

    public static let isoDistributor = PluginType(
        id: "iso_distributor", kind: .distributor, summary: "publishes an ISO (file) repository",
        keys: [
            ConfigKey("serve_http", .bool, default: false, "serve over HTTP"),
            ConfigKey("serve_https", .bool, default: true, "serve over HTTPS"),
            ConfigKey("relative_url", .string, "path under the publish root"),
            ConfigKey("https_ca", .string, "CA certificate that signed the HTTPS server certificate"),
        ])

    public static let cdnDistributor = PluginType(
        id: "cdn_distributor", kind: .distributor, summary: "publishes a repository to a CDN path (RHUI)",
        keys: [
            ConfigKey("relative_url", .string, required: true, "path under the CDN root"),
            ConfigKey("http", .bool, default: false, "serve over HTTP"),
            ConfigKey("https", .bool, default: true, "serve over HTTPS"),
            ConfigKey("protected", .bool, default: true, "require an entitlement certificate"),
            ConfigKey("auth_ca", .string, "CA certificate that client entitlement certificates must chain to"),
            ConfigKey("checksum_type", .string, "checksum type of the published metadata"),
        ])

    public static let dockerDistributorWeb = PluginType(
        id: "docker_distributor_web", kind: .distributor, summary: "publishes a Docker repository for crane",
        keys: [
            ConfigKey("docker_publish_directory", .string, "directory the publish writes to"),
            ConfigKey("redirect-url", .string, "URL crane redirects clients to"),
            ConfigKey("repo-registry-id", .string, "name the repository has in the registry"),
            ConfigKey("protected", .bool, default: false, "require an entitlement certificate"),
        ])
}
