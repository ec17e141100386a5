import Foundation
import Synchronization

/// Pulp's search criteria (§1e): Mongo-style `filters`, `sort`, `skip`/`limit` and `fields`.
public struct SearchCriteria: Sendable, Hashable {
    public var filters: JSONObject
    /// `(field, ascending)`.
    public var sort: [SortKey]
    public var limit: Int?
    public var skip: Int
    public var fields: [String]?

    public struct SortKey: Sendable, Hashable {
        public var field: String
        public var ascending: Bool
    }

    public init(filters: JSONObject = [:], sort: [SortKey] = [], limit: Int? = nil, skip: Int = 0, fields: [String]? = nil) {
        self.filters = filters
        self.sort = sort
        self.limit = limit
        self.skip = skip
        self.fields = fields
    }

    static let keys: Set<String> = ["filters", "sort", "limit", "skip", "fields"]

    /// The `criteria` object of a POST search. Any other key is InvalidValue naming it.
    public static func parse(_ value: JSONValue) throws(PulpError) -> SearchCriteria {
        guard case .object(let o) = value else { throw .invalidValue(["criteria"]) }
        let unknown = o.keys.filter { !keys.contains($0) }.sorted()
        if !unknown.isEmpty { throw .invalidValue(unknown) }
        var c = SearchCriteria()
        switch o["filters"] {
        case nil, .null?: break
        case .object(let f)?: c.filters = f
        default: throw .invalidValue(["filters"])
        }
        if let s = o["sort"], !s.isNull { c.sort = try parseSort(s) }
        if let l = o["limit"], !l.isNull { c.limit = try parseCount(l, name: "limit", minimum: 1) }
        if let s = o["skip"], !s.isNull { c.skip = try parseCount(s, name: "skip", minimum: 0) }
        switch o["fields"] {
        case nil, .null?: break
        case .array(let a)?:
            let names = a.compactMap(\.stringValue)
            guard names.count == a.count else { throw .invalidValue(["fields"]) }
            c.fields = names
        default: throw .invalidValue(["fields"])
        }
        return c
    }

    /// The GET form: `filters=<json>&sort=<json>&limit=&skip=&field=a&field=b`.
    public static func parse(query: [(String, String)]) throws(PulpError) -> SearchCriteria {
        var o = JSONObject()
        var fields: [JSONValue] = []
        for (k, v) in query {
            switch k {
            case "filters", "sort":
                do {
                    o[k] = try JSONValue.parse(v)
                } catch {
                    throw .invalidValue([k == "sort" ? "sort" : "filters"])
                }
            case "limit", "skip": o[k] = .string(v)
            case "field", "fields": fields.append(.string(v))
            default: break  // details, importers, distributors are options, not criteria
            }
        }
        if !fields.isEmpty { o["fields"] = .array(fields) }
        return try parse(.object(o))
    }

    /// An int ≥ minimum, or a numeric string; booleans are rejected.
    static func parseCount(_ v: JSONValue, name: String, minimum: Int) throws(PulpError) -> Int {
        let n: Int?
        switch v {
        case .int(let i): n = i
        case .string(let s): n = Int(s.trimmingCharacters(in: .whitespaces))
        default: n = nil
        }
        guard let n, n >= minimum else { throw .invalidValue([name]) }
        return n
    }

    static func parseSort(_ v: JSONValue) throws(PulpError) -> [SortKey] {
        guard case .array(let items) = v else { throw .invalidValue(["sort"]) }
        var out: [SortKey] = []
        for item in items {
            switch item {
            case .array(let pair) where pair.count == 2 || pair.count == 1:
                guard let field = pair[0].stringValue, !field.isEmpty else { throw .invalidValue(["sort"]) }
                var ascending = true
                if pair.count == 2 {
                    switch pair[1] {
                    case .string("ascending"), .string("1"), .int(1): ascending = true
                    case .string("descending"), .string("-1"), .int(-1): ascending = false
                    default: throw .invalidValue(["sort"])
                    }
                }
                out.append(SortKey(field: field, ascending: ascending))
            case .string(let field) where !field.isEmpty:
                out.append(SortKey(field: field, ascending: true))
            default:
                throw .invalidValue(["sort"])
            }
        }
        return out
    }

