import CYAML
import Foundation
import PulpModel

/// Decodes manifest files straight from libyaml events into `DesiredRepository` values, with no node tree:
/// the fast path for large estates.
///
/// It takes the common shape only: documents of `repositories` (and `consumers`, built as small trees), without
/// `defaults`, `matrix`, anchors, aliases, tags or merge keys, and without a single problem. On anything else
/// it gives up (`nil`) and `ManifestLoader` reads the file with the tree decoder, so both paths give the same
/// manifest and the tree decoder alone writes diagnostics.
struct StreamingDecoder {
    /// Why the fast path gave up (only for tests and tracing; the tree decoder says what is wrong).
    struct Bail: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    let file: String
    let catalog: PluginCatalog
    let secrets: SecretResolver
    let loader: ManifestLoader

    var repositories: [DesiredRepository] = []
    var consumers: [DesiredConsumer] = []
    var users: [DesiredUser] = []
    var roles: [DesiredRole] = []
    /// Schedules already checked with the server's parser: an estate repeats a few intervals many times.
    let checkedSchedules = ScheduleCache()

    final class ScheduleCache {
        var valid: Set<String> = []

        func isValid(_ text: String) -> Bool {
            if valid.contains(text) { return true }
            guard (try? ISOInterval.parse(text)) != nil else { return false }
            valid.insert(text)
            return true
        }
    }

    /// Decodes the file's bytes, or gives up.
    /// Repositories already handed to the background fingerprinter.
    var handedOff = 0
    var background: BackgroundFingerprints?

    static func decode(_ bytes: [UInt8], file: String, loader: ManifestLoader,
                       background: BackgroundFingerprints? = nil) -> Result<StreamingDecoder, Bail> {
        var decoder = StreamingDecoder(file: file, catalog: loader.catalog, secrets: loader.secrets, loader: loader)
        decoder.background = background
        var failure: Bail?
        bytes.withUnsafeBufferPointer { buffer in
            var events = EventStream(buffer)
            defer { events.close() }
            do throws(Bail) {
                try decoder.stream(&events)
            } catch {
                failure = error
            }
        }
        if let failure { return .failure(failure) }
        return .success(decoder)
    }

    // MARK: - Structure

    mutating func stream(_ events: inout EventStream) throws(Bail) {
        try events.expect(YAML_STREAM_START_EVENT)
        while true {
            try events.next()
            switch events.type {
            case YAML_STREAM_END_EVENT: return
            case YAML_DOCUMENT_START_EVENT: try document(&events)
            default: throw Bail("unexpected event")
            }
        }
    }

    mutating func document(_ events: inout EventStream) throws(Bail) {
        try events.next()
        switch events.type {
        case YAML_SCALAR_EVENT:
            // An empty document.
            guard events.isPlainUntagged, YAMLNode.resolvePlain(events.text) == .null else { throw Bail("a scalar document") }
        case YAML_MAPPING_START_EVENT:
            try events.plainCollection()
            var seen = Set<String>()
            while try events.nextKey() {
                let key = events.text
                guard seen.insert(key).inserted else { throw Bail("duplicate key") }
                switch key {
                case "repositories":
                    try events.next()
                    guard events.type == YAML_SEQUENCE_START_EVENT else { throw Bail("repositories is not a list") }
                    try repositoryItems(&events)
                case "consumers", "users", "roles":
                    // Few and small: built as a tree and read by the tree decoder.
                    let node = try events.subtree(file: file)
                    var reader = NodeReader()
                    guard let items = node.sequence else { throw Bail("\(key) is not a list") }
                    for item in items {
                        switch key {
                        case "consumers": if let c = loader.decodeConsumer(item, reader: &reader) { consumers.append(c) }
                        case "users": if let u = loader.decodeUser(item, reader: &reader) { users.append(u) }
                        default: if let r = loader.decodeRole(item, reader: &reader) { roles.append(r) }
                        }
                    }
                    guard reader.diagnostics.isEmpty else { throw Bail("\(key) have problems") }
                default:
                    throw Bail("document key \(key)")
                }
            }
        default:
            throw Bail("the document is not a mapping")
        }
        try events.expect(YAML_DOCUMENT_END_EVENT)
    }

    /// The items of an open `repositories` sequence, up to its end.
    mutating func repositoryItems(_ events: inout EventStream) throws(Bail) {
        try events.plainCollection()
        while true {
            try events.next()
            if events.type == YAML_SEQUENCE_END_EVENT { break }
            guard events.type == YAML_MAPPING_START_EVENT else { throw Bail("a repository is not a mapping") }
            repositories.append(try repository(&events))
            if let background, repositories.count - handedOff >= BackgroundFingerprints.batch {
                background.add(repositories[handedOff...])
                handedOff = repositories.count
            }
        }
    }

