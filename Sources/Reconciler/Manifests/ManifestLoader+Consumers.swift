import Foundation
import PulpModel

/// Consumers and their content schedules.
extension ManifestLoader {
    func decodeConsumer(_ node: YAMLNode, reader: inout NodeReader) -> DesiredConsumer? {
        guard let m = reader.mapping(node, allowed: Self.consumerKeys, what: "a consumer") else { return nil }
        guard let id = reader.string(m["id"], required: true, what: "id", at: node.mark) else { return nil }
        if !IDRules.isValidConsumerId(id) {
            reader.error(m["id"]?.mark ?? node.mark, "consumer id \(ManifestLimits.shown(id)) may only contain letters, digits, '.', '-' and '_'")
        }
        var c = DesiredConsumer(id: id, displayName: reader.string(m["display_name"], what: "display_name"),
                                description: reader.string(m["description"], what: "description"),
                                notes: reader.object(m["notes"], what: "notes") ?? [:], schedules: [], mark: node.mark)
        if let p = m["protect"], reader.bool(p, what: "protect") == true {
            c.protect = true
            c.protectMark = p.mark
        }
        for key in c.notes.keys where key.hasPrefix("pulpform_") {
            reader.error(m["notes"]?.mark ?? node.mark, "note \(key) is reserved for pulpform")
        }
        if let s = m["schedules"], let byAction = reader.mapping(s, allowed: ["install", "update", "uninstall"], what: "consumer schedules") {
            for action in [ScheduleKind.install, .update, .uninstall] {
                guard let list = byAction[action.rawValue], let items = reader.sequence(list, what: action.rawValue) else { continue }
                for item in items {
                    guard let sm = reader.mapping(item, allowed: Self.consumerScheduleKeys, what: "a consumer schedule") else { continue }
                    guard let text = reader.schedule(sm["schedule"], at: item.mark) else { continue }
                    guard let unitsNode = sm["units"] else {
                        reader.error(item.mark, "a consumer schedule needs units")
                        continue
                    }
                    guard let units = reader.sequence(unitsNode, what: "units") else { continue }
                    c.schedules.append(DesiredConsumerSchedule(
                        action: action, schedule: text, enabled: reader.bool(sm["enabled"], what: "enabled") ?? true,
                        failureThreshold: reader.positiveInt(sm["failure_threshold"], what: "failure_threshold"),
                        units: units.map(\.value), options: reader.object(sm["options"], what: "options") ?? [:], mark: item.mark))
                }
            }
        }
        return c
    }
}
