/// Whether a plugin type imports (syncs) or distributes (publishes).
public enum PluginKind: String, Sendable, Codable {
    case importer
    case distributor
}

/// The JSON type a config value must have.
public enum ConfigValueType: String, Sendable, Codable {
    case string
    case bool
    case int
    /// An int or a float.
    case number
    /// A list of strings.
    case stringList = "list"
    case object
    /// Anything.
    case any

    public func accepts(_ v: JSONValue) -> Bool {
        switch (self, v) {
        case (.any, _), (_, .null): return true
        case (.string, .string), (.bool, .bool), (.int, .int), (.number, .int), (.number, .double),
             (.object, .object):
            return true
        case (.stringList, .array(let a)): return a.allSatisfy { $0.stringValue != nil }
        default: return false
        }
    }
}

/// One key of a plugin's config.
public struct ConfigKey: Sendable, Hashable {
    public var name: String
    public var type: ConfigValueType
    /// The value the plugin uses when the key is absent. Used to compare configs in canonical form.
    public var defaultValue: JSONValue?
    /// Secret keys are masked in importer representations and never printed.
    public var secret: Bool
    public var required: Bool
    public var summary: String

    public init(_ name: String, _ type: ConfigValueType, default defaultValue: JSONValue? = nil, secret: Bool = false,
                required: Bool = false, _ summary: String)
    {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.secret = secret
        self.required = required
        self.summary = summary
    }
}

/// An importer or distributor type the product knows.
public struct PluginType: Sendable, Hashable {
    public var id: String
    public var kind: PluginKind
    public var summary: String
    public var keys: [ConfigKey] {
        didSet { index = PluginType.index(keys) }
    }
    /// Key positions by name (lookups run for every config value of every manifest).
    private var index: [String: Int]

    public init(id: String, kind: PluginKind, summary: String, keys: [ConfigKey])
    {
        self.id = id
        self.kind = kind
        self.summary = summary
        self.keys = keys
        index = PluginType.index(keys)
    }

    static func index(_ keys: [ConfigKey]) -> [String: Int] {
        Dictionary(keys.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func key(_ name: String) -> ConfigKey? { index[name].map { keys[$0] } }

    public var secretKeys: Set<String> { Set(keys.filter(\.secret).map(\.name)) }
}

/// The plugin types, as data: adding a type means adding an entry, not touching the operations.
public struct PluginCatalog: Sendable, Hashable {
    public private(set) var types: [String: PluginType]

    public init(_ types: [PluginType]) {
        var dict: [String: PluginType] = [:]
        for t in types { dict[t.id] = t }
        self.types = dict
    }

    public func importer(_ id: String) -> PluginType? {
        guard let t = types[id], t.kind == .importer else { return nil }
        return t
    }

    public func distributor(_ id: String) -> PluginType? {
        guard let t = types[id], t.kind == .distributor else { return nil }
        return t
    }

    /// Keys masked in every importer representation: Pulp's two mask fields plus what the catalog marks.
    public func importerMaskedKeys(_ typeId: String) -> Set<String> {
        PluginCatalog.alwaysMasked.union(importer(typeId)?.secretKeys ?? [])
    }

    /// `ImporterSerializer.Meta.mask_fields`.
    public static let alwaysMasked: Set<String> = ["basic_auth_password", "proxy_password"]

    public mutating func add(_ type: PluginType) { types[type.id] = type }

    public var importerIds: [String] { types.values.filter { $0.kind == .importer }.map(\.id).sorted() }
    public var distributorIds: [String] { types.values.filter { $0.kind == .distributor }.map(\.id).sorted() }
}
