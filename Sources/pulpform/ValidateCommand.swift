import ArgumentParser
import Reconciler

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests without reading any target.",
        discussion: """
            Reports every problem at once as file:line:column: message, and exits 1 if there is any. \
            Checks keys, types, ids, the plugin catalog, schedules and that every secret can be read.

            Example:
              pulpform validate examples/quickstart
            """)

    @OptionGroup var manifests: ManifestOptions

    func run() throws {
        let m = try manifests.load()
        print("The manifests are valid: \(m.repositories.count) repositories, \(m.consumers.count) consumers in \(m.files.count) files.")
    }
}
