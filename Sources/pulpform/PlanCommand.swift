import ArgumentParser
import Foundation
import PulpModel
import Reconciler

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the steps that would bring the target to the manifests.",
        discussion: """
            Reads the manifests and the target, and prints an ordered plan: repositories, then importers, \
            distributors and schedules; deletions in reverse. Nothing is changed.

            Exit codes: 0 success, 1 error. With --detailed-exitcode, the codes of `pulpform drift`: \
            0 no changes, 2 manifest changes not applied yet, 3 objects changed outside pulpform since the last \
            apply, 5 both.

            Examples:
              pulpform plan examples/quickstart
              pulpform plan --format json examples/rhui > plan.json
              pulpform plan --format markdown manifests/ > comment.md
            """)

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: "Output format: human, json or markdown.")
    var format: OutputFormat = .human

    @Flag(name: .long, help: "Also delete managed repositories and consumers that are gone from the manifests.")
    var prune = false

    @Flag(name: .long, help: "Exit 0 with no changes, 2 for pending manifest changes, 3 for changes made outside pulpform, 5 for both.")
    var detailedExitcode = false

    func run() async throws {
        let manifest = try manifests.load()
        let target = EmbeddedTarget(store: try storeOptions.open())
        let r = try await Reconciliation.make(manifest: manifest, pulp: target.pulp, state: target.state, prune: prune)
        switch format {
        case .human: print(PlanRenderer.human(r.plan, color: Terminal.stdoutColor), terminator: "")
        case .json: print(PlanRenderer.json(r.plan, pulpformVersion: PulpformVersion.current, target: target.description).serialized())
        case .markdown: print(PlanRenderer.markdown(r.plan), terminator: "")
        }
        if detailedExitcode, r.detailedExitCode != 0 { throw ExitCode(r.detailedExitCode) }
    }
}
