import ArgumentParser

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print pulpform's version.",
                                                        discussion: "Example:\n  pulpform version")

    func run() {
        print("pulpform \(PulpformVersion.current)")
    }
}
