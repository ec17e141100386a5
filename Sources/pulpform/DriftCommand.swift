import ArgumentParser
import Foundation
import PulpModel
import Reconciler

struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Check, read-only, whether the target still matches the manifests (for nightly CI).",
        discussion: """
            Opens the store read-only and tells apart manifest changes that are not applied yet from changes \
            made outside pulpform since the last apply.

            Exit codes: 0 in sync, 2 manifest changes not applied yet, 3 objects changed outside pulpform, \
            5 both, 1 error.

            Examples:
              pulpform drift manifests/
              pulpform drift --format junit manifests/ > drift.xml
              pulpform drift --target https://pulp.example.com/ --credentials ci-creds.json manifests/
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case human, json, junit, jsonl }

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var targetOptions: TargetOptions
    @OptionGroup var subsetOptions: SubsetOptions

    @Option(name: .long, help: "Output format: human, json, junit, or jsonl (an event per line: schemas/events.schema.json).")
    var format: Format = .human

    @Flag(name: .long, help: "Count managed objects gone from the manifests as pending deletions.")
    var prune = false

    func run() async throws {
        if format == .jsonl { EventOutput.start() }
        let manifest = try manifests.load()
        let target = try targetOptions.open(readOnly: true, manifests: manifests.paths)
        let r = try await target.reconcile(manifest, prune: prune, subset: subsetOptions.subset)
        AtExit.keep(manifest, r)
        let report = r.drift
        switch format {
        case .human:
            if let subset = subsetOptions.subset { print("Partial check (\(subset)): the other objects were not read.") }
            for item in report.items { print("\(item.kind.rawValue): \(item.address): \(item.detail)") }
            for address in report.accepted {
                print("accepted: \(address): differs from the manifests as accepted by apply --accept-drift (pulpform import --update writes it into the manifests)")
            }
            print(report.summary)
        case .json:
            let o: JSONValue = [
                "format_version": .string(PlanRenderer.formatVersion),
                "exit_code": .int(Int(report.exitCode)),
                "checked": .int(report.checked.count),
                "complete": .bool(subsetOptions.subset == nil),
                "accepted": .array(report.accepted.map(JSONValue.string)),
                "items": .array(report.items.map { ["address": .string($0.address), "kind": .string($0.kind.rawValue),
                                                     "detail": .string($0.detail)] }),
            ]
            print(o.serialized())
        case .jsonl:
            EventOutput.emit(MachineEvents.drift(report))
            EventOutput.emit(MachineEvents.changeSummary(report, complete: subsetOptions.subset == nil))
        case .junit:
            print(JUnitRenderer.drift(report), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