    /// Runs the search over documents given in their stable (insertion) order.
    ///
    /// - `aliases` maps filter field names to document fields (`repo_id` → `id` for repositories).
    /// - `knownFields` are the document's top-level fields: sorting or projecting another is InvalidValue.
    /// - `alwaysKept` survive a `fields` projection.
    public func apply(to documents: [JSONObject], aliases: [String: String] = [:], knownFields: Set<String>,
                      alwaysKept: Set<String>) throws(PulpError) -> [JSONObject]
    {
        let filter = try Matcher.compile(filters, aliases: aliases)
        for s in sort where !knownFields.contains(Matcher.root(aliases[s.field] ?? s.field)) { throw .invalidValue(["sort"]) }
        if let fields {
            for f in fields where !knownFields.contains(Matcher.root(aliases[f] ?? f)) { throw .invalidValue(["fields"]) }
        }
        var matched: [(Int, JSONObject)] = []
        // `$regex` backtracks: a pattern such as `^(a+)+$` takes exponential time. The search's regular
        // expressions share a budget of matching steps, and a search that spends it is refused.
        let budget = RegexBudget()
        RegexBudget.$current.withValue(budget) {
            for (i, d) in documents.enumerated() where filter.matches(.object(d)) { matched.append((i, d)) }
        }
        if budget.isSpent { throw .invalidValue(["filters"]) }
        if !sort.isEmpty {
            let keys = sort.map { (Matcher.path(aliases[$0.field] ?? $0.field), $0.ascending) }
            matched.sort { a, b in Matcher.precedes(a, b, keys: keys) }
        }
        var page = matched.dropFirst(skip).map(\.1)
        if let limit { page = Array(page.prefix(limit)) }
        guard let fields else { return page }
        let keep = Set(fields.map { Matcher.root(aliases[$0] ?? $0) }).union(alwaysKept)
        return page.map { $0.filter { keep.contains($0.key) } }
    }
}