    /// Decodes one piece of a `repositories` list cut by `ManifestPieces`: a block sequence of repositories and
    /// nothing else, whose first line is line `lineOffset + 1` of the file.
    static func decodePiece(_ buffer: UnsafeBufferPointer<UInt8>, lineOffset: Int, file: String,
                            loader: ManifestLoader) -> Result<[DesiredRepository], Bail> {
        var decoder = StreamingDecoder(file: file, catalog: loader.catalog, secrets: loader.secrets, loader: loader)
        var events = EventStream(buffer)
        events.lineOffset = lineOffset
        events.depth = 1
        defer { events.close() }
        do throws(Bail) {
            try events.expect(YAML_STREAM_START_EVENT)
            try events.expect(YAML_DOCUMENT_START_EVENT)
            try events.expect(YAML_SEQUENCE_START_EVENT)
            try decoder.repositoryItems(&events)
            try events.expect(YAML_DOCUMENT_END_EVENT)
            try events.expect(YAML_STREAM_END_EVENT)
        } catch {
            return .failure(error)
        }
        return .success(decoder.repositories)
    }

    // MARK: - Repositories

    // The keys each mapping may hold, in the order the decoders below switch over them.
    static let repositoryKeys: [StaticString] = ["id", "display_name", "description", "notes", "importer", "distributors",
                                                 "sync_schedules", "protect"]
    static let importerKeys: [StaticString] = ["type", "config", "sync_after_create"]
    static let distributorKeys: [StaticString] = ["id", "type", "auto_publish", "config", "publish_schedules"]
    static let scheduleKeys: [StaticString] = ["schedule", "enabled", "failure_threshold", "override_config"]

    mutating func repository(_ events: inout EventStream) throws(Bail) -> DesiredRepository {
        try events.plainCollection()
        let mark = events.mark(file)
        var id: String?
        var displayName: String?
        var description: String?
        var notes: JSONObject = [:]
        var importer: DesiredImporter?
        var distributors: [DesiredDistributor] = []
        var syncSchedules: [DesiredSchedule]?
        var protectMark: SourceMark?
        var seen: UInt32 = 0
        while let key = try events.nextKey(of: Self.repositoryKeys, seen: &seen) {
            switch key {
            case 0: id = try events.optionalString()
            case 1: displayName = try events.optionalString()
            case 2: description = try events.optionalString()
            case 3: notes = try events.optionalObject() ?? [:]
            case 4: importer = try self.importer(&events)
            case 5: distributors = try self.distributors(&events)
            case 6: syncSchedules = try schedules(&events)
            default: if try events.bool() { protectMark = events.mark(file) }
            }
        }
        guard let id, IDRules.isValidRepositoryId(id) else { throw Bail("repository id") }
        for key in notes.keys where OwnershipNotes.all.contains(key) || key.hasPrefix("pulpform_") { throw Bail("reserved note") }
        if syncSchedules != nil, importer == nil { throw Bail("sync schedules without an importer") }
        return DesiredRepository(id: id, displayName: displayName, description: description, notes: notes, importer: importer,
                                 distributors: distributors, syncSchedules: syncSchedules ?? [], mark: mark, protect: protectMark != nil,
                                 protectMark: protectMark)
    }

    func importer(_ events: inout EventStream) throws(Bail) -> DesiredImporter {
        try events.next()
        guard events.type == YAML_MAPPING_START_EVENT else { throw Bail("the importer is not a mapping") }
        try events.plainCollection()
        let mark = events.mark(file)
        var type: String?
        var config: ConfigEvents?
        var syncAfterCreate = false
        var seen: UInt32 = 0
        while let key = try events.nextKey(of: Self.importerKeys, seen: &seen) {
            switch key {
            case 0: type = try events.optionalString()
            case 1: config = try configEntries(&events)
            default: syncAfterCreate = try events.bool()
            }
        }
        guard let type, let plugin = catalog.importer(type) else { throw Bail("importer type") }
        return DesiredImporter(type: type, config: try self.config(config, plugin: plugin), mark: mark, syncAfterCreate: syncAfterCreate)
    }

    func distributors(_ events: inout EventStream) throws(Bail) -> [DesiredDistributor] {
        try events.next()
        guard events.type == YAML_SEQUENCE_START_EVENT else { throw Bail("distributors is not a list") }
        try events.plainCollection()
        var out: [DesiredDistributor] = []
        while true {
            try events.next()
            if events.type == YAML_SEQUENCE_END_EVENT { break }
            guard events.type == YAML_MAPPING_START_EVENT else { throw Bail("a distributor is not a mapping") }
            try events.plainCollection()
            let mark = events.mark(file)
            var id: String?
            var type: String?
            var autoPublish: Bool?
            var config: ConfigEvents?
            var schedules: [DesiredSchedule]?
            var seen: UInt32 = 0
            while let key = try events.nextKey(of: Self.distributorKeys, seen: &seen) {
                switch key {
                case 0: id = try events.optionalString()
                case 1: type = try events.optionalString()
                case 2: autoPublish = try events.bool()
                case 3: config = try configEntries(&events)
                default: schedules = try self.schedules(&events)
                }
            }
            guard let id, IDRules.isValidDistributorId(id), let type, let plugin = catalog.distributor(type) else {
                throw Bail("distributor id or type")
            }
            guard !out.contains(where: { $0.id == id }) else { throw Bail("distributor declared twice") }
            let values = try self.config(config, plugin: plugin)
            for key in plugin.keys where key.required && values[key.name] == nil { throw Bail("required config key") }
            out.append(DesiredDistributor(id: id, type: type, autoPublish: autoPublish ?? false, config: values,
                                          schedules: schedules ?? [], mark: mark))
        }
        return out
    }

