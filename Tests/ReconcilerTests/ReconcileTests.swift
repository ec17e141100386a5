import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore
@testable import Reconciler

/// A real store, a LocalPulp over it, and manifests in a directory.
final class Rig: @unchecked Sendable {
    let kit: TestPulp
    let state = MemoryReconcilerState(salt: "test-salt")
    var env: [String: String] = [:]

    init() throws {
        kit = try TestPulp("pulpform-rig", realTime: true, contentHashNotes: OwnershipNotes.contentHash)
    }

    var dir: URL { kit.dir }
    var store: PulpStore { kit.store }
    var pulp: LocalPulp { kit.pulp }

    var resolver: SecretResolver { SecretResolver(environment: env, baseDirectory: dir.path) }

    func manifest(_ yaml: String) throws -> Manifest {
        let file = dir.appendingPathComponent("manifest.yaml")
        try Data(yaml.utf8).write(to: file)
        return try ManifestLoader(secrets: resolver).load(paths: [file.path])
    }

    /// The plan of the pipeline the CLI runs (`Reconciliation.make`), checked against plans made from a full read.
    func plan(_ yaml: String, prune: Bool = false) async throws -> Plan {
        let m = try manifest(yaml)
        let reconciliation = try await Reconciliation.make(manifest: m, pulp: pulp, state: state, prune: prune, drift: false,
                                                           secrets: resolver)
        let planner = reconciliation.planner
        // The fast path (content hashes) must plan the same changes as a full read.
        let fast = reconciliation.plan
        var read = try await ActualState.read(from: pulp)
        let records = await state.accessRecords()
        if m.declaresAccess || !records.isEmpty { try await read.readAccess(from: pulp, records: records) }
        let full = planner.plan(m, read)
        read.hashes = planner.actualHashes(read, ignores: m.ignoredFields)
        let hashed = planner.plan(m, read)
        #expect(fast.changes == full.changes, "the content-hash fast path planned different changes")
        #expect(hashed.steps == full.steps, "skipping repositories whose fingerprints match changed the plan")
        #expect(fast.unmanaged == full.unmanaged && fast.notPruned == full.notPruned)
        return fast
    }

    func apply(_ plan: Plan) async -> ApplyReport {
        await Applier(pulp: pulp, state: state, secrets: resolver, parallelism: 3).apply(plan)
    }

    /// Plans, applies, and expects the apply to succeed and a new plan to show no changes.
    @discardableResult
    func converge(_ yaml: String, prune: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Plan {
        let p = try await plan(yaml, prune: prune)
        let report = await apply(p)
        #expect(report.succeeded, "\(report.results.filter { $0.state != .finished }.map(PlanRenderer.line))", sourceLocation: sourceLocation)
        let again = try await plan(yaml, prune: prune)
        #expect(!again.hasChanges, "\(PlanRenderer.human(again))", sourceLocation: sourceLocation)
        #expect(again.steps.isEmpty, "no bookkeeping left either", sourceLocation: sourceLocation)
        return p
    }
}

let baseManifest = """
    repositories:
      - id: zoo
        display_name: Zoo
        notes: {team: content}
        importer:
          type: yum_importer
          config:
            feed: https://cdn.example.com/zoo/
            remove_missing: true
        distributors:
          - id: yum
            type: yum_distributor
            config: {relative_url: zoo, http: false, https: true}
            publish_schedules:
              - schedule: PT6H
          - id: export
            type: export_distributor
            config: {http: false, https: true}
        sync_schedules:
          - schedule: 2024-01-01T02:00:00Z/P1D
            failure_threshold: 3
      - id: emu
        importer:
          type: iso_importer
          config: {feed: https://cdn.example.com/emu/}
    """

@Suite("Plan and apply against the embedded store")
struct ReconcileTests {
    @Test("a fresh store converges, and every object carries the ownership note")
    func converges() async throws {
        let rig = try Rig()
        let p = try await rig.converge(baseManifest)
        #expect(p.summaryLine == "Plan: 4 to create, 0 to update, 0 to replace, 0 to delete.")
        #expect(p.changes.first?.operation.pulpOperation == "POST /pulp/api/v2/repositories/")
        let zoo = try await rig.pulp.repository("zoo", include: .all)
        #expect(zoo.repository.notes["pulpform_managed"] == "true")
        #expect(zoo.repository.notes["pulpform_applied"]?.stringValue?.count == 64)
        #expect(zoo.repository.notes["team"] == "content")
        #expect(zoo.distributors?.map(\.id) == ["yum", "export"])
        #expect(try await rig.pulp.schedules(.importer(repoId: "zoo", importerId: "yum_importer")).first?.failureThreshold == 3)
    }

