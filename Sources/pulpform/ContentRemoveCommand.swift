import ArgumentParser
import PulpContract
import PulpModel

struct ContentRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove units from a repository, and wait for the task.",
        discussion: """
            Without --type, --filter or --match every unit goes (as in Pulp 2); --all is then required. The units \
            stay in the store until `content orphans --delete`.
            """)

    @Argument(help: "The repository.") var repo: String
    @OptionGroup var selection: UnitSelection
    @Flag(name: .long, help: "Remove every unit (needed when nothing narrows the selection).") var all = false
    @Option(name: .long, help: "human or json.") var format: OutputFormat = .human
    @OptionGroup var targetOptions: TargetOptions

    func validate() throws {
        if selection.criteria == nil && !all { throw ValidationError("nothing selects units: give --type, --filter or --match, or --all") }
    }

    func run() async throws {
        let target = try targetOptions.open(readOnly: false, manifests: [])
        defer { Task { await target.close() } }
        let reports: [TaskReport]
        do {
            reports = try await ContentOutput.wait(target.pulp, try await target.pulp.removeUnits(from: repo, criteria: selection.criteria))
        } catch let e as ExitCode {
            throw e
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if format == .json {
            print(JSONValue.array(reports.map { .object($0.json()) }).serialized())
            return
        }
        let units = ContentOutput.unitsSuccessful(reports)
        for u in units { print(ContentOutput.line(typeId: u["type_id"]?.stringValue ?? "", unit: u["unit_key"] ?? .null)) }
        printError("\(units.count) unit\(units.count == 1 ? "" : "s") removed from \(repo)")
    }
}
