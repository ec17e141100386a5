import ArgumentParser
import Reconciler

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish repositories through their distributors, and wait for the tasks.",
        discussion: """
            Publishes each repository through every one of its distributors (or only --distributor), then \
            follows the tasks to the end, with progress on stderr and one result line per task on stdout.

            Exit codes: 0 every task finished, 1 a task failed or could not be started.

            Examples:
              pulpform publish centos-8-baseos
              pulpform publish --distributor yum_distributor centos-8-baseos centos-8-appstream
            """)

    @OptionGroup var options: RepositoryActionOptions
    @OptionGroup var targetOptions: TargetOptions

    @Option(name: .long, help: ArgumentHelp("Publish through this distributor only.", valueName: "id"))
    var distributor: String?

    func validate() throws {
        try options.validate(target: targetOptions)
    }

    func run() async throws {
        try await RepositoryActionRunner(action: .publish, options: options, targetOptions: targetOptions, distributorId: distributor).run()
    }
}
