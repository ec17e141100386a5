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
              pulpform import --update manifests/

            With --update, the manifests given are rewritten in place instead: each repository and consumer \
            changed outside pulpform (accepted with apply --accept-drift or not) gets the target's values, and \
            nothing else in the files moves, so the git diff shows exactly the change. What cannot be written \
            back that way (an object from a matrix entry, a secret, a block scalar) is listed, exit 1.
            """)

    @OptionGroup var targetOptions: TargetOptions
    @OptionGroup var subsetOptions: SubsetOptions

    @Option(name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Only this repository (repeatable). Consumers, users and roles are left out then.", valueName: "id"))
    var id: [String] = []

    @Flag(name: .long, help: "Rewrite the manifests given as arguments in place, so that the entries of objects changed outside pulpform (accepted or not) say what the target has; comments and layout stay.")
    var update = false

    @Argument(help: ArgumentHelp("With --update: the manifest files or directories to rewrite.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        if !update, !paths.isEmpty { throw ValidationError("manifest paths go with --update (import writes new manifests with --out)") }
        if update, out != nil || !id.isEmpty { throw ValidationError("--update rewrites the manifests in place: --out and --id do not apply") }
    }

    func run() async throws {
        if update { return try await rewrite() }
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

    /// `--update`: the manifests' entries rewritten where the target differs.
    func rewrite() async throws {
        let paths = self.paths.isEmpty ? ["."] : self.paths
        var loader = ManifestLoader()
        loader.fingerprinting = true
        let manifest: Manifest
        do {
            manifest = try loader.load(paths: paths)
        } catch {
            printFailure(error)
            throw ExitCode(1)
        }
        let target = try targetOptions.open(readOnly: true, manifests: paths)
        let r = try await target.reconcile(manifest, prune: false, subset: subsetOptions.subset)
        let changes = r.manifestUpdates()
        let result = ManifestEditor().update(files: manifest.files, changes: changes)
        for (file, text) in result.files.sorted(by: { $0.key < $1.key }) {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                printError("error: cannot write \(file): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        for e in result.edits { print("\(e.mark): \(e.address): \(e.path) updated") }
        for u in result.unresolved { printError("left: \(u)") }
        let objects = Set(result.edits.map(\.address)).count
        print("Updated \(result.edits.count) field\(result.edits.count == 1 ? "" : "s") of \(objects) object\(objects == 1 ? "" : "s") in "
              + "\(result.files.count) file\(result.files.count == 1 ? "" : "s")"
              + (result.unresolved.isEmpty ? "." : "; \(result.unresolved.count) left to change by hand (above)."))
        if !result.unresolved.isEmpty { throw ExitCode(1) }
    }
}
