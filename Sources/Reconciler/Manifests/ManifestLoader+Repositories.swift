import Foundation
import PulpModel

/// Repositories: importer, distributors, config checked against the catalog, schedules.
extension ManifestLoader {
    func decodeRepository(_ node: YAMLNode, reader: inout NodeReader) -> DesiredRepository? {
        guard let m = reader.mapping(node, allowed: Self.repositoryKeys, what: "a repository") else { return nil }
        guard let id = reader.string(m["id"], required: true, what: "id", at: node.mark) else { return nil }
        if id.utf8.count > IDRules.maximumLength {
            reader.error(m["id"]?.mark ?? node.mark, "repository id is longer than \(IDRules.maximumLength) characters")
        } else if !IDRules.isValidRepositoryId(id) {
            reader.error(m["id"]?.mark ?? node.mark,
                         "repository id \(ManifestLimits.shown(id)) may only contain letters, digits, '.', '-' and '_'")
        }
        var repo = DesiredRepository(
            id: id, displayName: reader.string(m["display_name"], what: "display_name"),
            description: reader.string(m["description"], what: "description"),
            notes: reader.object(m["notes"], what: "notes") ?? [:], importer: nil, distributors: [], syncSchedules: [],
            mark: node.mark)
        if let p = m["protect"], reader.bool(p, what: "protect") == true {
            repo.protect = true
            repo.protectMark = p.mark
        }
        for key in repo.notes.keys where OwnershipNotes.all.contains(key) || key.hasPrefix("pulpform_") {
            reader.error(m["notes"]?.mark ?? node.mark, "note \(key) is reserved for pulpform")
        }
        if let list = m["ignore_changes"], let items = reader.sequence(list, what: "ignore_changes") {
            for item in items {
                guard let path = reader.string(item, required: true, what: "an ignore_changes path"), !path.isEmpty else { continue }
                repo.ignoreChanges.append(path)
                repo.ignoreMarks.append(item.mark)
            }
        }
        if let imp = m["importer"] {
            repo.importer = decodeImporter(imp, reader: &reader)
        }
        if let list = m["distributors"], let items = reader.sequence(list, what: "distributors") {
            var seen: [String: SourceMark] = [:]
            for item in items {
                guard let d = decodeDistributor(item, reader: &reader) else { continue }
                if let first = seen[d.id] {
                    reader.error(d.mark, "distributor \(d.id) is declared twice in repository \(id) (first at \(first))")
                    continue
                }
                seen[d.id] = d.mark
                repo.distributors.append(d)
            }
        }
        if let list = m["sync_schedules"], let items = reader.sequence(list, what: "sync_schedules") {
            if repo.importer == nil {
                reader.error(list.mark, "sync_schedules need an importer")
            }
            repo.syncSchedules = items.compactMap { decodeSchedule($0, reader: &reader) }
        }
        return repo
    }

    func decodeImporter(_ node: YAMLNode, reader: inout NodeReader) -> DesiredImporter? {
        guard let m = reader.mapping(node, allowed: Self.importerKeys, what: "an importer") else { return nil }
        guard let type = reader.string(m["type"], required: true, what: "type", at: node.mark) else { return nil }
        guard let plugin = catalog.importer(type) else {
            reader.error(m["type"]?.mark ?? node.mark,
                         "unknown importer type \(ManifestLimits.shown(type))" + NodeReader.suggestion(type, catalog.importerIds))
            return nil
        }
        let config = decodeConfig(m["config"], plugin: plugin, reader: &reader)
        return DesiredImporter(type: type, config: config, mark: node.mark,
                               syncAfterCreate: reader.bool(m["sync_after_create"], what: "sync_after_create") ?? false)
    }

