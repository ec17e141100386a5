public import PulpModel

/// comps.xml: `package_group`, `package_category` and `package_environment` units (keys `id` and `repo_id`).
public enum Comps {
    /// The element names that are units, and their unit types.
    public static let elements = ["group": "package_group", "category": "package_category", "environment": "package_environment"]

    /// Reads one `<group>`, `<category>` or `<environment>` element's bytes into the unit's fields (without `repo_id`).
    public static func parse(_ bytes: [UInt8]) throws -> (typeId: String, fields: JSONObject) {
        var root = ""
        var fields: JSONObject = [:]
        var translatedName: JSONObject = [:]
        var translatedDescription: JSONObject = [:]
        var packages: [String: [JSONValue]] = ["mandatory": [], "optional": [], "default": [], "conditional": []]
        var groupIds: [JSONValue] = []
        var options: [JSONValue] = []
        try XMLScanner.walk(bytes, start: { name, _, depth, _ in
            if depth == 0 { root = name }
        }, end: { name, a, value, depth, parent in
            let lang = a["xml:lang"]
            switch name {
            case "id" where depth == 1: fields["id"] = .string(value)
            case "name" where depth == 1:
                if let lang { translatedName[lang] = .string(value) } else { fields["name"] = .string(value) }
            case "description" where depth == 1:
                if let lang { translatedDescription[lang] = .string(value) } else { fields["description"] = .string(value) }
            case "default" where depth == 1: fields["default"] = .bool(value == "true")
            case "uservisible" where depth == 1: fields["user_visible"] = .bool(value == "true")
            case "langonly" where depth == 1: fields["langonly"] = .string(value)
            case "display_order" where depth == 1: fields["display_order"] = Int(value).map(JSONValue.int) ?? .null
            case "packagereq":
                let type = a["type"] ?? "mandatory"
                if type == "conditional" {
                    packages["conditional", default: []].append([.string(value), .string(a["requires"] ?? "")])
                } else {
                    packages[type, default: []].append(.string(value))
                }
            case "groupid":
                if parent == "optionlist" {
                    options.append(["group": .string(value), "default": .bool(a["default"] == "true")])
                } else {
                    groupIds.append(.string(value))
                }
            default: break
            }
        })
        guard let typeId = elements[root] else { throw XMLError("<\(root)> is not a comps unit") }
        guard let id = fields["id"]?.stringValue, !id.isEmpty else { throw XMLError("a comps <\(root)> has no <id>") }
        fields["translated_name"] = .object(translatedName)
        fields["translated_description"] = .object(translatedDescription)
        if fields["name"] == nil { fields["name"] = .string(id) }
        if fields["description"] == nil { fields["description"] = .string("") }
        if fields["display_order"] == nil { fields["display_order"] = .null }
        switch typeId {
        case "package_group":
            if fields["default"] == nil { fields["default"] = .bool(false) }
            if fields["user_visible"] == nil { fields["user_visible"] = .bool(true) }
            if fields["langonly"] == nil { fields["langonly"] = .null }
            for (k, list) in packages { fields["\(k)_package_names"] = .array(list) }
        case "package_category":
            fields["packagegroupids"] = .array(groupIds)
        default:
            fields["group_ids"] = .array(groupIds)
            fields["options"] = .array(options)
        }
        return (typeId, fields)
    }

    /// The element for `comps.xml`.
    public static func xml(_ typeId: String, _ f: JSONObject) -> String {
        func s(_ k: String) -> String { XMLScanner.escape(f[k]?.stringValue ?? "") }
        let tag = elements.first { $0.value == typeId }?.key ?? "group"
        var out = "  <\(tag)>\n    <id>\(s("id"))</id>\n    <name>\(s("name"))</name>\n"
        for (lang, v) in (f["translated_name"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            out += "    <name xml:lang=\"\(XMLScanner.escape(lang))\">\(XMLScanner.escape(v.stringValue ?? ""))</name>\n"
        }
        out += "    <description>\(s("description"))</description>\n"
        for (lang, v) in (f["translated_description"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            out += "    <description xml:lang=\"\(XMLScanner.escape(lang))\">\(XMLScanner.escape(v.stringValue ?? ""))</description>\n"
        }
        if let order = f["display_order"]?.intValue { out += "    <display_order>\(order)</display_order>\n" }
        switch typeId {
        case "package_group":
            out += "    <default>\(f["default"] == .bool(true) ? "true" : "false")</default>\n"
            out += "    <uservisible>\(f["user_visible"] == .bool(false) ? "false" : "true")</uservisible>\n"
            if let l = f["langonly"]?.stringValue, !l.isEmpty { out += "    <langonly>\(XMLScanner.escape(l))</langonly>\n" }
            out += "    <packagelist>\n"
            for kind in ["mandatory", "default", "optional"] {
                for p in f["\(kind)_package_names"]?.arrayValue ?? [] {
                    out += "      <packagereq type=\"\(kind)\">\(XMLScanner.escape(p.stringValue ?? ""))</packagereq>\n"
                }
            }
            for p in f["conditional_package_names"]?.arrayValue ?? [] {
                let pair = p.arrayValue ?? []
                let name = pair.first?.stringValue ?? "", req = pair.dropFirst().first?.stringValue ?? ""
                out += "      <packagereq type=\"conditional\" requires=\"\(XMLScanner.escape(req))\">\(XMLScanner.escape(name))</packagereq>\n"
            }
            out += "    </packagelist>\n"
        case "package_category":
            out += "    <grouplist>\n"
            for g in f["packagegroupids"]?.arrayValue ?? [] { out += "      <groupid>\(XMLScanner.escape(g.stringValue ?? ""))</groupid>\n" }
            out += "    </grouplist>\n"
        default:
            out += "    <grouplist>\n"
            for g in f["group_ids"]?.arrayValue ?? [] { out += "      <groupid>\(XMLScanner.escape(g.stringValue ?? ""))</groupid>\n" }
            out += "    </grouplist>\n    <optionlist>\n"
            for o in f["options"]?.arrayValue ?? [] {
                let d = o["default"] == .bool(true) ? " default=\"true\"" : ""
                out += "      <groupid\(d)>\(XMLScanner.escape(o["group"]?.stringValue ?? ""))</groupid>\n"
            }
            out += "    </optionlist>\n"
        }
        out += "  </\(tag)>\n"
        return out
    }
}
