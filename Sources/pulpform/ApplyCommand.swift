import PulpStore
import PulpCore
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

            Given a plan file saved by `plan --out`, applies exactly its steps without asking, after checking \
            that none of the objects it touches changed since; if any did, it refuses and names them.

            Exit codes: 0 every task finished, 1 an error or a failed step, 4 a stale saved plan.

            Examples:
              pulpform apply --auto-approve examples/quickstart
              pulpform apply release.plan
              pulpform apply --accept-drift --auto-approve manifests/
              PULPFORM_PASSWORD=... pulpform apply --auto-approve --target https://pulp.example.com/ manifests/
            """)

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var targetOptions: TargetOptions
    @OptionGroup var subsetOptions: SubsetOptions
    @OptionGroup var detail: DetailOptions

    @Flag(name: .long, help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Flag(name: .long, help: "Also delete managed repositories and consumers that are gone from the manifests.")
    var prune = false

    @Option(name: .long, help: ArgumentHelp("Lift the deletion guard of protect: true for this run, for a repository or consumer id (repeatable; * and ? globs).",
                                            valueName: "id"))
    var allowDestroy: [String] = []

    @Flag(name: .long, help: "Change nothing on the target: record its current state of objects changed outside pulpform as applied, so that drift and plans accept it (Terraform's -refresh-only).")
    var acceptDrift = false

    @Option(name: .long, help: ArgumentHelp("How many repositories to work on at once.",
                                            discussion: "Default: 32 on the embedded store (their writes share transactions), 4 against a live server."))
    var parallelism: Int?

    /// The repositories worked on at once.
    var units: Int { parallelism ?? (targetOptions.target == nil ? 32 : 4) }

    @Option(name: .long, help: "Report format: human, json, or jsonl (events as they happen: schemas/events.schema.json). The report goes to stdout, progress to stderr.")
    var format: OutputFormat = .human

    func validate() throws {
        if let parallelism, !(1...256).contains(parallelism) { throw ValidationError("--parallelism must be between 1 and 256") }
        guard format != .markdown else { throw ValidationError("apply reports as human, json or jsonl") }
    }

    /// A single argument holding a saved plan (JSON), rather than manifests.
    var planFile: String? {
        guard manifests.paths.count == 1, let path = manifests.paths.first, !path.hasSuffix(".yaml"), !path.hasSuffix(".yml") else {
            return nil
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{") ? path : nil
    }

    func run() async throws {
        if format == .jsonl { EventOutput.start() }
        let saved = try planFile.map(loadPlan)
        if saved != nil, subsetOptions.subset != nil {
            printError("error: a saved plan applies exactly its steps: give --only and --exclude to plan --out instead")
            throw ExitCode(1)
        }
        let manifest = saved == nil ? try manifests.load() : Manifest()
        let target = try targetOptions.open(readOnly: false, workers: units, manifests: manifests.paths)
        // One apply at a time per embedded store.
        let lock: ApplyLock?
        do {
            lock = try target.locker.lockApply()
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        // A previous apply was killed: its tasks that never ran will never run.
        if let dead = try await target.applyTarget.recoverAbandoned() {
            printError("A previous apply (task group \(dead)) was interrupted; its unfinished tasks are canceled.")
        }
        let plan: Plan
        do {
            if let saved {
                try await check(saved, against: target)
                plan = saved.plan
            } else {
                let r = try await Reconciliation.make(manifest: manifest, pulp: target.pulp, state: target.state, prune: prune,
                                                      drift: acceptDrift, allowDestroy: allowDestroy, subset: subsetOptions.subset)
                plan = acceptDrift ? r.acceptingDrift() : try r.guarded().plan
            }
        } catch let e as ExitCode {
            await target.close()
            throw e
        } catch {
            await target.close()
            printFailure(error)
            throw ExitCode(1)
        }
        // Not needed past the plan: freed on another core, and its memory reused by the apply.
        let done = consume manifest
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(done) {} }
        // With nothing to confirm and stdout a file of its own, the plan is written on one core while the store
        // writes it: the text is the same, and no line of it can land among the progress lines on stderr.
        var rendering: DispatchGroup?
        defer { rendering?.wait() }
        if format == .jsonl {
            EventOutput.emit(MachineEvents.plannedChanges(plan))
            EventOutput.emit(MachineEvents.changeSummary(plan, operation: "plan"))
        }
        if format == .human {
            if plan.hasChanges, !plan.acceptsDrift, autoApprove || saved != nil, Terminal.stdoutIsApartFile {
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) {
                    Trace.phase("render plan (alongside)") {
                        PlanRenderer.human(plan, maxDetail: detail.limit, cores: 1) { print($0, terminator: "") }
                    }
                }
                rendering = group
            } else {
                Trace.phase("render plan") {
                    PlanRenderer.human(plan, color: Terminal.stdoutColor, maxDetail: detail.limit) { print($0, terminator: "") }
                }
            }
        }
        if (plan.hasChanges || !plan.accepting.isEmpty) && !autoApprove && saved == nil {
            guard Terminal.stdinIsTerminal else {
                printError("error: apply needs --auto-approve when not run on a terminal")
                throw ExitCode(1)
            }
            guard format != .jsonl else {
                printError("error: apply --format jsonl needs --auto-approve (or a saved plan)")
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
            if format == .jsonl { EventOutput.emit(MachineEvents.applySummary(ApplyReport(groupId: "", results: [], summary: .init()))) }
            await target.close()
            return
        }
        let progress = ApplyProgress(total: plan.steps.count, live: Terminal.stderrIsTerminal)
        let jsonl = format == .jsonl
        let onEvent: @Sendable (ApplyEvent) -> Void = { event in
            if jsonl { EventOutput.emit(MachineEvents.apply(event)) } else { progress.handle(event) }
        }
        let report = try await Trace.phase("apply") {
            try await target.applyTarget.apply(plan, parallelism: units, source: manifests.paths.joined(separator: " "), progress: onEvent).report
        }
        if !jsonl { progress.finish() }
        rendering?.wait()
        AtExit.keep(plan, report)
        await target.close()
        withExtendedLifetime(lock) {}
        Trace.phase("render report") {
            switch format {
            case .json: print(PlanRenderer.json(report).serialized())
            case .jsonl: EventOutput.emit(MachineEvents.applySummary(report))
            default: print(PlanRenderer.human(report), terminator: "")
            }
        }
        if !report.succeeded { throw ExitCode(1) }
    }

    func loadPlan(_ path: String) throws -> SavedPlan {
        do {
            guard let data = FileManager.default.contents(atPath: path) else { throw PlanFileError(message: "cannot read the file") }
            return try PlanFile.decode(try JSONValue.parse(data))
        } catch let e as JSONError {
            printError("error: \(path): not a plan file: \(e)")
        } catch {
            printError("error: \(path): \(error)")
        }
        throw ExitCode(1)
    }

    /// Refuses (exit 4) when an object the plan touches changed since it was made.
    func check(_ saved: SavedPlan, against target: ReconcileTarget) async throws {
        guard saved.target == target.description else {
            printError("error: the plan was made for \(saved.target), not \(target.description)")
            throw ExitCode(1)
        }
        let units = saved.guards.keys.sorted()
        let now = try await ActualState.read(units: units, from: target.pulp, reconciler: target.state)
        let current = try await Reconciliation.guardPlanner(state: target.state).guards(for: Plan(steps: saved.plan.steps), in: now)
        let stale = units.filter { current[$0] != saved.guards[$0] }
        guard stale.isEmpty else {
            for unit in stale {
                let what = unit.replacingOccurrences(of: ":", with: ".")
                let why = saved.guards[unit] == SavedPlan.absent ? "was created" : current[unit] == SavedPlan.absent ? "was deleted" : "changed"
                printError("stale: \(what) \(why) since the plan was made")
            }
            printError("error: the saved plan is stale (\(stale.count) object\(stale.count == 1 ? "" : "s")); plan again")
            throw ExitCode(4)
        }
    }
}
