import PulpContract
import ArgumentParser
import Foundation
import PulpModel
import Reconciler

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write manifests from the target's current state.",
        discussion: """
            Writes every repository (or those given with --id), every consumer, user and role as a manifest \
            (users without their passwords, which stay as they are). Secrets become \
            {env: NAME} references; the names to set are listed on stderr, never the values. Planning the \
            written manifests right away shows no changes.

            Examples:
              pulpform import --out manifests/imported.yaml
              pulpform import --id zoo --id emu > two.yaml
              pulpform import --only 'rhel-9-*' --exclude consumer.* > rhel9.yaml
            """)

    @OptionGroup var targetOptions: TargetOptions
    @OptionGroup var subsetOptions: SubsetOptions

    @Option(name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Only this repository (repeatable). Consumers, users and roles are left out then.", valueName: "id"))
    var id: [String] = []

    func run() async throws {
        let target = try targetOptions.open(readOnly: true, manifests: [out.map { ($0 as NSString).deletingLastPathComponent } ?? "."])
        var state: ActualState
        do {
            state = try await ActualState.read(from: target.pulp)
            if id.isEmpty {
                do {
                    try await state.readAccess(from: target.pulp, records: [])
                } catch let e as PulpError where e.code == "PLP0026" {  // Pulp answers a missing grant with 401 PLP0026
                    printError("note: users and roles are left out: \(e.message)")
                }
            }
        } catch {
            await target.close()
            printError("error: \(error)")
            throw ExitCode(1)
        }
        await target.close()
        let missing = id.filter { want in !state.repositories.contains { $0.repository.id == want } }
        guard missing.isEmpty else {
            printError("error: no such repository: \(missing.joined(separator: ", "))")
            throw ExitCode(1)
        }
        if let subset = subsetOptions.subset { state = subset.filter(state) }
        let output = ManifestWriter().write(state, repositories: id.isEmpty ? nil : Set(id))
        if let out {
            do {
                try Data(output.yaml.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                printError("error: cannot write \(out): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            printError("Wrote \(out).")
        } else {
            print(output.yaml, terminator: "")
        }
        if !output.environment.isEmpty {
            printError("Set these environment variables before planning:")
            for (name, what) in output.environment { printError("  \(name): \(what)") }
        }
    }
}
