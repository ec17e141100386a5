import PulpformTestKit
import PulpContract
import PulpCore

/// The reconciler's bookkeeping notes, as PulpCore is given them: PulpCore keeps the mechanism only.
let bookkeeping = ContentHashNotes(recorded: "pulpform_applied", alongside: ["pulpform_managed"], transientPrefix: "pulpform_lease_")

extension TestPulp {
    /// The kit's rig with the bookkeeping notes, as the core's suites use it.
    static func core(workers: Int = 4, start: Double = TestPulp.seedEpoch) throws -> TestPulp {
        try TestPulp("pulpform-core", workers: workers, start: start, contentHashNotes: bookkeeping)
    }
}
