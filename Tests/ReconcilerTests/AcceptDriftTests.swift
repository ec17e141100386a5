import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import Reconciler

@Suite("Accepting drift on the embedded store")
struct AcceptDriftTests {
    @Test("accepted drift is recorded without changing the target; the content-hash fast path and a full read agree")
    func acceptedOnEmbeddedStore() async throws {
        let rig = try Rig()
        try await rig.converge(baseManifest)
        _ = try await rig.pulp.updateRepository("zoo", RepositoryUpdate(delta: ["display_name": "Renamed by hand"]))
        let r = try await Reconciliation.make(manifest: try rig.manifest(baseManifest), pulp: rig.pulp, state: rig.state, prune: false,
                                              secrets: rig.resolver)
        #expect(r.drift.exitCode == 3)
        let accept = r.acceptingDrift()
        #expect(accept.accepting.map(\.address) == ["repository.zoo"] && !accept.hasChanges)
        #expect(accept.accepting.first?.changes.map { "\($0.path) \($0.before?.serialized() ?? "") \($0.after?.serialized() ?? "")" }
                    == ["display_name \"Zoo\" \"Renamed by hand\""])
        #expect(await rig.apply(accept).succeeded)

        let after = try await rig.plan(baseManifest)
        #expect(after.steps.isEmpty, "\(after.steps)")
        let drift = try await Reconciliation.make(manifest: try rig.manifest(baseManifest), pulp: rig.pulp, state: rig.state, prune: false,
                                                  secrets: rig.resolver).drift
        #expect(drift.exitCode == 0 && drift.accepted == ["repository.zoo"])
        #expect(try await rig.pulp.repository("zoo", include: .none).repository.displayName == "Renamed by hand")

        // The target moves again: the acceptance lapses, and the plan reverts everything to the manifests.
        _ = try await rig.pulp.updateRepository("zoo", RepositoryUpdate(delta: ["description": "by hand"]))
        let revert = try await rig.plan(baseManifest)
        #expect(revert.changes.flatMap(\.changes).map(\.path) == ["display_name", "description"])
        try await rig.converge(baseManifest)
        #expect(try await rig.pulp.repository("zoo", include: .none).repository.notes[OwnershipNotes.accepted] == nil)
    }
}
