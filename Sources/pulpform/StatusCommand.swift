import ArgumentParser
import PulpContract
import PulpCore
import PulpModel
import PulpStore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the embedded store holds.",
        discussion: "Opens (and if needed creates and migrates) the store, then prints its migrations and resource counts.\n\nExample:\n  pulpform status --json")

    @OptionGroup var storeOptions: StoreOptions

    @Flag(name: .long, help: "Print JSON to stdout instead of text.")
    var json = false

    func run() async throws {
        let store = try storeOptions.open()
        let pulp = LocalPulp(store: store)
        let repos = try await pulp.repositories(include: .all)
        let tasks = try await store.read { db in try db.allTasks().map(\.report.state) }
        let schedules = try await store.read { db in try db.allSchedules().count }
        let consumers = try await pulp.consumers().count
        let migrations = try store.appliedMigrations()
        if json {
            var byState = JSONObject()
            for s in tasks { byState[s.rawValue] = .int((byState[s.rawValue]?.intValue ?? 0) + 1) }
            let o: JSONValue = [
                "store": .string(store.path),
                "migrations": .array(migrations.map(JSONValue.string)),
                "repositories": .int(repos.count),
                "distributors": .int(repos.reduce(0) { $0 + ($1.distributors?.count ?? 0) }),
                "schedules": .int(schedules),
                "consumers": .int(consumers),
                "tasks": .object(byState),
            ]
            print(o.serialized())
        } else {
            print("store:        \(store.path)")
            print("migrations:   \(migrations.joined(separator: ", "))")
            print("repositories: \(repos.count)")
            print("distributors: \(repos.reduce(0) { $0 + ($1.distributors?.count ?? 0) })")
            print("schedules:    \(schedules)")
            print("consumers:    \(consumers)")
            print("tasks:        \(tasks.count)")
        }
    }
}
