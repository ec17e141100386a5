import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel
import PulpStore

/// Walks the seed's harness repository through Pulp's operations on the embedded store.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the harness walkthrough on the embedded store.",
        discussion: """
            Creates the repository in the manifest (examples/harness-demo.json by default) with its importer and \
            distributors, syncs it, publishes every distributor and prints each task as it finishes. A repository \
            that already exists is deleted first, so the command can be run again.

            Example:
              pulpform demo --publish-dir /tmp/publish
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("A JSON file with a Pulp repository create body.", valueName: "file"))
    var file: String = "examples/harness-demo.json"

    @Option(name: .long, help: ArgumentHelp("Where harness distributors write files (overrides publish_dir).",
                                            valueName: "dir"))
    var publishDir: String?

    func run() async throws {
        let request: RepositoryCreate
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard case .object(let body) = try JSONValue.parse(data) else {
                throw ValidationError("\(file): the file must hold a JSON object")
            }
            var parsed = try RepositoryCreate.parse(body)
            if let publishDir {
                parsed.distributors = parsed.distributors.map { d in
                    var d = d
                    if d.config["publish_dir"] != nil { d.config["publish_dir"] = .string(publishDir) }
                    return d
                }
            }
            request = parsed
        } catch let e as ValidationError {
            throw e
        } catch let e as PulpError {
            printError("error: \(file): \(e.message)")
            throw ExitCode(1)
        } catch let e as JSONError {
            printError("error: \(file): not JSON: \(e)")
            throw ExitCode(1)
        } catch {
            printError("error: cannot read \(file): \(error.localizedDescription)")
            throw ExitCode(1)
        }

        let store = try storeOptions.open()
        let pulp = LocalPulp(store: store)
        do {
            try await walk(pulp, request)
        } catch let e as PulpError {
            printError("error: \(e.code): \(e.message)")
            throw ExitCode(1)
        }
    }

    func walk(_ pulp: LocalPulp, _ request: RepositoryCreate) async throws {
        guard let id = request.id else { throw PulpError.invalidValue(["repo_id"]) }
        if (try? await pulp.repository(id, include: .none)) != nil {
            let report = try await pulp.deleteRepository(id)
            try await show("delete repository \(id)", pulp, report)
        }
        _ = try await pulp.createRepository(request)
        print("create repository \(id): created")
        try await show("sync \(id)", pulp, try await pulp.sync(repoId: id, overrides: [:]))
        for d in try await pulp.distributors(repoId: id) {
            try await show("publish \(id)/\(d.id)", pulp, try await pulp.publish(repoId: id, distributorId: d.id, overrides: [:]))
        }
        let details = try await pulp.repository(id, include: .all)
        print("repository \(id): \(details.repository.totalUnits) units, "
            + "\(details.distributors?.count ?? 0) distributors, store \(pulp.storePath)")
    }

    func show(_ what: String, _ pulp: LocalPulp, _ report: CallReport) async throws {
        for t in try await pulp.waitForTasks(report.spawnedTasks, followSpawned: true) {
            var line = "\(what): task \(t.taskId) \(t.state.rawValue)"
            if let added = t.result["added_count"]?.intValue { line += " (\(added) units added)" }
            if let code = t.error["code"]?.stringValue { line += " [\(code): \(t.error["description"]?.stringValue ?? "")]" }
            print(line)
            if t.state == .error { throw ExitCode(1) }
        }
    }
}