    func decodeDistributor(_ node: YAMLNode, reader: inout NodeReader) -> DesiredDistributor? {
        guard let m = reader.mapping(node, allowed: Self.distributorKeys, what: "a distributor") else { return nil }
        let id = reader.string(m["id"], required: true, what: "id", at: node.mark)
        let type = reader.string(m["type"], required: true, what: "type", at: node.mark)
        guard let id, let type else { return nil }
        if !IDRules.isValidDistributorId(id) {
            reader.error(m["id"]?.mark ?? node.mark, "distributor id \(ManifestLimits.shown(id)) may only contain letters, digits, '-' and '_'")
        }
        guard let plugin = catalog.distributor(type) else {
            reader.error(m["type"]?.mark ?? node.mark,
                         "unknown distributor type \(ManifestLimits.shown(type))" + NodeReader.suggestion(type, catalog.distributorIds))
            return nil
        }
        let config = decodeConfig(m["config"], plugin: plugin, reader: &reader)
        for key in plugin.keys where key.required && config[key.name] == nil {
            reader.error(m["config"]?.mark ?? node.mark, "\(type) needs config key \(key.name) (\(key.summary))")
        }
        var schedules: [DesiredSchedule] = []
        if let list = m["publish_schedules"], let items = reader.sequence(list, what: "publish_schedules") {
            schedules = items.compactMap { decodeSchedule($0, reader: &reader) }
        }
        return DesiredDistributor(id: id, type: type, autoPublish: reader.bool(m["auto_publish"], what: "auto_publish") ?? false,
                                  config: config, schedules: schedules, mark: node.mark)
    }

    /// Config keys and value types are checked against the catalog. `{env:}`/`{file:}` mark secrets.
    func decodeConfig(_ node: YAMLNode?, plugin: PluginType, reader: inout NodeReader) -> [String: ConfigValue] {
        guard let node else { return [:] }
        guard let entries = node.mapping else {
            reader.error(node.mark, "config must be a mapping, not \(node.kindName)")
            return [:]
        }
        var out: [String: ConfigValue] = [:]
        for (k, v) in entries {
            guard let name = k.scalarText else { continue }
            guard let key = plugin.key(name) else {
                reader.error(k.mark, "\(plugin.id) has no config key \(ManifestLimits.shown(name))" + NodeReader.suggestion(name, plugin.keys.map(\.name)))
                continue
            }
            if let secret = reader.secret(v) {
                if case .failure(let e) = secrets.resolve(secret) { reader.error(v.mark, e.message) }
                out[name] = .secret(secret)
                continue
            }
            let value = v.value
            if value.isNull {
                reader.error(v.mark, "config key \(name) is null; leave it out instead")
                continue
            }
            if !key.type.accepts(value) {
                var hint = ""
                if key.type == .string, v.scalarText != nil { hint = "; quote it" }
                reader.error(v.mark, "config key \(name) must be \(Self.typeName(key.type)), not \(v.kindName)\(hint)")
                continue
            }
            if key.secret {
                reader.error(v.mark, "config key \(name) is a secret: give it as {env: NAME} or {file: PATH}, not inline")
                continue
            }
            out[name] = .plain(value)
        }
        return out
    }

    static func typeName(_ t: ConfigValueType) -> String {
        switch t {
        case .string: return "a string"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .number: return "a number"
        case .stringList: return "a list of strings"
        case .object: return "a mapping"
        case .any: return "any value"
        }
    }

    func decodeSchedule(_ node: YAMLNode, reader: inout NodeReader) -> DesiredSchedule? {
        guard let m = reader.mapping(node, allowed: Self.scheduleKeys, what: "a schedule") else { return nil }
        guard let text = reader.schedule(m["schedule"], at: node.mark) else { return nil }
        return DesiredSchedule(schedule: text, enabled: reader.bool(m["enabled"], what: "enabled") ?? true,
                               failureThreshold: reader.positiveInt(m["failure_threshold"], what: "failure_threshold"),
                               overrideConfig: reader.object(m["override_config"], what: "override_config") ?? [:],
                               mark: node.mark)
    }
}
