import ArgumentParser

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print pulpform's version.")

    func run() {
        print("pulpform \(PulpformVersion.current)")
    }
}
