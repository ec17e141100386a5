/// Pulp's unit association criteria (`UnitAssociationCriteria.from_client_input`, pulp2-content.md §4.1): the
/// criteria of `POST /repositories/<id>/search/units/`, and of copy and remove.
public struct UnitAssociationCriteria: Sendable, Hashable {
    /// Nil: every type.
    public var typeIds: [String]?
    public var unitFilters: JSONObject = [:]
    public var associationFilters: JSONObject = [:]
    public var unitSort: [SearchCriteria.SortKey] = []
    public var associationSort: [SearchCriteria.SortKey] = []
    public var unitFields: [String]?
    public var associationFields: [String]?
    public var limit: Int?
    public var skip = 0
    public var removeDuplicates = false

    public init(typeIds: [String]? = nil) { self.typeIds = typeIds }

    static let keys: Set<String> = ["type_ids", "filters", "sort", "fields", "limit", "skip", "remove_duplicates"]
    static let sides: Set<String> = ["unit", "association"]

    /// The `criteria` object. An unknown key, or a value of the wrong shape, is InvalidValue naming it.
    public static func parse(_ value: JSONValue) throws(PulpError) -> UnitAssociationCriteria {
        guard case .object(let o) = value else { throw .invalidValue(["criteria"]) }
        let unknown = o.keys.filter { !keys.contains($0) }.sorted()
        if !unknown.isEmpty { throw .invalidValue(unknown) }
        var c = UnitAssociationCriteria()
        switch o["type_ids"] {
        case nil, .null?: break
        case .array(let a)?:
            let ids = a.compactMap(\.stringValue)
            guard ids.count == a.count else { throw .invalidValue(["type_ids"]) }
            c.typeIds = ids
        default: throw .invalidValue(["type_ids"])
        }
        func sides(_ name: String) throws(PulpError) -> JSONObject {
            switch o[name] {
            case nil, .null?: return [:]
            case .object(let s)?:
                guard s.keys.allSatisfy(Self.sides.contains) else { throw .invalidValue([name]) }
                return s
            default: throw .invalidValue([name])
            }
        }
        let filters = try sides("filters")
        for (side, v) in filters {
            guard case .object(let f) = v else { throw .invalidValue(["filters"]) }
            if side == "unit" { c.unitFilters = f } else { c.associationFilters = f }
        }
        let sort = try sides("sort")
        for (side, v) in sort where !v.isNull {
            let keys = try SearchCriteria.parseSort(v)
            if side == "unit" { c.unitSort = keys } else { c.associationSort = keys }
        }
        let fields = try sides("fields")
        for (side, v) in fields where !v.isNull {
            guard case .array(let a) = v else { throw .invalidValue(["fields"]) }
            let names = a.compactMap(\.stringValue)
            guard names.count == a.count else { throw .invalidValue(["fields"]) }
            if side == "unit" { c.unitFields = names } else { c.associationFields = names }
        }
        if let l = o["limit"], !l.isNull { c.limit = try SearchCriteria.parseCount(l, name: "limit", minimum: 1) }
        if let s = o["skip"], !s.isNull { c.skip = try SearchCriteria.parseCount(s, name: "skip", minimum: 0) }
        switch o["remove_duplicates"] {
        case nil, .null?: break
        case .bool(let b)?: c.removeDuplicates = b
        default: throw .invalidValue(["remove_duplicates"])
        }
        // The filters compile, or the criteria are refused before anything is read.
        _ = try Matcher.compile(c.unitFilters, aliases: [:])
        _ = try Matcher.compile(c.associationFilters, aliases: [:])
        return c
    }

    /// Filters, sorts, pages and projects association records (`{repo_id, unit_id, unit_type_id, created,
    /// updated, …, "metadata": unit}`), given in the store's order. The unit sort defaults to `_id` ascending,
    /// and results of several types come type by type (by type id), as Pulp 2 queries each type in turn.
    public func apply(to records: [JSONObject]) throws(PulpError) -> [JSONObject] {
        let unitMatcher = try Matcher.compile(unitFilters, aliases: [:])
        let associationMatcher = try Matcher.compile(associationFilters, aliases: [:])
        let types = typeIds.map(Set.init)
        var matched: [(Int, JSONObject)] = []
        let budget = RegexBudget()
        RegexBudget.$current.withValue(budget) {
            for (i, r) in records.enumerated() {
                if let types, !types.contains(r["unit_type_id"]?.stringValue ?? "") { continue }
                guard associationMatcher.matches(.object(r)), unitMatcher.matches(r["metadata"] ?? .null) else { continue }
                matched.append((i, r))
            }
        }
        if budget.isSpent { throw .invalidValue(["filters"]) }
        let unitKeys = (unitSort.isEmpty ? [SearchCriteria.SortKey(field: "_id", ascending: true)] : unitSort)
            .map { (["metadata"] + Matcher.path($0.field), $0.ascending) }
        let associationKeys = associationSort.map { (Matcher.path($0.field), $0.ascending) }
        // Without an association sort, type by type first.
        let keys = associationKeys.isEmpty ? [(["unit_type_id"], true)] + unitKeys : associationKeys
        matched.sort { a, b in Matcher.precedes(a, b, keys: keys) }
        var page = matched.dropFirst(skip).map(\.1)
        if let limit { page = Array(page.prefix(limit)) }
        return page.map(project)
    }

    /// `fields.unit` keeps those unit fields (and `_id`, `_content_type_id`); `fields.association` those
    /// association fields (and the unit, its id and type).
    func project(_ record: JSONObject) -> JSONObject {
        var r = record
        if let keep = unitFieldsKept, case .object(let unit)? = r["metadata"] {
            r["metadata"] = .object(unit.filter { keep.contains($0.key) })
        }
        if let keep = associationFieldsKept {
            r = r.filter { keep.contains($0.key) }
        }
        return r
    }

    /// The unit fields a projection keeps; nil keeps every field.
    public var unitFieldsKept: Set<String>? { unitFields.map { Set($0.map(Matcher.root)).union(["_id", "_content_type_id"]) } }

    /// The association fields a projection keeps; nil keeps every field.
    public var associationFieldsKept: Set<String>? {
        associationFields.map { Set($0.map(Matcher.root)).union(["metadata", "unit_id", "unit_type_id", "_id"]) }
    }

    /// Whether the unit's `repodata` (its snippets, which can be large) is wanted.
    public var wantsRepodata: Bool { unitFields.map { $0.contains { Matcher.root($0) == "repodata" } } ?? true }
}