    func schedules(_ events: inout EventStream) throws(Bail) -> [DesiredSchedule] {
        try events.next()
        guard events.type == YAML_SEQUENCE_START_EVENT else { throw Bail("schedules are not a list") }
        try events.plainCollection()
        var out: [DesiredSchedule] = []
        while true {
            try events.next()
            if events.type == YAML_SEQUENCE_END_EVENT { break }
            guard events.type == YAML_MAPPING_START_EVENT else { throw Bail("a schedule is not a mapping") }
            try events.plainCollection()
            let mark = events.mark(file)
            var text: String?
            var enabled: Bool?
            var threshold: Int??
            var overrides: JSONObject??
            var seen: UInt32 = 0
            while let key = try events.nextKey(of: Self.scheduleKeys, seen: &seen) {
                switch key {
                case 0:
                    try events.next()
                    guard events.type == YAML_SCALAR_EVENT, events.isUntagged else { throw Bail("schedule") }
                    let t = events.text
                    guard !events.isPlain || YAMLNode.resolvePlain(t).stringValue != nil else { throw Bail("schedule type") }
                    text = t
                case 1:
                    enabled = try events.bool()
                case 2:
                    try events.next()
                    guard events.type == YAML_SCALAR_EVENT, events.isPlainUntagged else { throw Bail("failure_threshold") }
                    switch YAMLNode.resolvePlain(events.text) {
                    case .null: threshold = .some(nil)
                    case .int(let n) where n > 0: threshold = .some(n)
                    default: throw Bail("failure_threshold")
                    }
                default:
                    overrides = .some(try events.optionalObject())
                }
            }
            guard let text, checkedSchedules.isValid(text) else { throw Bail("schedule") }
            out.append(DesiredSchedule(schedule: text, enabled: enabled ?? true, failureThreshold: threshold ?? nil,
                                       overrideConfig: (overrides ?? nil) ?? [:], mark: mark))
        }
        return out
    }

    // MARK: - Config

    /// A config's entries as read: a value, or a `{env:}`/`{file:}` reference with the directory it is relative to.
    typealias ConfigEvents = [(key: String, value: ConfigValue)]

    func configEntries(_ events: inout EventStream) throws(Bail) -> ConfigEvents {
        try events.next()
        guard events.type == YAML_MAPPING_START_EVENT else { throw Bail("config is not a mapping") }
        try events.plainCollection()
        var out: ConfigEvents = []
        while try events.nextKey() {
            let key = events.text
            try events.next()
            if events.type == YAML_MAPPING_START_EVENT {
                try events.plainCollection()
                // `{env: NAME}` or `{file: PATH}`: a one-entry mapping whose key is env or file.
                guard try events.nextKey() else {
                    out.append((key, .plain(.object([:]))))
                    continue
                }
                let first = events.text
                if first == "env" || first == "file" {
                    try events.next()
                    guard events.type == YAML_SCALAR_EVENT, events.isUntagged, !events.text.isEmpty else { throw Bail("secret") }
                    let name = events.text
                    guard try !events.nextKey() else { throw Bail("a secret mapping with more keys") }
                    if first == "env" {
                        out.append((key, .secret(.env(name))))
                    } else if name.hasPrefix("/") {
                        out.append((key, .secret(.file(name))))
                    } else {
                        let dir = (file as NSString).deletingLastPathComponent
                        out.append((key, .secret(.file(dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)))))
                    }
                    continue
                }
                var object = JSONObject()
                object[first] = try events.value()
                while try events.nextKey() {
                    let k = events.text
                    guard object[k] == nil else { throw Bail("duplicate key") }
                    object[k] = try events.value()
                }
                out.append((key, .plain(.object(object))))
            } else {
                out.append((key, .plain(try events.currentValue())))
            }
        }
        return out
    }

    /// Checks the entries against the plugin's keys, as `ManifestLoader.decodeConfig` does.
    func config(_ entries: ConfigEvents?, plugin: PluginType) throws(Bail) -> [String: ConfigValue] {
        guard let entries else { return [:] }
        var out: [String: ConfigValue] = Dictionary(minimumCapacity: entries.count)
        for (name, value) in entries {
            guard out[name] == nil else { throw Bail("duplicate config key") }
            guard let key = plugin.key(name) else { throw Bail("unknown config key") }
            switch value {
            case .secret(let source):
                guard case .success = secrets.resolve(source) else { throw Bail("unresolvable secret") }
            case .plain(let v):
                guard !v.isNull, key.type.accepts(v), !key.secret else { throw Bail("config value") }
            }
            out[name] = value
        }
        return out
    }
}
