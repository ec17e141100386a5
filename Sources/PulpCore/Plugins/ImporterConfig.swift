import PulpContent
import PulpModel

/// The yum_importer's and iso_importer's config (the same downloader keys), read and checked as `validate_config` does: every problem collected into one
/// `Configuration errors:` message.
struct ImporterConfig {
    var feed: String?
    var fetch = FetchOptions()
    var maxDownloads = 5
    var validate = true
    var removeMissing = false
    var retainOldCount: Int?
    var skip: Set<String> = []
    /// `immediate` (the default), `background` or `on_demand`.
    var downloadPolicy = "immediate"
    /// Whether package files wait for a client, or a `download_repo` task (background, on_demand).
    var defersDownloads: Bool { downloadPolicy != "immediate" }

    init(_ c: JSONObject) throws {
        var errors: [String] = []
        func string(_ k: String) -> String? {
            guard let v = c[k], v != .null else { return nil }
            if let s = v.stringValue { return s }
            errors.append("The configuration parameter <\(k)> must be a string.")
            return nil
        }
        func bool(_ k: String) -> Bool? {
            guard let v = c[k], v != .null else { return nil }
            if case .bool(let b) = v { return b }
            if let s = v.stringValue?.lowercased(), ["true", "false"].contains(s) { return s == "true" }
            errors.append("The configuration parameter <\(k)> may only be set to a boolean value")
            return nil
        }
        func int(_ k: String, min: Int) -> Int? {
            guard let v = c[k], v != .null else { return nil }
            let n: Int? = v.intValue ?? v.stringValue.flatMap { Int($0) }
            guard let n, n >= min else {
                errors.append("The configuration parameter <\(k)> must be set to a positive integer, but is currently set to <\(v.stringValue ?? v.serialized())>")
                return nil
            }
            return n
        }
        if var f = string("feed"), !f.isEmpty {
            if !f.hasSuffix("/") { f += "/" }
            if !(f.hasPrefix("http://") || f.hasPrefix("https://") || f.hasPrefix("file://")) {
                errors.append("The configuration parameter <feed> must be an http, https or file URL")
            }
            feed = f
        }
        fetch.caCertificatePEM = string("ssl_ca_cert")
        fetch.clientCertificatePEM = string("ssl_client_cert")
        fetch.clientKeyPEM = string("ssl_client_key")
        if fetch.clientKeyPEM != nil && fetch.clientCertificatePEM == nil {
            errors.append("The configuration parameter <ssl_client_key> requires the <ssl_client_cert> parameter to also be set")
        }
        fetch.validateTLS = bool("ssl_validation") ?? true
        fetch.proxyHost = string("proxy_host")
        fetch.proxyPort = int("proxy_port", min: 1)
        fetch.proxyUsername = string("proxy_username")
        fetch.proxyPassword = string("proxy_password")
        if fetch.proxyHost == nil {
            for k in ["proxy_port", "proxy_username", "proxy_password"] where c[k] != nil && c[k] != .null {
                errors.append("The configuration parameter <\(k)> requires the <proxy_host> parameter to also be set")
            }
        }
        if (fetch.proxyUsername == nil) != (fetch.proxyPassword == nil) {
            errors.append(fetch.proxyUsername == nil
                ? "The configuration parameter <proxy_password> requires the <proxy_username> parameter to also be set"
                : "The configuration parameter <proxy_username> requires the <proxy_password> parameter to also be set")
        }
        fetch.basicAuthUsername = string("basic_auth_username")
        fetch.basicAuthPassword = string("basic_auth_password")
        if (fetch.basicAuthUsername == nil) != (fetch.basicAuthPassword == nil) {
            errors.append(fetch.basicAuthUsername == nil
                ? "The configuration parameter <basic_auth_password> requires the <basic_auth_username> parameter to also be set"
                : "The configuration parameter <basic_auth_username> requires the <basic_auth_password> parameter to also be set")
        }
        if let v = c["max_speed"], v != .null {
            let d: Double? = v.numberValue ?? v.stringValue.flatMap { Double($0) }
            if let d, d > 0 { fetch.maxSpeed = d } else {
                errors.append("The configuration parameter <max_speed> must be set to a positive numerical value")
            }
        }
        if let n = int("num_retries", min: 0) { fetch.retries = n }
        maxDownloads = int("max_downloads", min: 1) ?? 5
        validate = bool("validate") ?? true
        removeMissing = bool("remove_missing") ?? false
        retainOldCount = int("retain_old_count", min: 0)
        if let v = c["type_skip_list"] ?? c["skip"], v != .null {
            if let list = v.arrayValue, list.allSatisfy({ $0.stringValue != nil }) {
                skip = Set(list.compactMap(\.stringValue))
            } else {
                errors.append("The configuration parameter <type_skip_list> must be a list of type ids")
            }
        }
        if let timeout = c["read_timeout"]?.intValue ?? c["read_timeout"]?.stringValue.flatMap({ Int($0) }), timeout > 0 {
            fetch.readTimeout = .seconds(timeout)
        }
        if let policy = string("download_policy") {
            if ["immediate", "background", "on_demand"].contains(policy) { downloadPolicy = policy } else {
                errors.append("The configuration parameter <download_policy> must be one of immediate, background or on_demand, but is currently set to <\(policy)>")
            }
        }
        if !errors.isEmpty { throw PulpError.importerConfiguration(errors) }
    }
}
