import PulpStore
import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the target's current state as a table.",
        discussion: """
            One row per repository: its importer, distributors, schedules, units and whether pulpform manages it.

            Examples:
              pulpform show
              pulpform show --format json | jq '.[] | select(.managed == false)'
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: "Output format: table or json.")
    var format: Format = .table

    func run() async throws {
        let pulp = LocalPulp(store: try storeOptions.open(readOnly: true))
        let repos = try await pulp.repositories(include: .all)
        var scheduleCounts: [String: Int] = [:]
        for s in try await pulp.allSchedules(kinds: [.sync, .publish]) {
            if let r = s.owner.repoId { scheduleCounts[r, default: 0] += 1 }
        }
        switch format {
        case .json:
            let rows: [JSONValue] = repos.map { d in
                [
                    "id": .string(d.repository.id),
                    "importer": .from(d.importers?.first?.typeId),
                    "distributors": .array((d.distributors ?? []).map { .string("\($0.id):\($0.typeId)") }),
                    "schedules": .int(scheduleCounts[d.repository.id] ?? 0),
                    "units": .int(d.repository.totalUnits),
                    "managed": .bool(d.repository.notes["pulpform_managed"] == "true"),
                ]
            }
            print(JSONValue.array(rows).serialized())
        case .table:
            var t = Table(header: ["REPOSITORY", "IMPORTER", "DISTRIBUTORS", "SCHEDULES", "UNITS", "MANAGED"])
            for d in repos {
                t.rows.append([
                    d.repository.id, d.importers?.first?.typeId ?? "-",
                    (d.distributors ?? []).map { "\($0.id) (\($0.typeId))" }.joined(separator: ", ").ifEmpty("-"),
                    String(scheduleCounts[d.repository.id] ?? 0), String(d.repository.totalUnits),
                    d.repository.notes["pulpform_managed"] == "true" ? "yes" : "no",
                ])
            }
            print(t.render(), terminator: "")
            print("\(repos.count) repositories")
        }
    }
}

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List recent tasks and their states.",
        discussion: """
            Newest first. Failed tasks show Pulp's error code and description.

            Examples:
              pulpform tasks
              pulpform tasks --state error --limit 50
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: "How many tasks to show.")
    var limit = 20

    @Option(name: .long, help: "Only tasks in this state (waiting, running, finished, error, canceled, skipped, ...).")
    var state: String?

    @Flag(name: .long, help: "Print JSON task reports to stdout.")
    var json = false

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        if let state, TaskState(rawValue: state) == nil {
            throw ValidationError("unknown state \(state); one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let store = try storeOptions.open(readOnly: true)
        let wanted = state.flatMap(TaskState.init(rawValue:))
        let tasks = try await store.read { db in
            try db.allTasks().map(\.report).filter { wanted == nil || $0.state == wanted }.suffix(limit).reversed()
        }
        if json {
            print(JSONValue.array(tasks.map { .object($0.json()) }).serialized())
            return
        }
        var t = Table(header: ["TASK", "STATE", "TYPE", "RESOURCE", "STARTED", "FINISHED", "ERROR"])
        for r in tasks {
            let error = r.error["code"]?.stringValue.map { "\($0): \(r.error["description"]?.stringValue ?? "")" } ?? ""
            t.rows.append([r.taskId, r.state.rawValue, String(r.taskType.split(separator: ".").last ?? ""),
                           r.tags.first ?? "-", r.startTime?.iso8601 ?? "-", r.finishTime?.iso8601 ?? "-", error])
        }
        print(t.render(), terminator: "")
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
