import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import Reconciler

@Suite("Ignored fields: ignore_changes")
struct IgnoreChangesTests {
    let ignoring = """
        defaults:
          ignore_changes: [importer.config.feed]
        repositories:
          - id: zoo
            display_name: Zoo
            notes: {team: content}
            importer: {type: yum_importer, config: {feed: "https://cdn.example.com/zoo/", remove_missing: true}}
            distributors:
              - {id: yum, type: yum_distributor, auto_publish: true, config: {relative_url: zoo, http: false, https: true}}
          - id: emu
            ignore_changes: [notes.*, distributor.yum.config.relative_url, distributor.yum.auto_publish]
            notes: {owner: cdn}
            distributors:
              - {id: yum, type: yum_distributor, config: {relative_url: emu, http: false, https: true}}
        """

    func drift(_ rig: Rig, _ yaml: String) async throws -> DriftReport {
        try await Reconciliation.make(manifest: try rig.manifest(yaml), pulp: rig.pulp, state: rig.state, prune: false,
                                      secrets: rig.resolver).drift
    }

    @Test("ignored fields are set on create; changed through the API they make no update and no drift")
    func setOnCreateThenIgnored() async throws {
        let rig = try Rig()
        let created = try await rig.converge(ignoring)
        #expect(created.changes.first { $0.address == "repository.zoo" }?.changes.contains { $0.path == "importer.config.feed" } == true)
        let zoo = try await rig.pulp.repository("zoo", include: .all)
        #expect(zoo.importers?.first?.config["feed"] == "https://cdn.example.com/zoo/")
        let emu = try await rig.pulp.repository("emu", include: .all)
        #expect(emu.repository.notes["owner"] == "cdn" && emu.distributors?.first?.config["relative_url"] == "emu")

        // Another tool rotates the feed, re-points the relative URL, turns auto publish on and adds a note.
        _ = try await rig.pulp.waitForTasks(try await rig.pulp.updateImporter(
            repoId: "zoo", importerId: "yum_importer", config: ["feed": "https://cdn2.example.com/zoo/"]).spawnedTasks, followSpawned: true)
        _ = try await rig.pulp.updateDistributor(repoId: "emu", distributorId: "yum",
                                                 DistributorUpdate(config: ["relative_url": "emu-moved"], delta: ["auto_publish": true]))
        _ = try await rig.pulp.updateRepository("emu", RepositoryUpdate(delta: ["notes": ["rotated": "2026-11-25"]]))
        let after = try await rig.plan(ignoring)
        #expect(!after.hasChanges, "\(PlanRenderer.human(after))")
        #expect(try await drift(rig, ignoring).exitCode == 0)
        #expect(try await rig.pulp.repository("zoo", include: .all).importers?.first?.config["feed"] == "https://cdn2.example.com/zoo/")

        // A field that is not ignored still drifts and is planned back.
        _ = try await rig.pulp.waitForTasks(try await rig.pulp.updateImporter(
            repoId: "zoo", importerId: "yum_importer", config: ["remove_missing": false]).spawnedTasks, followSpawned: true)
        #expect(try await drift(rig, ignoring).items.map(\.address) == ["repository.zoo"])
        let back = try await rig.plan(ignoring)
        #expect(back.changes.flatMap(\.changes).map(\.path) == ["importer.config.remove_missing"])

        // Changing an ignored field in the manifests changes nothing on the target either.
        let edited = ignoring.replacingOccurrences(of: "cdn.example.com/zoo/", with: "mirror.example.com/zoo/")
            .replacingOccurrences(of: "relative_url: emu,", with: "relative_url: emu2,")
        #expect(try await rig.plan(edited).changes.flatMap(\.changes).map(\.path) == ["importer.config.remove_missing"])
    }

    @Test("a path that names no field is an error at its line and column; under defaults it must name a field of one repository")
    func unmatchedPaths() throws {
        let rig = try Rig()
        let bad = """
            defaults:
              ignore_changes: [importer.config.feed, distributor.cdn.config.relative_url]
            repositories:
              - id: zoo
                importer: {type: yum_importer}
                ignore_changes:
                  - importer.config.fede
                  - importer.type
                  - notes.owner
              - id: emu
                distributors:
                  - {id: yum, type: yum_distributor, config: {relative_url: emu, http: true, https: true}}
                ignore_changes: [distributor.yum.config.*, distributor.web.auto_publish]
            """
        #expect {
            try rig.manifest(bad)
        } throws: { error in
            let lines = (error as? ManifestErrors)?.diagnostics.map(\.description) ?? []
            let file = rig.dir.appendingPathComponent("manifest.yaml").path
            return lines.count == 4
                && lines[0].hasPrefix("\(file):2:42: ignore_changes path \"distributor.cdn.config.relative_url\" names no field of any repository")
                && lines[1].hasPrefix("\(file):7:9: ignore_changes path \"importer.config.fede\" names no field of repository zoo")
                && lines[1].hasSuffix("did you mean \"importer.config.feed\"?")
                && lines[2].hasPrefix("\(file):8:9: ignore_changes path \"importer.type\" names no field of repository zoo")
                && lines[3].hasPrefix("\(file):13:48: ignore_changes path \"distributor.web.auto_publish\" names no field of repository emu")
        }
        // The defaults' paths add to each repository's own; the feed names a field of zoo (emu has no importer).
        let ok = try rig.manifest(bad.replacingOccurrences(of: ", distributor.cdn.config.relative_url]", with: "]")
            .replacingOccurrences(of: "      - importer.config.fede\n      - importer.type\n", with: "")
            .replacingOccurrences(of: ", distributor.web.auto_publish", with: ""))
        #expect(ok.repositories.map(\.ignoreChanges) == [["notes.owner", "importer.config.feed"],
                                                         ["distributor.yum.config.*", "importer.config.feed"]])
    }

    @Test("fingerprints of repositories without ignore_changes are unchanged; ignored fields leave both forms alike")
    func fingerprints() throws {
        let rig = try Rig()
        let m = try rig.manifest(ignoring)
        let planner = Planner(catalog: .builtin, canon: Canonicalizer(catalog: .builtin, fingerprinter: Fingerprinter(salt: "s"), recorded: [:],
                                                                      secretValues: [:]), prune: false)
        var zoo = try #require(m.repositories.first { $0.id == "zoo" })
        #expect(planner.canonical(zoo).importerConfig["feed"] == nil)
        zoo.ignoreChanges = []
        #expect(planner.canonical(zoo).importerConfig["feed"] == "https://cdn.example.com/zoo/")
        #expect(m.ignoredFields == ["zoo": ["importer.config.feed"],
                                    "emu": ["notes.*", "distributor.yum.config.relative_url", "distributor.yum.auto_publish", "importer.config.feed"]])
    }
}
