import Foundation
import Synchronization
import PulpContract
import PulpModel

/// A schedule in canonical form. Schedules are matched by content: the interval, the failure threshold and
/// the overrides (or units and options). `enabled` is compared after matching and updated in place.
struct CanonSchedule: Sendable, Hashable {
    var schedule: String
    var enabled: Bool
    var failureThreshold: Int?
    /// `override_config`, or for consumer schedules `{"units": [...], "options": {...}}`.
    var payload: JSONObject
    /// Set on actual schedules.
    var id: String?

    var key: JSONValue { [.string(schedule), .from(failureThreshold), .object(payload)] }

    var json: JSONValue {
        ["schedule": .string(schedule), "enabled": .bool(enabled), "failure_threshold": .from(failureThreshold),
         "payload": .object(payload)]
    }

    static func sorted(_ list: [CanonSchedule]) -> [CanonSchedule] {
        list.count < 2 ? list : list.sorted { $0.json.serialized() < $1.json.serialized() }
    }

    /// `json`, serialised.
    func write(into out: inout [UInt8]) {
        CanonMember.write(["enabled": .value(.bool(enabled)), "failure_threshold": .value(.from(failureThreshold)),
                           "payload": .object(payload), "schedule": .value(.string(schedule))], into: &out)
    }
}

/// A member of a canonical object, written as bytes without building the JSON tree (what hashing needs).
enum CanonMember {
    case value(JSONValue)
    case object(JSONObject)
    case schedules([CanonSchedule])
    case distributors([String: CanonDistributor])
    case importer(type: String, config: JSONObject)

    /// `{"key":member,...}`: the members must come in key order, as a serialised `JSONValue` has them.
    static func write(_ members: KeyValuePairs<String, CanonMember>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (key, member)) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            member.write(into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .value(let v): v.write(into: &out)
        case .object(let o): JSONValue.write(o, into: &out)
        case .schedules(let list):
            out.append(UInt8(ascii: "["))
            for (i, s) in CanonSchedule.sorted(list).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                s.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .distributors(let byId):
            out.append(UInt8(ascii: "{"))
            for (i, (id, d)) in byId.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(id, into: &out)
                out.append(UInt8(ascii: ":"))
                d.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .importer(let type, let config):
            CanonMember.write(["config": .object(config), "type": .value(.string(type))], into: &out)
        }
    }
}

struct CanonDistributor: Sendable {
    var id: String
    var type: String
    var autoPublish: Bool
    var config: JSONObject
    var schedules: [CanonSchedule]

    var json: JSONValue {
        ["type": .string(type), "auto_publish": .bool(autoPublish), "config": .object(config),
         "publish_schedules": .array(CanonSchedule.sorted(schedules).map(\.json))]
    }

    /// `json`, serialised.
    func write(into out: inout [UInt8]) {
        CanonMember.write(["auto_publish": .value(.bool(autoPublish)), "config": .object(config),
                           "publish_schedules": .schedules(schedules), "type": .value(.string(type))], into: &out)
    }
}

/// A repository in canonical form; its `hash` is what `pulpform_applied` records.
struct CanonRepository: Sendable {
    var id: String
    var displayName: String
    var description: String?
    var notes: JSONObject
    var importerType: String?
    var importerConfig: JSONObject
    var distributors: [String: CanonDistributor]
    var syncSchedules: [CanonSchedule]
    /// Only written when true, so that the fingerprints of unprotected repositories are what they always were.
    var protect = false

    var json: JSONValue {
        var o: JSONObject = [
            "id": .string(id), "display_name": .string(displayName), "description": .from(description),
            "notes": .object(notes),
            "importer": importerType.map { ["type": .string($0), "config": .object(importerConfig)] } ?? .null,
            "distributors": .object(distributors.mapValues(\.json)),
            "sync_schedules": .array(CanonSchedule.sorted(syncSchedules).map(\.json)),
        ]
        if protect { o["protect"] = true }
        return .object(o)
    }

    /// `json`, serialised without building it.
    func write(into out: inout [UInt8]) {
        let importer: CanonMember = importerType.map { .importer(type: $0, config: importerConfig) } ?? .value(.null)
        if protect {
            CanonMember.write([
                "description": .value(.from(description)), "display_name": .value(.string(displayName)),
                "distributors": .distributors(distributors), "id": .value(.string(id)), "importer": importer,
                "notes": .object(notes), "protect": .value(true), "sync_schedules": .schedules(syncSchedules),
            ], into: &out)
        } else {
            CanonMember.write([
                "description": .value(.from(description)), "display_name": .value(.string(displayName)),
                "distributors": .distributors(distributors), "id": .value(.string(id)), "importer": importer,
                "notes": .object(notes), "sync_schedules": .schedules(syncSchedules),
            ], into: &out)
        }
    }

    var hash: String {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(into: &out)
        return Fingerprinter.digest(out)
    }
}

struct CanonConsumer: Sendable {
    var id: String
    var displayName: String
    var description: String?
    var notes: JSONObject
    var schedules: [ScheduleKind: [CanonSchedule]]
    var protect = false

    var json: JSONValue {
        var s = JSONObject()
        for (k, v) in schedules where !v.isEmpty { s[k.rawValue] = .array(CanonSchedule.sorted(v).map(\.json)) }
        var o: JSONObject = ["id": .string(id), "display_name": .string(displayName), "description": .from(description),
                             "notes": .object(notes), "schedules": .object(s)]
        if protect { o["protect"] = true }
        return .object(o)
    }

    var hash: String { Fingerprinter.digest(json.serializedBytes()) }
}
