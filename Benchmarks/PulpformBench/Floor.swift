import ChildProcess
import CYAML
import Foundation
import GRDB

/// The floor the plan scenarios are measured against: what the hardware needs to read the same inputs.
enum Floor {
    /// A plain libyaml event scan of the file: every event parsed and freed, nothing built.
    static func yamlScan(_ path: String) throws -> (seconds: Double, events: Int) {
        guard let data = FileManager.default.contents(atPath: path) else { throw Spawn.Failure(description: "cannot read \(path)") }
        let bytes = [UInt8](data)
        let start = DispatchTime.now()
        var events = 0
        var ok = true
        bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                ok = false
                return
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    ok = false
                    return
                }
                events += 1
                let done = event.type == YAML_STREAM_END_EVENT
                yaml_event_delete(&event)
                if done { break }
            }
        }
        guard ok else { throw Spawn.Failure(description: "libyaml cannot parse \(path)") }
        return (Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, events)
    }

    /// Opens the store read-only and reads (id, content hash) of every repository into a dictionary.
    static func storeRead(_ path: String) throws -> (seconds: Double, rows: Int) {
        let start = DispatchTime.now()
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: path, configuration: config)
        let rows = try db.read { db -> Int in
            var out: [String: String] = [:]
            let cursor = try Row.fetchCursor(db, sql: "SELECT repo_id, content_hash FROM repositories")
            while let row = try cursor.next() {
                out[row[0] as String] = row[1] as String? ?? ""
            }
            return out.count
        }
        return (Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, rows)
    }
}
