public import PulpModel

/// One `<update>` of `updateinfo.xml`, as Pulp's `erratum` unit (REST names: `id`, `from`).
public enum Erratum {
    /// Reads one `<update>` element's bytes into the unit's fields (the key `id` among them).
    public static func parse(_ bytes: [UInt8]) throws -> JSONObject {
        var e: JSONObject = [:]
        var references: [JSONValue] = []
        var pkglist: [JSONValue] = []
        var collection: JSONObject?
        var packages: [JSONValue] = []
        var package: JSONObject?
        try XMLScanner.walk(bytes, start: { name, a, depth, _ in
            switch name {
            case "update" where depth == 0:
                for (k, v) in a.pairs { e[k] = .string(v) }
            case "issued", "updated":
                if depth == 1 { e[name] = .string(a["date"] ?? "") }
            case "reference":
                var r: JSONObject = [:]
                for k in ["id", "href", "type", "title"] { r[k] = a[k].map(JSONValue.string) ?? .null }
                references.append(.object(r))
            case "collection":
                collection = ["short": .string(a["short"] ?? "")]
                packages = []
            case "package" where collection != nil:
                var p: JSONObject = [:]
                for k in ["name", "epoch", "version", "release", "arch", "src"] { p[k] = .string(a[k] ?? (k == "epoch" ? "0" : "")) }
                package = p
            case "reboot_suggested":
                // `<reboot_suggested/>` says yes; with text, its text says (at its end).
                e["reboot_suggested"] = .bool(true)
            default: break
            }
        }, end: { name, attrs, value, depth, _ in
            switch name {
            case "id", "title", "rights", "release", "severity", "summary", "description", "solution", "pushcount":
                if depth == 1 { e[name] = .string(value) }
            case "name":
                if package == nil, collection != nil { collection?["name"] = .string(value) }
            case "filename":
                package?["filename"] = .string(value)
            case "sum":
                package?["sum"] = [.string(attrs["type"] ?? ""), .string(value)]
            case "reboot_suggested":
                e["reboot_suggested"] = .bool(["true", "1", "yes", "True"].contains(value) || value.isEmpty)
            case "package":
                if let p = package { packages.append(.object(p)) }
                package = nil
            case "collection":
                if var c = collection {
                    c["packages"] = .array(packages)
                    pkglist.append(.object(c))
                }
                collection = nil
            default: break
            }
        })
        guard let id = e["id"]?.stringValue, !id.isEmpty else { throw XMLError("an <update> has no <id>") }
        e["references"] = .array(references)
        e["pkglist"] = .array(pkglist)
        for k in ["title", "description", "version", "release", "type", "status", "updated", "issued", "severity", "rights",
                  "summary", "solution", "from", "pushcount"] where e[k] == nil {
            e[k] = .string("")
        }
        if e["reboot_suggested"] == nil { e["reboot_suggested"] = .bool(false) }
        return e
    }

    /// Pulp 2.8's `merge_errata`: the same id seen again appends the new pkglists (without repeats); the newer
    /// `updated` wins the other fields.
    public static func merge(_ old: JSONObject, _ new: JSONObject) -> JSONObject {
        let newer = (new["updated"]?.stringValue ?? "") > (old["updated"]?.stringValue ?? "")
        var out = newer ? new : old
        var lists = old["pkglist"]?.arrayValue ?? []
        for c in new["pkglist"]?.arrayValue ?? [] where !lists.contains(c) { lists.append(c) }
        out["pkglist"] = .array(lists)
        return out
    }

    /// The `<update>` element for `updateinfo.xml`, with only the packages `keep` allows in its pkglist.
    public static func xml(_ e: JSONObject, keep: (JSONObject) -> Bool) -> String {
        func s(_ k: String) -> String { XMLScanner.escape(e[k]?.stringValue ?? "") }
        var out = "<update from=\"\(s("from"))\" status=\"\(s("status"))\" type=\"\(s("type"))\" version=\"\(s("version"))\">\n"
        out += "  <id>\(s("id"))</id>\n  <title>\(s("title"))</title>\n"
        if !(e["issued"]?.stringValue ?? "").isEmpty { out += "  <issued date=\"\(s("issued"))\"/>\n" }
        if !(e["updated"]?.stringValue ?? "").isEmpty { out += "  <updated date=\"\(s("updated"))\"/>\n" }
        for k in ["rights", "release", "pushcount", "severity", "summary", "description", "solution"]
            where !(e[k]?.stringValue ?? "").isEmpty
        {
            out += "  <\(k)>\(s(k))</\(k)>\n"
        }
        out += "  <references>\n"
        for r in e["references"]?.arrayValue ?? [] {
            let attrs = ["href", "id", "type", "title"].compactMap { k in
                r[k]?.stringValue.map { "\(k)=\"\(XMLScanner.escape($0))\"" }
            }
            out += "    <reference \(attrs.joined(separator: " "))/>\n"
        }
        out += "  </references>\n  <pkglist>\n"
        var seen: Set<JSONValue> = []
        for c in e["pkglist"]?.arrayValue ?? [] {
            let packages = (c["packages"]?.arrayValue ?? []).compactMap(\.objectValue).filter(keep)
            guard !packages.isEmpty else { continue }
            let key = JSONValue.array(packages.map(JSONValue.object))
            guard seen.insert(key).inserted else { continue }
            out += "    <collection short=\"\(XMLScanner.escape(c["short"]?.stringValue ?? ""))\">\n"
            out += "      <name>\(XMLScanner.escape(c["name"]?.stringValue ?? ""))</name>\n"
            for p in packages {
                func a(_ k: String) -> String { XMLScanner.escape(p[k]?.stringValue ?? "") }
                out += "      <package name=\"\(a("name"))\" version=\"\(a("version"))\" release=\"\(a("release"))\" epoch=\"\(a("epoch"))\" arch=\"\(a("arch"))\" src=\"\(a("src"))\">\n"
                out += "        <filename>\(a("filename"))</filename>\n"
                if let sum = p["sum"]?.arrayValue, sum.count == 2 {
                    out += "        <sum type=\"\(XMLScanner.escape(sum[0].stringValue ?? ""))\">\(XMLScanner.escape(sum[1].stringValue ?? ""))</sum>\n"
                }
                if e["reboot_suggested"] == .bool(true) { out += "        <reboot_suggested>True</reboot_suggested>\n" }
                out += "      </package>\n"
            }
            out += "    </collection>\n"
        }
        out += "  </pkglist>\n</update>\n"
        return out
    }
}
