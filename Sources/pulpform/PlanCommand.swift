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
              pulpform plan --out release.plan manifests/ && pulpform apply release.plan
              pulpform plan --only 'rhel-9-*' --exclude '*-beta' manifests/
              pulpform plan --accept-drift manifests/
              PULPFORM_PASSWORD=... pulpform plan --target https://pulp.example.com/ manifests/
            """)

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var targetOptions: TargetOptions
    @OptionGroup var subsetOptions: SubsetOptions
    @OptionGroup var detail: DetailOptions

    @Option(name: .long, help: "Output format: human, json, markdown, or jsonl (an event per line: schemas/events.schema.json).")
    var format: OutputFormat = .human

    @Flag(name: .long, help: "Also delete managed repositories and consumers that are gone from the manifests.")
    var prune = false

    @Option(name: .long, help: ArgumentHelp("Lift the deletion guard of protect: true for this run, for a repository or consumer id (repeatable; * and ? globs).",
                                            valueName: "id"))
    var allowDestroy: [String] = []

    @Flag(name: .long, help: "Preview `apply --accept-drift`: record the target's state of objects changed outside pulpform as applied, changing nothing on the target.")
    var acceptDrift = false

    @Option(name: .long, help: ArgumentHelp("Save the plan to this file, for `pulpform apply FILE`. It holds no secret.",
                                            valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "Exit 0 with no changes, 2 for pending manifest changes, 3 for changes made outside pulpform, 5 for both.")
    var detailedExitcode = false

    func run() async throws {
        if format == .jsonl { EventOutput.start() }
        let manifest = try manifests.load()
        let target = try targetOptions.open(readOnly: false, manifests: manifests.paths)
        var r = try await target.reconcile(manifest, prune: prune, allowDestroy: allowDestroy, guarded: !acceptDrift,
                                           subset: subsetOptions.subset)
        AtExit.keep(manifest, r)
        if acceptDrift { r = r.replacingPlan(r.acceptingDrift()) }
        Trace.phase("render") {
            switch format {
            case .human:
                PlanRenderer.human(r.plan, color: Terminal.stdoutColor, maxDetail: detail.limit) { print($0, terminator: "") }
            case .json: print(PlanRenderer.json(r.plan, pulpformVersion: PulpformVersion.current, target: target.description).serialized())
            case .jsonl:
                EventOutput.emit(MachineEvents.drift(r.drift))
                EventOutput.emit(MachineEvents.plannedChanges(r.plan))
                EventOutput.emit(MachineEvents.changeSummary(r.plan, operation: "plan"))
            case .markdown:
                print(detail.full ? PlanRenderer.markdown(r.plan)
                          : PlanRenderer.markdown(r.plan, maxDetail: detail.maxDetail, fullPlan: out), terminator: "")
            }
        }
        if let out {
            let saved = SavedPlan(plan: r.plan, guards: r.planner.guards(for: r.plan, in: r.actual), target: target.description,
                                  createdAt: PulpDateTime(Date()).iso8601)
            do {
                try PlanFile.encode(saved).serializedData().write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                printError("error: cannot write the plan to \(out): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            printError("Saved the plan to \(out). Apply exactly these steps with: pulpform apply \(out)")
        }
        if detailedExitcode, r.detailedExitCode != 0 { throw ExitCode(r.detailedExitCode) }
    }
}
