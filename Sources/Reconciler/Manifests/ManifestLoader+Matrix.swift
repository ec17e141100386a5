import Foundation
import PulpModel

/// `matrix`: a repository template expanded over the product of its variables, within the limits.
extension ManifestLoader {
    func expandMatrix(_ node: YAMLNode, reader: inout NodeReader) -> [YAMLNode] {
        guard let m = reader.mapping(node, allowed: Self.matrixKeys, what: "a matrix") else { return [] }
        guard let template = m["repository"] else {
            reader.error(node.mark, "a matrix needs a repository template")
            return []
        }
        guard let varsNode = m["vars"], reader.mapping(varsNode, allowed: nil, what: "matrix vars") != nil else {
            reader.error(node.mark, "a matrix needs vars: a mapping of names to lists of values")
            return []
        }
        // Keep the order the variables were written in.
        var names: [String] = []
        var values: [[String]] = []
        for (k, v) in varsNode.mapping ?? [] {
            guard let name = k.scalarText else { continue }
            guard let items = reader.sequence(v, what: "matrix variable \(name)") else { continue }
            var strings: [String] = []
            for item in items {
                guard let text = item.scalarText else {
                    reader.error(item.mark, "matrix values must be scalars")
                    continue
                }
                strings.append(text)
            }
            if strings.isEmpty { reader.error(v.mark, "matrix variable \(name) has no values") }
            names.append(name)
            values.append(strings)
        }
        // The product is checked before a single combination is made.
        var product = 1
        for vs in values {
            let (p, overflow) = product.multipliedReportingOverflow(by: max(vs.count, 1))
            product = overflow ? .max : p
        }
        let allowed = limits.matrixRepositories - reader.matrixRepositories
        if product > allowed {
            let factors = values.map { max($0.count, 1).formatted }.joined(separator: " × ")
            let limit = reader.matrixRepositories == 0 ? "the limit of \(limits.matrixRepositories.formatted)"
                : "the \(allowed.formatted) left of the limit of \(limits.matrixRepositories.formatted) for all matrices"
            reader.error(varsNode.mark, "this matrix expands to \(product == .max ? "more than \(Int.max.formatted)" : product.formatted) "
                + "repositories (\(factors)), more than \(limit); --matrix-limit raises it")
            return []
        }
        let budget = limits.expandedNodes(forBytes: reader.bytesRead) - reader.expandedNodes
        let templateNodes = Self.nodeCount(template, limit: budget)
        if templateNodes.multipliedReportingOverflow(by: product).overflow || templateNodes * product > budget {
            reader.error(varsNode.mark, "this matrix expands to \(product.formatted) copies of a template of "
                + "\(templateNodes > budget ? "more than \(budget.formatted)" : templateNodes.formatted) YAML nodes, more than the "
                + "\(budget.formatted) nodes left of the limit (aliases count each time they are used); --matrix-limit raises it")
            return []
        }
        reader.matrixRepositories += product
        var combos: [[String: String]] = [[:]]
        for (name, vs) in zip(names, values) {
            combos = combos.flatMap { c in vs.map { v in c.merging([name: v]) { $1 } } }
        }
        func partial(_ n: YAMLNode, what: String) -> [[String: String]] {
            guard let items = reader.sequence(n, what: what) else { return [] }
            return items.compactMap { item -> [String: String]? in
                guard let entries = reader.mapping(item, allowed: names, what: "a matrix \(what) entry") else { return nil }
                return entries.compactMapValues(\.scalarText)
            }
        }
        if let ex = m["exclude"] {
            let excludes = partial(ex, what: "exclude")
            combos.removeAll { c in excludes.contains { e in e.allSatisfy { c[$0.key] == $0.value } } }
        }
        if let inc = m["include"] {
            for extra in partial(inc, what: "include") {
                let missing = names.filter { extra[$0] == nil }
                if !missing.isEmpty {
                    reader.error(inc.mark, "a matrix include entry must set every variable; missing \(missing.joined(separator: ", "))")
                    continue
                }
                if !combos.contains(extra) { combos.append(extra) }
            }
        }
        return combos.map { substitute(template, $0, reader: &reader) }
    }

    /// Replaces `${name}` in every scalar of `node`.
    func substitute(_ node: YAMLNode, _ vars: [String: String], reader: inout NodeReader) -> YAMLNode {
        switch node.kind {
        case .scalar(let text, let style, let tag):
            guard text.contains("${") else { return node }
            var out = ""
            var rest = Substring(text)
            while let start = rest.range(of: "${") {
                out += rest[..<start.lowerBound]
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    reader.error(node.mark, "unterminated ${ in \(ManifestLimits.shown(text))")
                    return node
                }
                let name = String(rest[start.upperBound..<end])
                if let v = vars[name] {
                    out += v
                } else {
                    reader.error(node.mark, "unknown matrix variable ${\(ManifestLimits.cut(name))}"
                        + NodeReader.suggestion(name, Array(vars.keys)))
                }
                rest = rest[rest.index(after: end)...]
            }
            out += rest
            return YAMLNode(.scalar(out, style, tag: tag), mark: node.mark)
        case .mapping(let entries):
            return YAMLNode(.mapping(entries.map { ($0.key, substitute($0.value, vars, reader: &reader)) }), mark: node.mark)
        case .sequence(let items):
            return YAMLNode(.sequence(items.map { substitute($0, vars, reader: &reader) }), mark: node.mark)
        }
    }
}
