import ArgumentParser
import Foundation
import PulpModel
import Reconciler

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Bring the target to the manifests, running the plan as Pulp tasks.",
        discussion: """
            Shows the plan and, on a terminal, asks for confirmation (--auto-approve skips the question). \
            The steps run as Pulp tasks in one task group: repositories in parallel (--parallelism), the steps \
            of one repository in order. A failed step skips the rest of its repository; the others go on. \
            One apply at a time may touch a store.

            Exit codes: 0 every task finished, 1 an error or a failed step.

            Example:
              pulpform apply --auto-approve examples/quickstart
            """)

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(name: .long, help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Flag(name: .long, help: "Also delete managed repositories and consumers that are gone from the manifests.")
    var prune = false

    @Option(name: .long, help: "How many repositories to work on at once.")
    var parallelism = 4

    @Option(name: .long, help: "Report format: human or json (the apply report on stdout; progress goes to stderr).")
    var format: OutputFormat = .human

    func validate() throws {
        guard parallelism >= 1, parallelism <= 256 else { throw ValidationError("--parallelism must be between 1 and 256") }
        guard format != .markdown else { throw ValidationError("apply reports as human or json") }
    }

    func run() async throws {
        let manifest = try manifests.load()
        let store = try storeOptions.open()
        let lock: ApplyLock
        do {
            lock = try ApplyLock(storePath: store.path)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let target = EmbeddedTarget(store: store, workers: parallelism)
        let r = try await Reconciliation.make(manifest: manifest, pulp: target.pulp, state: target.state, prune: prune)
        let plan = r.plan
        if format == .human {
            print(PlanRenderer.human(plan, color: Terminal.stdoutColor), terminator: "")
        }
        if plan.hasChanges && !autoApprove {
            guard Terminal.stdinIsTerminal else {
                printError("error: apply needs --auto-approve when not run on a terminal")
                throw ExitCode(1)
            }
            print("\nDo you want to perform these actions? Only 'yes' will be accepted: ", terminator: "")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                printError("Apply cancelled.")
                throw ExitCode(1)
            }
        }
        if plan.steps.isEmpty {
            if format == .json { print(PlanRenderer.json(ApplyReport(groupId: "", results: [], summary: .init())).serialized()) }
            return
        }
        let report = await Applier(pulp: target.pulp, state: target.state, secrets: SecretResolver(), parallelism: parallelism)
            .apply(plan) { event in
                if case .ended(let result) = event, result.step.action != nil || result.state != .finished {
                    printError(PlanRenderer.line(result))
                }
            }
        withExtendedLifetime(lock) {}
        switch format {
        case .json: print(PlanRenderer.json(report).serialized())
        default: print(PlanRenderer.human(report), terminator: "")
        }
        if !report.succeeded { throw ExitCode(1) }
    }
}
