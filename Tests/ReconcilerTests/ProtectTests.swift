import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import Reconciler

@Suite("Deletion guard: protect")
struct ProtectTests {
    let protected = """
        defaults:
          protect: true
        repositories:
          - id: zoo
            importer: {type: yum_importer, config: {feed: "https://cdn.example.com/zoo/"}}
          - id: emu
            protect: false
        consumers:
          - id: web1
            protect: true
        """

    func refused(_ rig: Rig, _ yaml: String, prune: Bool = false, allow: [String] = []) async throws -> [GuardViolation] {
        try await Reconciliation.make(manifest: try rig.manifest(yaml), pulp: rig.pulp, state: rig.state, prune: prune, drift: false,
                                      secrets: rig.resolver, allowDestroy: allow).violations
    }

    @Test("protection is a note on the object; a protected repository or consumer gone from the manifests is not deleted, even with --prune")
    func heldAfterRemoval() async throws {
        let rig = try Rig()
        let first = try await rig.converge(protected)
        #expect(first.changes.first { $0.address == "repository.zoo" }?.changes.contains { $0.path == "protect" && $0.after == true } == true)
        #expect(try await rig.pulp.repository("zoo", include: .none).repository.notes[OwnershipNotes.protect] == "true")
        #expect(try await rig.pulp.repository("emu", include: .none).repository.notes[OwnershipNotes.protect] == nil)
        #expect(try await rig.pulp.consumer("web1").notes[OwnershipNotes.protect] == "true")

        let gone = "repositories:\n  - id: emu\n"
        let violations = try await refused(rig, gone, prune: true)
        #expect(violations.map(\.object) == ["repository.zoo", "consumer.web1"])
        #expect(violations.allSatisfy { $0.mark == nil && $0.action == .delete })
        #expect(violations.first?.description == "repository.zoo would be deleted, but repository.zoo is protected by its record on the "
            + "target (note pulpform_protect)")
        #expect(try await refused(rig, gone, prune: false).isEmpty, "without --prune nothing is deleted anyway")
        #expect(try await refused(rig, gone, prune: true, allow: ["z?o", "web*"]).isEmpty, "--allow-destroy takes globs")
        #expect(try await refused(rig, gone, prune: true, allow: ["repository.zoo"]).map(\.object) == ["consumer.web1"])
    }

    @Test("removing protect is an update that must be applied before a delete; a replace is guarded too, at the line that protects")
    func unprotectFirst() async throws {
        let rig = try Rig()
        try await rig.converge(protected)
        let replaced = try await refused(rig, protected.replacingOccurrences(of: "yum_importer", with: "iso_importer"))
        #expect(replaced.map(\.address) == ["repository.zoo.importer"] && replaced.first?.action == .replace)
        #expect(replaced.first?.mark?.line == 2, "defaults: protect: true")

        let unprotected = protected.replacingOccurrences(of: "  protect: true\nrepositories", with: "  protect: false\nrepositories")
        let sameRun = try await refused(rig, unprotected.replacingOccurrences(of: "yum_importer", with: "iso_importer"))
        #expect(sameRun.map(\.address) == ["repository.zoo.importer"], "the note still protects until the update is applied")
        let update = try await rig.converge(unprotected)
        let step = try #require(update.changes.first { $0.address == "repository.zoo" })
        #expect(step.action == .update && step.changes.map(\.path) == ["protect"] && step.changes.first?.before == true)
        #expect(try await refused(rig, unprotected.replacingOccurrences(of: "yum_importer", with: "iso_importer")).isEmpty)
        try await rig.converge("consumers:\n  - id: web1\n    protect: true\n", prune: true)
        #expect(try await rig.pulp.repositories(include: .none).isEmpty)
    }

    @Test("fingerprints of unprotected objects are what they were before protect existed")
    func fingerprintsUnchanged() throws {
        let rig = try Rig()
        let m = try rig.manifest(protected)
        let planner = Planner(catalog: .builtin, canon: Canonicalizer(catalog: .builtin, fingerprinter: Fingerprinter(salt: "s"), recorded: [:],
                                                                      secretValues: [:]), prune: false)
        let emu = try #require(m.repositories.first { $0.id == "emu" })
        #expect(planner.canonical(emu).json["protect"] == nil)
        #expect(planner.canonical(emu).hash == Fingerprinter.digest(planner.canonical(emu).json.serializedBytes()))
        let zoo = try #require(m.repositories.first { $0.id == "zoo" })
        #expect(planner.canonical(zoo).json["protect"] == true)
        #expect(planner.canonical(zoo).hash == Fingerprinter.digest(planner.canonical(zoo).json.serializedBytes()))
    }
}
