import PulpContract
public import PulpModel

/// Writes manifests from a target's state (`pulpform import`).
///
/// Secrets become `{env: NAME}` references: the values are never written. `environment` lists the
/// variables to set, with the secret each stands for.
public struct ManifestWriter: Sendable {
    public var catalog: PluginCatalog

    public init(catalog: PluginCatalog = .builtin) { self.catalog = catalog }

    public struct Output: Sendable {
        public var yaml: String
        /// Environment variable → what it must hold (never the value itself).
        public var environment: [(name: String, secret: String)]
    }

    /// `PULPFORM_<REPO>_<PLUGIN>_<KEY>`, upper case, anything else `_`.
    static func envName(_ parts: [String]) -> String {
        let raw = (["PULPFORM"] + parts).joined(separator: "_").uppercased()
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    public func write(_ state: ActualState, repositories ids: Set<String>? = nil) -> Output {
        var y = YAMLWriter()
        var env: [(String, String)] = []
        y.line("# Written by pulpform import. Secrets are {env: ...} references: set them before planning.")
        let repos = state.repositories.filter { ids == nil || ids?.contains($0.repository.id) == true }
        if !repos.isEmpty {
            y.line("repositories:")
            for d in repos {
                let r = d.repository
                y.item(1, "id", .string(r.id))
                if r.displayName != r.id { y.field(2, "display_name", .string(r.displayName)) }
                if let desc = r.description { y.field(2, "description", .string(desc)) }
                let notes = Planner.userNotes(r.notes)
                if !notes.isEmpty { y.field(2, "notes", .object(notes)) }
                if let imp = d.importers?.first {
                    y.key(2, "importer")
                    y.field(3, "type", .string(imp.typeId))
                    let (config, vars) = secretsToEnv(imp.config, secretKeys: catalog.importerMaskedKeys(imp.typeId), repo: r.id, plugin: nil)
                    env += vars
                    if !config.isEmpty { y.config(3, config) }
                    let sync = state.syncSchedules[r.id] ?? []
                    if !sync.isEmpty {
                        y.key(2, "sync_schedules")
                        for s in sync { y.schedule(3, s) }
                    }
                }
                if let dists = d.distributors, !dists.isEmpty {
                    y.key(2, "distributors")
                    for dist in dists {
                        y.item(3, "id", .string(dist.id))
                        y.field(4, "type", .string(dist.typeId))
                        if dist.autoPublish { y.field(4, "auto_publish", true) }
                        let (config, vars) = secretsToEnv(dist.config, secretKeys: catalog.distributor(dist.typeId)?.secretKeys ?? [],
                                                          repo: r.id, plugin: dist.id)
                        env += vars
                        if !config.isEmpty { y.config(4, config) }
                        let publish = state.publishSchedules[r.id]?[dist.id] ?? []
                        if !publish.isEmpty {
                            y.key(4, "publish_schedules")
                            for s in publish { y.schedule(5, s) }
                        }
                    }
                }
            }
        }
        if ids == nil, !state.consumers.isEmpty {
            y.line("consumers:")
            for c in state.consumers {
                y.item(1, "id", .string(c.id))
                if c.displayName != c.id { y.field(2, "display_name", .string(c.displayName)) }
                if let desc = c.description { y.field(2, "description", .string(desc)) }
                let notes = Planner.userNotes(c.notes)
                if !notes.isEmpty { y.field(2, "notes", .object(notes)) }
                let schedules = state.consumerSchedules[c.id] ?? []
                if !schedules.isEmpty {
                    y.key(2, "schedules")
                    for action in [ScheduleKind.install, .update, .uninstall] {
                        let these = schedules.filter { $0.kind == action }
                        guard !these.isEmpty else { continue }
                        y.key(3, action.rawValue)
                        for s in these { y.schedule(4, s) }
                    }
                }
            }
        }
        if ids == nil, state.accessRead { writeAccess(state, into: &y) }
        return Output(yaml: y.text, environment: env)
    }

    /// Users (never a password: the written users keep theirs) and roles; `super-users` with its members alone.
    func writeAccess(_ state: ActualState, into y: inout YAMLWriter) {
        if !state.users.isEmpty {
            y.line("users:")
            for u in state.users.sorted(by: { $0.login < $1.login }) {
                y.item(1, "login", .string(u.login))
                if u.name != u.login { y.field(2, "name", .string(u.name)) }
            }
        }
        // An empty super-users (an embedded store nobody serves) is the default, not a declaration.
        let roles = state.roles.filter { $0.id != AccessRules.superUsersRole || !$0.users.isEmpty }
        if !roles.isEmpty {
            y.line("roles:")
            for r in roles.sorted(by: { $0.id < $1.id }) {
                y.item(1, "id", .string(r.id))
                if r.id != AccessRules.superUsersRole {
                    if r.displayName != r.id { y.field(2, "display_name", .string(r.displayName)) }
                    if let d = r.description { y.field(2, "description", .string(d)) }
                    let granted = r.permissions.filter { !$0.value.isEmpty }
                    if !granted.isEmpty {
                        y.key(2, "permissions")
                        for (resource, ops) in granted.sorted(by: { $0.key < $1.key }) {
                            y.field(3, resource, .array(ops.map { .string($0.lowercased()) }))
                        }
                    }
                }
                y.field(2, "members", .array(r.users.sorted().map(JSONValue.string)))
            }
        }
    }

    /// Replaces secret values with `{env: NAME}` (a marker object the writer recognises).
    func secretsToEnv(_ config: JSONObject, secretKeys: Set<String>, repo: String, plugin: String?) -> (JSONObject, [(String, String)]) {
        var out = config
        var vars: [(String, String)] = []
        for k in config.keys.sorted() where secretKeys.contains(k) && !(config[k]?.isNull ?? true) {
            let name = Self.envName([repo] + (plugin.map { [$0] } ?? []) + [k])
            out[k] = [YAMLWriter.envMarker: .string(name)]
            vars.append((name, "\(k) of \(plugin.map { "distributor \($0)" } ?? "the importer") of repository \(repo)"))
        }
        return (out, vars)
    }
}

/// A small YAML emitter: block mappings and lists for structure; JSON for scalars and nested values, which
/// YAML reads as double-quoted scalars and flow collections.
struct YAMLWriter {
    static let envMarker = "$pulpform_env"
    var text = ""

