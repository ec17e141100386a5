import ArgumentParser
import PulpContract
import PulpModel

struct ContentSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "List a repository's units that match.",
        discussion: "One line per unit on stdout: type, NEVRA or name, unit id (--format json: Pulp's association records).")

    @Argument(help: "The repository.") var repo: String
    @OptionGroup var selection: UnitSelection
    @Option(name: .long, help: "human or json.") var format: OutputFormat = .human
    @OptionGroup var targetOptions: TargetOptions

    func run() async throws {
        let target = try targetOptions.open(readOnly: true, manifests: [])
        try await target.closing {
            let records: [JSONValue]
            do {
                records = try await target.pulp.searchRepositoryUnits(repo, criteria: selection.criteria ?? [:])
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            if format == .json {
                print(JSONValue.array(records).serialized())
                return
            }
            for r in records { print(ContentOutput.line(typeId: r["unit_type_id"]?.stringValue ?? "", unit: r["metadata"] ?? .null)) }
        }
    }
}
