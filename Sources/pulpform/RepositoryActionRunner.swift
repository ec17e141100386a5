import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel
import Reconciler
import Synchronization

/// The options `sync` and `publish` share.
struct RepositoryActionOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Repository ids.", valueName: "repo"))
    var repos: [String] = []

    @Flag(name: .long, help: "Start the tasks and print their ids without waiting (with --target only).")
    var noWait = false

    @Option(name: .long, help: "Report format: human or json (results on stdout; progress goes to stderr).")
    var format: OutputFormat = .human

    func validate(target: TargetOptions) throws {
        guard !repos.isEmpty else { throw ValidationError("name at least one repository") }
        guard format != .markdown else { throw ValidationError("results are reported as human or json") }
        if noWait, target.target == nil {
            throw ValidationError("--no-wait needs --target: on the embedded store the tasks run in this process")
        }
    }
}

/// Runs `sync` or `publish`: dispatches the tasks, follows them with progress on stderr, prints one result per
/// task on stdout. Exit 1 when any task did not finish or could not be started.
struct RepositoryActionRunner {
    let action: RepositoryAction
    let options: RepositoryActionOptions
    let targetOptions: TargetOptions
    var distributorId: String?

    func run() async throws {
        let target = try targetOptions.open(readOnly: false, manifests: [])
        // On the embedded store the tasks run here: the wait ends as soon as one of them does.
        let local = target.embedded?.pulp
        var wait: (@Sendable ([String], Duration) async throws -> Void)?
        if let local { wait = { ids, timeout in await local.waitForAnyTask(ids, timeout: timeout) } }
        let actions = RepositoryActions(pulp: target.pulp, pollInterval: .milliseconds(local == nil ? 500 : 200), wait: wait)
        let runs = await actions.start(action, repoIds: options.repos, distributorId: distributorId)
        for run in runs {
            if let failure = run.failure {
                printError("error: \(run.repoId): \(run.action.rawValue)\(run.distributorId.map { " \($0)" } ?? ""): \(failure)")
            }
        }
        let started = runs.filter { $0.failure == nil }
        var reports: [TaskReport] = []
        if options.noWait {
            reports = (try? await target.pulp.tasks(ids: started.flatMap(\.taskIds))) ?? []
        } else if !started.isEmpty {
            let progress = ActionProgress(live: Terminal.stderrIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
            do {
                reports = try await actions.follow(started, onPoll: progress.update)
                progress.finish()
            } catch {
                progress.finish()
                await target.close()
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
        await target.close()
        switch options.format {
        case .json:
            print(JSONValue.array(reports.map { .object($0.json()) }).serialized())
        default:
            for report in reports {
                let task = TaskProgress(report)
                print(options.noWait ? "\(task.repoId): \(task.action) \(report.state.rawValue): task \(report.taskId)"
                                     : TaskProgressView.resultLine(report))
            }
        }
        let ok = runs.allSatisfy { $0.failure == nil } && reports.allSatisfy { options.noWait || $0.state == .finished }
        if !ok { throw ExitCode(1) }
    }
}

/// Task progress on stderr: a live status line with a bar on a terminal, one line per step change otherwise.
final class ActionProgress: Sendable {
    private let live: Bool
    private let seen = Mutex<[String: String]>([:])

    init(live: Bool) {
        self.live = live
    }

    func update(_ reports: [TaskReport]) {
        let tasks = reports.map(TaskProgress.init)
        if live {
            write("\r\u{1B}[K" + TaskProgressView.status(tasks))
            return
        }
        var text = ""
        seen.withLock { seen in
            for (report, task) in zip(reports, tasks) where !report.state.isComplete {
                let key = "\(task.state.rawValue) \(task.step ?? "")"
                if seen[report.taskId] != key {
                    seen[report.taskId] = key
                    text += TaskProgressView.stepLine(task) + "\n"
                }
            }
        }
        if !text.isEmpty { write(text) }
    }

    func finish() {
        if live { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