    mutating func line(_ s: String) { text += s + "\n" }

    static func pad(_ level: Int) -> String { String(repeating: "  ", count: level) }

    static func key(_ k: String) -> String {
        let plain = !k.isEmpty && k.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
            && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(k.lowercased()) && !(k.first?.isNumber ?? false)
        return plain ? k : JSONValue.string(k).serialized()
    }

    static func value(_ v: JSONValue) -> String {
        if case .object(let o) = v, o.count == 1, let name = o[envMarker]?.stringValue { return "{env: \(name)}" }
        return v.serialized()
    }

    mutating func key(_ level: Int, _ k: String) { line(Self.pad(level) + Self.key(k) + ":") }

    mutating func field(_ level: Int, _ k: String, _ v: JSONValue) { line(Self.pad(level) + Self.key(k) + ": " + Self.value(v)) }

    /// The first field of a list item: `- key: value`.
    mutating func item(_ level: Int, _ k: String, _ v: JSONValue) {
        line(Self.pad(level) + "- " + Self.key(k) + ": " + Self.value(v))
    }

    mutating func config(_ level: Int, _ config: JSONObject) {
        key(level, "config")
        for k in config.keys.sorted() { field(level + 1, k, config[k] ?? .null) }
    }

    mutating func schedule(_ level: Int, _ s: Schedule) {
        item(level, "schedule", .string(s.schedule))
        if !s.enabled { field(level + 1, "enabled", false) }
        if let t = s.failureThreshold { field(level + 1, "failure_threshold", .int(t)) }
        if s.kind.isConsumerContent {
            field(level + 1, "units", s.kwargs["units"] ?? [])
            if let o = s.kwargs["options"]?.objectValue, !o.isEmpty { field(level + 1, "options", .object(o)) }
        } else if let o = s.kwargs["overrides"]?.objectValue, !o.isEmpty {
            field(level + 1, "override_config", .object(o))
        }
    }
}
