import PulpContract
import Foundation
import PulpModel

/// Why an object is out of sync.
public enum DriftKind: String, Sendable, Hashable {
    /// The manifests changed and the change is not applied yet.
    case pending
    /// The object was changed outside pulpform since the last apply.
    case outside
    /// Both.
    case both
}

public struct DriftItem: Sendable, Hashable {
    public var address: String
    public var kind: DriftKind
    public var detail: String
}

/// `pulpform drift`: compares three fingerprints per managed object — the manifests' (desired), the
/// target's (actual) and the one recorded by the last apply (`pulpform_applied`).
///
/// - desired = actual: in sync, whatever was recorded;
/// - recorded = actual ≠ desired: the manifests moved on (`pending`);
/// - recorded = desired ≠ actual: someone changed the target (`outside`);
/// - all three differ: `both`.
public struct DriftReport: Sendable {
    public var items: [DriftItem]
    /// Managed objects checked, in sync or not.
    public var checked: [String]
    /// Objects in sync because their drift was accepted (`apply --accept-drift`): the target differs from the
    /// manifests as it did then, and neither moved since.
    public var accepted: [String] = []

    public init(items: [DriftItem] = [], checked: [String] = []) {
        self.items = items
        self.checked = checked
    }

    /// 0 in sync, 2 pending, 3 outside, 5 both.
    public var exitCode: Int32 {
        let pending = items.contains { $0.kind == .pending || $0.kind == .both }
        let outside = items.contains { $0.kind == .outside || $0.kind == .both }
        switch (pending, outside) {
        case (false, false): return 0
        case (true, false): return 2
        case (false, true): return 3
        case (true, true): return 5
        }
    }

    public var summary: String {
        switch exitCode {
        case 0: return "In sync: \(checked.count) objects match the manifests."
        case 2: return "Pending: \(items.count) of \(checked.count) objects have manifest changes that are not applied."
        case 3: return "Drift: \(items.count) of \(checked.count) objects were changed outside pulpform since the last apply."
        default: return "Drift and pending changes: \(items.count) of \(checked.count) objects differ from the manifests."
        }
    }
}

extension Planner {
    /// `hashes`: the manifests' repository fingerprints, when already computed (`desiredHashes`).
    public func drift(_ manifest: Manifest, _ actual: ActualState, hashes: [String: String]? = nil) -> DriftReport {
        var report = DriftReport(items: [], checked: [])
        let ignores = manifest.ignoredFields
        let repos = Dictionary(actual.repositories.map { a in
            (a.repository.id, Observed(notes: a.repository.notes, hash: {
                actual.hashes[a.repository.id] ?? canonical(a, actual, ignoring: ignores[a.repository.id] ?? []).hash
            }))
        }, uniquingKeysWith: { a, _ in a })
        // Repositories the target vouches for by content hash were not read: they hold the manifests' fingerprint.
        section("repository", desired: manifest.repositories.map { d in (d.id, { hashes?[d.id] ?? canonical(d).hash }) },
                actual: repos, inSync: actual.inSync.isEmpty ? [:] : actual.inSync, hashes: hashes ?? [:],
                missing: "declared but not created", into: &report)
        let consumers = Dictionary(actual.consumers.map { c in
            (c.id, Observed(notes: c.notes, hash: { canonical(c, actual).hash }))
        }, uniquingKeysWith: { a, _ in a })
        section("consumer", desired: manifest.consumers.map { d in (d.id, { canonical(d).hash }) }, actual: consumers,
                missing: "declared but not registered", into: &report)
        accessDrift(manifest, actual, into: &report)
        return report
    }

    /// An object on the target: its notes, and its canonical fingerprint computed on demand.
    struct Observed {
        let notes: JSONObject
        let hash: () -> String
    }

    func section(_ kind: String, desired: [(id: String, hash: () -> String)], actual: [String: Observed],
                 inSync: [String: String] = [:], hashes: [String: String] = [:], missing: String, into report: inout DriftReport)
    {
        var declared = Set<String>(minimumCapacity: desired.count)
        report.checked.reserveCapacity(report.checked.count + desired.count)
        for d in desired {
            declared.insert(d.id)
            let address = "\(kind).\(d.id)"
            report.checked.append(address)
            if let h = inSync[d.id], actual[d.id] == nil, hashes[d.id] == h { continue }
            guard let a = actual[d.id] else {
                report.items.append(DriftItem(address: address, kind: .pending, detail: missing))
                continue
            }
            classify(address: address, desired: d.hash(), actual: a.hash(), recorded: a.notes[OwnershipNotes.applied]?.stringValue,
                     accepted: a.notes[OwnershipNotes.accepted]?.stringValue, into: &report)
        }
        guard prune else { return }
        for (id, a) in actual.sorted(by: { $0.key < $1.key }) where !declared.contains(id) && Self.isManaged(a.notes) {
            report.checked.append("\(kind).\(id)")
            report.items.append(DriftItem(address: "\(kind).\(id)", kind: .pending, detail: "gone from the manifests, not pruned yet"))
        }
    }

    static func isManaged(_ notes: JSONObject) -> Bool { notes[OwnershipNotes.managed] == .string("true") }

    func classify(address: String, desired: String, actual: String, recorded: String?, accepted: String? = nil,
                  into report: inout DriftReport) {
        guard desired != actual else { return }
        if let accepted, accepted == desired, recorded == actual {
            report.accepted.append(address)
            return
        }
        guard let recorded else {
            report.items.append(DriftItem(address: address, kind: .pending, detail: "not applied by pulpform yet"))
            return
        }
        switch (recorded == actual, recorded == desired) {
        case (true, _):
            report.items.append(DriftItem(address: address, kind: .pending, detail: "the manifests changed since the last apply"))
        case (false, true):
            report.items.append(DriftItem(address: address, kind: .outside, detail: "changed outside pulpform since the last apply"))
        case (false, false):
            report.items.append(DriftItem(address: address, kind: .both,
                                          detail: "changed outside pulpform, and the manifests changed too, since the last apply"))
        }
    }
}

/// JUnit XML, which CI systems display natively: one test case per managed object.
public enum JUnitRenderer {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    public static func drift(_ report: DriftReport) -> String {
        let failures = Dictionary(report.items.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"pulpform drift\" tests=\"\(report.checked.count)\" failures=\"\(report.items.count)\">\n"
        out += "  <testsuite name=\"pulpform drift\" tests=\"\(report.checked.count)\" failures=\"\(report.items.count)\" errors=\"0\">\n"
        for address in report.checked {
            out += "    <testcase classname=\"pulpform.drift\" name=\"\(escape(address))\""
            if let item = failures[address] {
                out += ">\n      <failure type=\"\(item.kind.rawValue)\" message=\"\(escape(item.detail))\">\(escape(address)): \(escape(item.detail))</failure>\n    </testcase>\n"
            } else {
                out += "/>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}