    @Test("values are compared in canonical form: defaults and Pulp's string booleans are no change")
    func canonicalForm() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        // Someone sets the defaults explicitly, and writes a boolean as a string, outside pulpform.
        _ = try await rig.pulp.waitForTasks(try await rig.pulp.updateImporter(
            repoId: "zoo", importerId: "yum_importer", config: ["ssl_validation": true, "remove_missing": "true"]).spawnedTasks,
            followSpawned: true)
        let p = try await rig.plan(baseManifest)
        #expect(!p.hasChanges, "\(PlanRenderer.human(p))")
    }

    @Test("edits become in-place updates with per-field diffs, in resource order")
    func updates() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let edited = baseManifest
            .replacingOccurrences(of: "display_name: Zoo", with: "display_name: The Zoo")
            .replacingOccurrences(of: "feed: https://cdn.example.com/zoo/", with: "feed: https://cdn2.example.com/zoo/")
            .replacingOccurrences(of: "        remove_missing: true\n", with: "")
            .replacingOccurrences(of: "config: {relative_url: zoo, http: false, https: true}", with: "config: {relative_url: zoo2, http: false, https: true}")
        let p = try await rig.converge(edited)
        #expect(p.changes.map(\.address) == ["repository.zoo", "repository.zoo.importer", "repository.zoo.distributor.yum"])
        #expect(p.changes.map(\.action) == [.update, .update, .update])
        let importer = try #require(p.changes.first { $0.address == "repository.zoo.importer" })
        #expect(importer.operation.pulpOperation == "PUT /pulp/api/v2/repositories/zoo/importers/yum_importer/")
        #expect(importer.changes.map(\.path) == ["importer.config.feed", "importer.config.remove_missing"])
        #expect(importer.changes.map(\.kind) == [.change, .remove])
        let text = PlanRenderer.human(p)
        #expect(text.contains("~ importer.config.feed = \"https://cdn.example.com/zoo/\" -> \"https://cdn2.example.com/zoo/\""))
        #expect(text.contains("- importer.config.remove_missing = true -> null"))
        #expect(text.contains("Plan: 0 to create, 3 to update, 0 to replace, 0 to delete."))
    }

    @Test("a plan of thousands of steps renders in plan order, in pieces of about 64 KB, bookkeeping steps left out")
    func largePlanText() throws {
        var steps: [PlanStep] = []
        for i in 0..<9_000 {
            let id = "r\(i)"
            steps.append(PlanStep(address: "repository.\(id)", unit: "repository:\(id)", action: .delete,
                                  operation: .deleteRepository(id: id),
                                  changes: [FieldChange(path: "id", before: .string(id), after: nil)]))
            if i % 3 == 0 {
                steps.append(PlanStep(address: "repository.\(id)", unit: "repository:\(id)", action: nil,
                                      operation: .deleteRepository(id: id)))
            }
        }
        var pieces: [String] = []
        PlanRenderer.human(Plan(steps: steps)) { pieces.append($0) }
        let text = pieces.joined()
        #expect(pieces.count > 10)
        #expect(pieces.dropLast().allSatisfy { $0.utf8.count >= 1 << 16 && $0.utf8.count < 1 << 17 })
        let addresses = text.split(separator: "\n").filter { $0.hasPrefix("  - ") }.map { String($0.dropFirst(4)) }
        #expect(addresses == (0..<9_000).map { "repository.r\($0)" })
        #expect(text.hasPrefix("pulpform will perform the following actions:\n\n  # repository.r0 will be deleted"))
        #expect(text.hasSuffix("\n\nPlan: 0 to create, 0 to update, 0 to replace, 9000 to delete.\n"))
    }

    @Test("a type change is a replace with its reason; removals run before additions")
    func replaces() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let edited = baseManifest
            .replacingOccurrences(of: "type: yum_importer\n      config:\n        feed: https://cdn.example.com/zoo/\n        remove_missing: true",
                                  with: "type: iso_importer\n      config:\n        feed: https://cdn.example.com/zoo/")
            .replacingOccurrences(of: "      - id: export\n        type: export_distributor\n        config: {http: false, https: true}\n", with: "")
            .replacingOccurrences(of: "type: yum_distributor\n        config: {relative_url: zoo, http: false, https: true}",
                                  with: "type: cdn_distributor\n        config: {relative_url: zoo}")
        let p = try await rig.converge(edited)
        #expect(p.changes.map(\.address) == [
            "repository.zoo.distributor.export",
            "repository.zoo.importer",
            "repository.zoo.distributor.yum",
            "repository.zoo.sync_schedule[2024-01-01T02:00:00Z/P1D]",
            "repository.zoo.distributor.yum.publish_schedule[PT6H]",
        ])
        #expect(p.changes.map(\.action) == [.delete, .replace, .replace, .create, .create])
        #expect(p.changes[1].reason?.contains("from yum_importer to iso_importer") == true)
        #expect(PlanRenderer.human(p).contains("-/+ repository.zoo.importer"))
        let json = PlanRenderer.json(p, pulpformVersion: "t", target: "t")
        #expect(json["resource_changes"]?.arrayValue?[1]["change"]?["actions"] == ["delete", "create"])
    }

    @Test("schedules are matched by content: a changed interval is delete + create, enabled is updated in place")
    func schedules() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let p = try await rig.converge(baseManifest.replacingOccurrences(of: "- schedule: PT6H", with: "- schedule: PT12H"))
        #expect(p.changes.map(\.action) == [.delete, .create])
        let q = try await rig.converge(baseManifest.replacingOccurrences(
            of: "- schedule: PT6H", with: "- schedule: PT12H\n            enabled: false"))
        #expect(q.changes.map(\.action) == [.update])
        #expect(q.changes.first?.operation.pulpOperation.hasPrefix("PUT /pulp/api/v2/repositories/zoo/distributors/yum/schedules/publish/") == true)
    }

    @Test("secrets: never shown, an unchanged one is no change, a rotated one is a masked update")
    func secrets() async throws {
        let rig = try Rig()
        rig.env = ["PROXY_PASSWORD": "hunter2-first"]
        let yaml = baseManifest.replacingOccurrences(of: "remove_missing: true", with: "remove_missing: true\n        proxy_password: {env: PROXY_PASSWORD}")
        let created = try await rig.converge(yaml)
        #expect(try rig.store.importerSecret("zoo", "proxy_password").clear == "hunter2-first")
        for text in [PlanRenderer.human(created), PlanRenderer.json(created, pulpformVersion: "t", target: "t").serialized(), PlanRenderer.markdown(created)] {
            #expect(!text.contains("hunter2"))
            #expect(text.contains("proxy_password"))
        }
        rig.env["PROXY_PASSWORD"] = "hunter2-rotated"
        let rotated = try await rig.plan(yaml)
        #expect(rotated.changes.map(\.address) == ["repository.zoo.importer"])
        let human = PlanRenderer.human(rotated)
        #expect(human.contains("~ importer.config.proxy_password = (sensitive value)"))
        for text in [human, PlanRenderer.json(rotated, pulpformVersion: "t", target: "t").serialized(), PlanRenderer.markdown(rotated)] {
            #expect(!text.contains("hunter2"))
        }
        let report = await rig.apply(rotated)
        #expect(report.succeeded)
        #expect(!PlanRenderer.json(report).serialized().contains("hunter2"))
        #expect(try rig.store.importerSecret("zoo", "proxy_password").clear == "hunter2-rotated")
        #expect(!(try await rig.plan(yaml)).hasChanges)
    }

    @Test("only managed repositories are pruned, and only with --prune; unmanaged ones are reported")
    func ownership() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        _ = try await rig.pulp.createRepository(RepositoryCreate(id: "hand-made"))
        let onlyEmu = """
            repositories:
              - id: emu
                importer:
                  type: iso_importer
                  config: {feed: https://cdn.example.com/emu/}
            """
        let kept = try await rig.plan(onlyEmu)
        #expect(!kept.hasChanges)
        #expect(kept.notPruned == ["repository.zoo"])
        #expect(kept.unmanaged == ["repository.hand-made"])
        let pruned = try await rig.converge(onlyEmu, prune: true)
        #expect(pruned.changes.map(\.address) == ["repository.zoo"])
        #expect(pruned.changes.map(\.action) == [.delete])
        #expect(try await rig.pulp.repositories(include: .none).map(\.repository.id).sorted() == ["emu", "hand-made"])
        // Declaring the hand-made repository as it is adopts it silently: no visible change, and the next
        // apply marks it managed.
        let same = onlyEmu + "\n  - id: hand-made\n"
        let adoptQuietly = try await rig.plan(same)
        #expect(!adoptQuietly.hasChanges)
        #expect(adoptQuietly.steps.map(\.address) == ["repository.hand-made"], "one bookkeeping step")
        // Declaring it with changes shows the adoption.
        let adopt = try await rig.plan(onlyEmu + "\n  - id: hand-made\n    description: now managed\n")
        #expect(adopt.changes.map(\.address) == ["repository.hand-made"])
        #expect(adopt.changes.first?.reason?.hasPrefix("adopt") == true)
        try await rig.converge(same)
        #expect(try await rig.pulp.repository("hand-made", include: .none).repository.notes["pulpform_managed"] == "true")
    }

    @Test("a failed step skips the rest of its repository; other repositories go on")
    func failureSkips() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        let edited = baseManifest
            .replacingOccurrences(of: "feed: https://cdn.example.com/zoo/", with: "feed: https://cdn3.example.com/zoo/")
            .replacingOccurrences(of: "- schedule: PT6H", with: "- schedule: PT7H")
            .replacingOccurrences(of: "config: {feed: https://cdn.example.com/emu/}", with: "config: {feed: https://cdn3.example.com/emu/}")
        let p = try await rig.plan(edited)
        // Someone removes zoo's importer between plan and apply.
        _ = try await rig.pulp.waitForTasks(try await rig.pulp.removeImporter(repoId: "zoo", importerId: "yum_importer").spawnedTasks,
                                            followSpawned: true)
        let report = await rig.apply(p)
        #expect(!report.succeeded)
        let states = Dictionary(report.results.map { ($0.step.address + ($0.step.action == nil ? "#record" : ""), $0.state) },
                                uniquingKeysWith: { a, _ in a })
        #expect(states["repository.zoo.importer"] == .error)
        #expect(states["repository.zoo.distributor.yum.publish_schedule[PT6H]"] == .finished, "deletions run first")
        #expect(states["repository.zoo.distributor.yum.publish_schedule[PT7H]"] == .skipped)
        #expect(states["repository.zoo#record"] == .skipped)
        #expect(states["repository.emu.importer"] == .finished)
        #expect(report.results.first { $0.step.address == "repository.zoo.importer" }?.message?.hasPrefix("PLP0009") == true)
        #expect(report.summary.counts[.finished] == 1, "emu's importer update task")
        #expect(report.summary.counts[.error] == 0, "zoo's update was refused before any task ran")
        // Running again converges.
        try await rig.converge(edited)
    }

    @Test("new repositories go in one batch: one that appeared since the plan fails alone, its later steps skipped")
    func batchedFailure() async throws {
        let rig = try Rig()
        let p = try await rig.plan(baseManifest)
        // Someone creates zoo between plan and apply.
        _ = try await rig.pulp.createRepository(RepositoryCreate(id: "zoo"))
        let report = await rig.apply(p)
        #expect(!report.succeeded)
        let zoo = report.results.filter { $0.step.unit == "repository:zoo" }
        #expect(zoo.first?.state == .error)
        #expect(zoo.first?.message?.hasPrefix("PLP0018") == true)
        #expect(zoo.dropFirst().allSatisfy { $0.state == .skipped && $0.message == "skipped: repository.zoo failed" })
        #expect(zoo.count == 4, "create, the sync and the publish schedule, the record step")
        #expect(report.results.filter { $0.step.unit == "repository:emu" }.allSatisfy { $0.state == .finished })
        #expect(try await rig.pulp.repository("zoo", include: .all).distributors == [], "the outside repository is untouched")
        #expect(try await rig.pulp.repository("emu", include: .none).repository.notes["pulpform_managed"] == "true")
    }

    @Test("a new repository whose secret cannot be read at apply time fails alone, outside the batch")
    func unresolvedSecretInBatch() async throws {
        let rig = try Rig()
        rig.env = ["PROXY_PASSWORD": "hunter2"]
        let yaml = baseManifest.replacingOccurrences(of: "remove_missing: true", with: "remove_missing: true\n        proxy_password: {env: PROXY_PASSWORD}")
        let p = try await rig.plan(yaml)
        rig.env = [:]
        let report = await rig.apply(p)
        let zoo = report.results.filter { $0.step.unit == "repository:zoo" }
        #expect(zoo.first?.state == .error)
        #expect(zoo.first?.message?.contains("PROXY_PASSWORD") == true)
        #expect(zoo.first?.message?.contains("hunter2") == false)
        #expect(zoo.dropFirst().allSatisfy { $0.state == .skipped })
        #expect(report.results.filter { $0.step.unit == "repository:emu" }.allSatisfy { $0.state == .finished })
        await #expect(throws: PulpError.self) { _ = try await rig.pulp.repository("zoo", include: .none) }
        // With the secret back, the next apply converges.
        rig.env = ["PROXY_PASSWORD": "hunter2"]
        try await rig.converge(yaml)
        #expect(try rig.store.importerSecret("zoo", "proxy_password").clear == "hunter2")
    }

    @Test("consumers and their content schedules converge")
    func consumers() async throws {
        let rig = try Rig()
        let yaml = """
            consumers:
              - id: web1
                display_name: Web 1
                notes: {rack: "4"}
                schedules:
                  update:
                    - schedule: 2024-01-01T03:00:00Z/P7D
                      units: [{type_id: rpm, unit_key: {name: kernel}}]
                      options: {reboot: true}
            """
        let p = try await rig.converge(yaml)
        #expect(p.changes.map(\.action) == [.create, .create])
        let s = try await rig.pulp.schedules(.consumer(consumerId: "web1", action: .update))
        #expect(s.first?.kwargs["options"] == ["reboot": true])
        try await rig.converge(yaml.replacingOccurrences(of: "name: kernel", with: "name: glibc"))
    }
}
