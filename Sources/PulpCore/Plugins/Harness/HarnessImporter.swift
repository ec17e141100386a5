import Foundation
import PulpModel

/// Pulp's plugin test harness importer: a sync adds `num_units` units of `harness_type_one`.
///
/// A test seam: with `wait_for_file` in its config (not a catalog key, so manifests cannot set it), the work
/// phase waits until that file exists, reporting progress as it polls, and stops if the task is cancelled.
struct HarnessImporter: ImporterPlugin {
    let typeId = "harness_importer"

    func sync(_ request: SyncRequest) async throws -> SyncResult {
        let config = request.config
        let text = config["num_units"]?.stringValue ?? config["num_units"]?.intValue.map(String.init) ?? "5"
        guard let n = Int(text), n >= 0, n <= 1_000_000 else { throw PulpError.invalidValue(["num_units"]) }
        if let path = config["wait_for_file"]?.stringValue {
            var polls = 0
            while !FileManager.default.fileExists(atPath: path) {
                try Task.checkCancellation()
                polls += 1
                if polls % 5 == 1 {
                    await request.progress.report([typeId: ["state": "waiting", "polls": .int(polls)]])
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        await request.progress.report([typeId: ["state": "adding units", "units": .int(n)]])
        return SyncResult(units: ["harness_type_one": (0..<n).map { "harness_unit_\($0)" }], summary: ["num_units": .int(n)])
    }
}
