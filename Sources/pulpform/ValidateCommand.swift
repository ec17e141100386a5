import ArgumentParser
import Reconciler

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests without reading any target.",
        discussion: """
            Reports every problem at once as file:line:column: message, and exits 1 if there is any. \
            Checks keys, types, ids, the plugin catalog, schedules and that every secret can be read. \
            With --store, also checks that the store opens (read-only).

            Example:
              pulpform validate examples/quickstart
            """)

    @OptionGroup var manifests: ManifestOptions

    @Option(name: .long, help: ArgumentHelp("Also check that this store opens.", valueName: "path"))
    var store: String?

    func run() throws {
        let m = try manifests.load()
        if let store { _ = try StoreOptions(store: store).open(readOnly: true) }
        print("The manifests are valid: \(m.repositories.count) repositories, \(m.consumers.count) consumers in \(m.files.count) files.")
    }
}
