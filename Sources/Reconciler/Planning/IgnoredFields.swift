public import PulpModel

/// `ignore_changes:` on a repository: fields that another team or tool owns. They are set when the repository is
/// created, and afterwards left out of the canonical form on both sides, so they never produce an update, a
/// different fingerprint or drift.
///
/// Paths are the plan's: `display_name`, `description`, `notes.<key>`, `importer.config.<key>`,
/// `distributor.<id>.config.<key>` and `distributor.<id>.auto_publish`, with `*` and `?` globs (`notes.*`).
public enum IgnoredFields {
    /// Whether `path` is ignored by any of `patterns`.
    public static func matches(_ patterns: [String], _ path: String) -> Bool {
        patterns.contains { Glob.matches($0, path) }
    }

    /// The paths a pattern may name on this repository: the fixed fields, the config keys its importer and
    /// distributors' types know (declared or not: another tool may set one), and `auto_publish`. Any note key
    /// may be named, so `notes.` is checked apart.
    public static func candidates(_ repo: DesiredRepository, catalog: PluginCatalog) -> [String] {
        var out = ["display_name", "description"]
        if let imp = repo.importer {
            let keys = Set((catalog.importer(imp.type)?.keys.map(\.name) ?? []) + imp.config.keys)
            out += keys.sorted().map { "importer.config.\($0)" }
        }
        for d in repo.distributors {
            out.append("distributor.\(d.id).auto_publish")
            let keys = Set((catalog.distributor(d.type)?.keys.map(\.name) ?? []) + d.config.keys)
            out += keys.sorted().map { "distributor.\(d.id).config.\($0)" }
        }
        return out
    }

    /// Whether `pattern` names at least one field of `repo`.
    public static func namesAField(_ pattern: String, of repo: DesiredRepository, catalog: PluginCatalog) -> Bool {
        if pattern.hasPrefix("notes."), pattern.count > "notes.".count { return true }
        return candidates(repo, catalog: catalog).contains { matches([pattern], $0) }
    }
}

extension CanonRepository {
    /// The form without the fields `patterns` ignore, the same on the manifests' side and the target's.
    mutating func ignore(_ patterns: [String]) {
        guard !patterns.isEmpty else { return }
        if IgnoredFields.matches(patterns, "display_name") { displayName = "" }
        if IgnoredFields.matches(patterns, "description") { description = nil }
        notes = notes.filter { !IgnoredFields.matches(patterns, "notes.\($0.key)") }
        importerConfig = importerConfig.filter { !IgnoredFields.matches(patterns, "importer.config.\($0.key)") }
        for (id, var d) in distributors {
            d.config = d.config.filter { !IgnoredFields.matches(patterns, "distributor.\(id).config.\($0.key)") }
            if IgnoredFields.matches(patterns, "distributor.\(id).auto_publish") { d.autoPublish = false }
            distributors[id] = d
        }
    }
}
