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
        try await target.closing {
            try await ContentOutput.runUnitTask(target.pulp, format: format, summary: { "\($0) unit\($0 == 1 ? "" : "s") removed from \(repo)" }) {
                try await target.pulp.removeUnits(from: repo, criteria: selection.criteria)
            }
        }
    }
}