/// A compiled Mongo filter.
indirect enum Matcher: Sendable {
    case all([Matcher])
    case any([Matcher])
    case none([Matcher])
    case field([String], Condition)
    case always

    indirect enum Condition: Sendable {
        case eq(JSONValue)
        case ne(JSONValue)
        case compare(String, JSONValue)
        case isIn([JSONValue])
        case notIn([JSONValue])
        case exists(Bool)
        case regex(NSRegularExpressionBox)
        case not(Condition)
        case allOf([Condition])
        case containsAll([JSONValue])
        case elemMatch(Matcher?, Condition?)
        case size(Int)
    }

    /// The sort order of two documents by `keys` (a dotted path each, ascending or not); ties keep their
    /// positions (the `Int`), so the sort is stable.
    static func precedes(_ a: (Int, JSONObject), _ b: (Int, JSONObject), keys: [([String], Bool)]) -> Bool {
        for (path, ascending) in keys {
            let x = values(at: path, in: .object(a.1)).first ?? .null
            let y = values(at: path, in: .object(b.1)).first ?? .null
            let c = order(x, y)
            if c != 0 { return ascending ? c < 0 : c > 0 }
        }
        return a.0 < b.0
    }

    static func root(_ field: String) -> String { String(field.split(separator: ".", maxSplits: 1).first ?? Substring(field)) }
    static func path(_ field: String) -> [String] { field.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    static func compile(_ filter: JSONObject, aliases: [String: String]) throws(PulpError) -> Matcher {
        var parts: [Matcher] = []
        for (key, value) in filter.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "$and", "$or", "$nor":
                guard case .array(let subs) = value, !subs.isEmpty else { throw .invalidValue(["filters"]) }
                var compiled: [Matcher] = []
                for s in subs {
                    guard case .object(let o) = s else { throw .invalidValue(["filters"]) }
                    compiled.append(try compile(o, aliases: aliases))
                }
                parts.append(key == "$and" ? .all(compiled) : key == "$or" ? .any(compiled) : .none(compiled))
            case _ where key.hasPrefix("$"):
                throw .invalidValue(["filters"])
            default:
                let name = aliases[key] ?? key
                var condition = try compileCondition(value)
                // `_id` strings compare with the ObjectId's `$oid`.
                if name == "_id" { condition = oidCondition(condition) }
                parts.append(.field(path(name), condition))
            }
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    static func oidCondition(_ c: Condition) -> Condition {
        func wrap(_ v: JSONValue) -> JSONValue { v.stringValue.map { ["$oid": .string($0)] } ?? v }
        switch c {
        case .eq(let v): return .eq(wrap(v))
        case .ne(let v): return .ne(wrap(v))
        case .isIn(let vs): return .isIn(vs.map(wrap))
        case .notIn(let vs): return .notIn(vs.map(wrap))
        default: return c
        }
    }

    static func isOperatorDocument(_ v: JSONValue) -> Bool {
        guard case .object(let o) = v, !o.isEmpty else { return false }
        return o.keys.allSatisfy { $0.hasPrefix("$") } && o["$date"] == nil
    }

    static func compileCondition(_ value: JSONValue) throws(PulpError) -> Condition {
        guard isOperatorDocument(value), case .object(let ops) = value else { return .eq(value) }
        var conditions: [Condition] = []
        for (op, arg) in ops.sorted(by: { $0.key < $1.key }) {
            switch op {
            case "$eq": conditions.append(.eq(arg))
            case "$ne": conditions.append(.ne(arg))
            case "$gt", "$gte", "$lt", "$lte": conditions.append(.compare(op, arg))
            case "$in", "$nin":
                guard case .array(let list) = arg else { throw .invalidValue(["filters"]) }
                conditions.append(op == "$in" ? .isIn(list) : .notIn(list))
            case "$exists":
                conditions.append(.exists(arg.boolValue ?? (arg.intValue.map { $0 != 0 } ?? true)))
            case "$regex":
                guard let pattern = arg.stringValue else { throw .invalidValue(["filters"]) }
                conditions.append(.regex(try NSRegularExpressionBox(pattern, options: ops["$options"]?.stringValue ?? "")))
            case "$options":
                continue
            case "$not":
                if let pattern = arg.stringValue {
                    conditions.append(.not(.regex(try NSRegularExpressionBox(pattern, options: ""))))
                } else if isOperatorDocument(arg) {
                    conditions.append(.not(try compileCondition(arg)))
                } else {
                    throw .invalidValue(["filters"])
                }
            case "$all":
                guard case .array(let list) = arg else { throw .invalidValue(["filters"]) }
                conditions.append(.containsAll(list))
            case "$elemMatch":
                guard case .object(let o) = arg else { throw .invalidValue(["filters"]) }
                if isOperatorDocument(arg) {
                    conditions.append(.elemMatch(nil, try compileCondition(arg)))
                } else {
                    conditions.append(.elemMatch(try compile(o, aliases: [:]), nil))
                }
            case "$size":
                guard let n = arg.intValue else { throw .invalidValue(["filters"]) }
                conditions.append(.size(n))
            default:
                throw .invalidValue(["filters"])
            }
        }
        return conditions.count == 1 ? conditions[0] : .allOf(conditions)
    }

    /// The values at a dotted path; arrays along the way are traversed (Mongo semantics).
    static func values(at path: [String], in doc: JSONValue) -> [JSONValue] {
        guard let first = path.first else { return [doc] }
        switch doc {
        case .object(let o):
            guard let next = o[first] else { return [] }
            return values(at: Array(path.dropFirst()), in: next)
        case .array(let items):
            if let index = Int(first), items.indices.contains(index) {
                return values(at: Array(path.dropFirst()), in: items[index])
            }
            return items.flatMap { values(at: path, in: $0) }
        default:
            return []
        }
    }

    /// A value and, for an array, its elements: `{"tags": "x"}` matches an array holding `x`.
    static func candidates(_ values: [JSONValue]) -> [JSONValue] {
        values.flatMap { v -> [JSONValue] in
            if case .array(let items) = v { return [v] + items }
            return [v]
        }
    }

    func matches(_ doc: JSONValue) -> Bool {
        switch self {
        case .always: return true
        case .all(let ms): return ms.allSatisfy { $0.matches(doc) }
        case .any(let ms): return ms.contains { $0.matches(doc) }
        case .none(let ms): return !ms.contains { $0.matches(doc) }
        case .field(let path, let condition):
            let found = Matcher.values(at: path, in: doc)
            return Matcher.test(condition, found: found)
        }
    }

    static func test(_ c: Condition, found: [JSONValue]) -> Bool {
        let cands = candidates(found)
        switch c {
        case .eq(let v):
            if v.isNull && found.isEmpty { return true }
            return cands.contains { equal($0, v) }
        case .ne(let v):
            return !test(.eq(v), found: found)
        case .compare(let op, let v):
            return cands.contains { x in
                guard let o = comparable(x, v) else { return false }
                switch op {
                case "$gt": return o > 0
                case "$gte": return o >= 0
                case "$lt": return o < 0
                default: return o <= 0
                }
            }
        case .isIn(let list):
            return list.contains { v in test(.eq(v), found: found) }
        case .notIn(let list):
            return !list.contains { v in test(.eq(v), found: found) }
        case .exists(let want):
            return want == !found.isEmpty
        case .regex(let r):
            return cands.contains { $0.stringValue.map(r.matches) ?? false }
        case .not(let inner):
            return !test(inner, found: found)
        case .allOf(let cs):
            return cs.allSatisfy { test($0, found: found) }
        case .containsAll(let list):
            return found.contains { v in
                guard case .array(let items) = v else { return list.count == 1 && equal(v, list[0]) }
                return list.allSatisfy { want in items.contains { equal($0, want) } }
            }
        case .elemMatch(let matcher, let condition):
            return found.contains { v in
                guard case .array(let items) = v else { return false }
                return items.contains { item in
                    if let matcher { return matcher.matches(item) }
                    if let condition { return test(condition, found: [item]) }
                    return false
                }
            }
        case .size(let n):
            return found.contains { $0.arrayValue?.count == n }
        }
    }

    /// `{"$date": iso}` in a query compares as a datetime with the document's datetime strings.
    static func dateValue(_ v: JSONValue) -> Double? {
        if case .object(let o) = v, o.count == 1, let s = o["$date"]?.stringValue { return PulpDateTime.parse(s)?.epoch }
        return nil
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let d = dateValue(b) { return a.stringValue.flatMap(PulpDateTime.parse)?.epoch == d }
        if let x = a.numberValue, let y = b.numberValue { return x == y }
        return a == b
    }

    /// -1/0/1 when both are numbers, both strings or a datetime against a `$date`; nil otherwise.
    static func comparable(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if let d = dateValue(b) {
            guard let x = a.stringValue.flatMap(PulpDateTime.parse)?.epoch else { return nil }
            return x < d ? -1 : x > d ? 1 : 0
        }
        if let x = a.numberValue, let y = b.numberValue { return x < y ? -1 : x > y ? 1 : 0 }
        if let x = a.stringValue, let y = b.stringValue { return x < y ? -1 : x > y ? 1 : 0 }
        return nil
    }

    /// A total order for sorting: null, numbers, strings, objects, arrays, booleans.
    static func order(_ a: JSONValue, _ b: JSONValue) -> Int {
        func rank(_ v: JSONValue) -> Int {
            switch v {
            case .null: return 0
            case .int, .double: return 1
            case .string: return 2
            case .object: return 3
            case .array: return 4
            case .bool: return 5
            }
        }
        let (ra, rb) = (rank(a), rank(b))
        if ra != rb { return ra < rb ? -1 : 1 }
        if let c = comparable(a, b) { return c }
        if case .bool(let x) = a, case .bool(let y) = b { return x == y ? 0 : (!x ? -1 : 1) }
        let (x, y) = (a.serialized(), b.serialized())
        return x < y ? -1 : x > y ? 1 : 0
    }
}

/// A compiled regular expression that is Sendable (it is immutable once built).
struct NSRegularExpressionBox: @unchecked Sendable {
    let regex: NSRegularExpression

    init(_ pattern: String, options: String) throws(PulpError) {
        var opts: NSRegularExpression.Options = []
        if options.contains("i") { opts.insert(.caseInsensitive) }
        if options.contains("m") { opts.insert(.anchorsMatchLines) }
        if options.contains("s") { opts.insert(.dotMatchesLineSeparators) }
        if options.contains("x") { opts.insert(.allowCommentsAndWhitespace) }
        do {
            regex = try NSRegularExpression(pattern: pattern, options: opts)
        } catch {
            throw .invalidValue(["filters"])
        }
    }

    /// Whether the expression matches somewhere in `s`; false, with the budget spent, when the matching steps of
    /// the search in progress run out.
    func matches(_ s: String) -> Bool {
        let budget = RegexBudget.current
        if budget?.isSpent == true { return false }
        var found = false
        regex.enumerateMatches(in: s, options: [.reportProgress], range: NSRange(s.startIndex..., in: s)) { result, flags, stop in
            if result != nil {
                found = true
                stop.pointee = true
            } else if flags.contains(.progress), budget?.spend() == false {
                stop.pointee = true
            }
        }
        return found
    }
}

/// The matching steps that the regular expressions of one search may take. ICU reports progress every few
/// thousand backtracking steps of a long match, and each report spends one unit (about 0.15 ms of matching on a
/// 2-core test machine); ordinary patterns finish before the first report.
final class RegexBudget: Sendable {
    /// About 0.3 s of backtracking for one search.
    static let units = 2_000
    /// The budget of the search in progress; none outside a search.
    @TaskLocal static var current: RegexBudget?

    private let left = Atomic<Int>(RegexBudget.units)

    var isSpent: Bool { left.load(ordering: .relaxed) <= 0 }

    /// Spends one unit; false once none is left.
    func spend() -> Bool { left.subtract(1, ordering: .relaxed).newValue > 0 }
}
