import ArgumentParser
import Foundation
import PulpContract
import PulpModel

/// `pulpform content …`: the content APIs (pulp2-content.md §4) on the embedded store or `--target`.
struct ContentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content",
        abstract: "Search, copy, remove and upload content units; list and delete orphans.",
        discussion: """
            The same operations release tooling makes through Pulp's API, on the embedded store or a live server \
            (--target). Units are selected with --type (repeatable) and --filter FIELD=VALUE or --match \
            FIELD=REGEX (repeatable, all must hold).

            Examples:
              pulpform content search rhel-9-staging --type rpm --match name=^kernel
              pulpform content copy --from rhel-9-staging --to rhel-9-prod --type rpm --filter name=bash
              pulpform content remove rhel-9-prod --type rpm --filter name=bash
              pulpform content upload isos ./images/boot.iso --name images/boot.iso
              pulpform content orphans --delete
            """,
        subcommands: [ContentSearchCommand.self, ContentCopyCommand.self, ContentRemoveCommand.self, ContentUploadCommand.self,
                      ContentOrphansCommand.self])
}

/// The unit selection `search`, `copy` and `remove` share.
struct UnitSelection: ParsableArguments {
    @Option(name: .customLong("type"), help: ArgumentHelp("A unit type (rpm, srpm, erratum, iso, …); repeatable.", valueName: "type"))
    var types: [String] = []

    @Option(name: .customLong("filter"), help: ArgumentHelp("Units whose FIELD equals VALUE; repeatable.", valueName: "field=value"))
    var filters: [String] = []

    @Option(name: .customLong("match"), help: ArgumentHelp("Units whose FIELD matches the regular expression; repeatable.",
                                                           valueName: "field=regex"))
    var matches: [String] = []

    @Option(name: .long, help: "At most this many units.")
    var limit: Int?

    func validate() throws {
        for f in filters + matches where !f.contains("=") || f.hasPrefix("=") {
            throw ValidationError("\(f): expected FIELD=VALUE")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    /// Pulp's unit association criteria; nil when nothing narrows the selection.
    var criteria: JSONValue? {
        var c: JSONObject = [:]
        if !types.isEmpty { c["type_ids"] = .array(types.map(JSONValue.string)) }
        var unit: JSONObject = [:]
        func split(_ s: String) -> (String, String) {
            let i = s.firstIndex(of: "=") ?? s.endIndex
            return (String(s[..<i]), String(s[s.index(after: i)...]))
        }
        for f in filters {
            let (k, v) = split(f)
            unit[k] = .string(v)
        }
        for m in matches {
            let (k, v) = split(m)
            unit[k] = ["$regex": .string(v)]
        }
        if !unit.isEmpty { c["filters"] = ["unit": .object(unit)] }
        if let limit { c["limit"] = .int(limit) }
        return c.isEmpty ? nil : .object(c)
    }
}

enum ContentOutput {
    /// One line for a unit: its type, id and what names it (NEVRA, file name or id).
    static func line(typeId: String, unit: JSONValue) -> String {
        func s(_ k: String) -> String { unit[k]?.stringValue ?? "" }
        let label: String
        switch typeId {
        case "rpm", "srpm", "drpm":
            let epoch = s("epoch")
            label = "\(s("name"))-\(epoch.isEmpty || epoch == "0" ? "" : epoch + ":")\(s("version"))-\(s("release")).\(s("arch"))"
        case "iso": label = "\(s("name")) (\(unit["size"]?.intValue ?? 0) bytes)"
        default: label = s("id").isEmpty ? s("data_type") : s("id")
        }
        return s("_id").isEmpty ? "\(typeId)\t\(label)" : "\(typeId)\t\(label)\t\(s("_id"))"
    }

    /// Waits for a call's tasks; prints a failure and exits 1 unless every task finished.
    static func wait(_ pulp: any PulpService, _ report: CallReport) async throws -> [TaskReport] {
        let reports = try await pulp.waitForTasks(report.spawnedTasks, followSpawned: true)
        for r in reports where r.state != .finished {
            let message = r.error["description"]?.stringValue ?? r.state.rawValue
            printError("error: task \(r.taskId) (\(r.taskType)): \(message)")
        }
        if reports.contains(where: { $0.state != .finished }) { throw ExitCode(1) }
        return reports
    }

    /// `units_successful` of a copy or remove, as lines.
    static func unitsSuccessful(_ reports: [TaskReport]) -> [JSONValue] {
        reports.flatMap { $0.result["units_successful"]?.arrayValue ?? [] }
    }

    /// Runs a copy or remove, waits for it, and prints the units it moved (json: the task reports).
    static func runUnitTask(_ pulp: any PulpService, format: OutputFormat, summary: (Int) -> String,
                            _ call: () async throws -> CallReport) async throws
    {
        let reports: [TaskReport]
        do {
            reports = try await wait(pulp, try await call())
        } catch let e as ExitCode {
            throw e
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if format == .json {
            print(JSONValue.array(reports.map { .object($0.json()) }).serialized())
            return
        }
        let units = unitsSuccessful(reports)
        for u in units { print(line(typeId: u["type_id"]?.stringValue ?? "", unit: u["unit_key"] ?? .null)) }
        printError(summary(units.count))
    }
}
