import ArgumentParser
import PulpContract
import PulpModel

struct ContentOrphansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orphans",
        abstract: "Count the units no repository holds; with --delete, delete them and their files.",
        discussion: "One line per type with orphans: type and count (--format json: Pulp's summary).")

    @Flag(name: .long, help: "Delete the orphans (all, or those of --type) and wait for the task.") var delete = false
    @Option(name: .customLong("type"), help: "Only this unit type (with --delete).") var typeId: String?
    @Option(name: .long, help: "human or json.") var format: OutputFormat = .human
    @OptionGroup var targetOptions: TargetOptions

    func validate() throws {
        if typeId != nil && !delete { throw ValidationError("--type goes with --delete") }
    }

    func run() async throws {
        let target = try targetOptions.open(readOnly: !delete, manifests: [])
        try await target.closing {
            do {
                if delete {
                    let before = try await target.pulp.orphanSummary()
                    _ = try await ContentOutput.wait(target.pulp, try await target.pulp.deleteOrphans(typeId: typeId, unitId: nil))
                    let deleted = before.filter { typeId == nil || $0.key == typeId }.reduce(0) { $0 + ($1.value["count"]?.intValue ?? 0) }
                    printError("\(deleted) orphan\(deleted == 1 ? "" : "s") deleted")
                }
                let summary = try await target.pulp.orphanSummary()
                if format == .json {
                    print(JSONValue.object(summary).serialized())
                    return
                }
                for (type, v) in summary.sorted(by: { $0.key < $1.key }) where (v["count"]?.intValue ?? 0) > 0 {
                    print("\(type)\t\(v["count"]?.intValue ?? 0)")
                }
            } catch let e as ExitCode {
                throw e
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
