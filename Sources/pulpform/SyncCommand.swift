import ArgumentParser
import Reconciler

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync repositories from their feeds, and wait for the tasks.",
        discussion: """
            Starts a sync task for each repository, then follows the tasks (and the publishes that auto_publish \
            distributors spawn) to the end. On a terminal a live line shows the step, packages and bytes; \
            otherwise one line per step goes to stderr. Each task's result is a line on stdout (--format json: \
            the task reports).

            Exit codes: 0 every task finished, 1 a task failed or could not be started.

            Examples:
              pulpform sync centos-8-baseos centos-8-appstream
              pulpform sync --content-dir /srv/pulpform/content rhel-9-baseos
              PULPFORM_PASSWORD=... pulpform sync --target https://pulp.example.com/ rhel-9-baseos
            """)

    @OptionGroup var options: RepositoryActionOptions
    @OptionGroup var targetOptions: TargetOptions

    func validate() throws {
        try options.validate(target: targetOptions)
    }

    func run() async throws {
        try await RepositoryActionRunner(action: .sync, options: options, targetOptions: targetOptions).run()
    }
}
