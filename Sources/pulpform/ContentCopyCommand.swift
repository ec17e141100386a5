import ArgumentParser
import PulpContract
import PulpModel

struct ContentCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy units from one repository to another (promotion), and wait for the task.",
        discussion: "Prints each unit copied (--format json: the task reports). Exit 1 if the copy failed.")

    @Option(name: .long, help: "The source repository.") var from: String
    @Option(name: .long, help: "The destination repository.") var to: String
    @OptionGroup var selection: UnitSelection
    @Option(name: .long, help: "human or json.") var format: OutputFormat = .human
    @OptionGroup var targetOptions: TargetOptions

    func run() async throws {
        let target = try targetOptions.open(readOnly: false, manifests: [])
        try await target.closing {
            try await ContentOutput.runUnitTask(target.pulp, format: format, summary: { "\($0) unit\($0 == 1 ? "" : "s") copied from \(from) to \(to)" }) {
                try await target.pulp.copyUnits(into: to, from: from, criteria: selection.criteria, overrides: [:])
            }
        }
    }
}
