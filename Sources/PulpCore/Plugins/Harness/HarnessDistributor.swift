import Foundation
import PulpModel

/// Pulp's plugin test harness distributor: a publish writes one file per unit under `publish_dir` when
/// `write_files` is `"true"`.
struct HarnessDistributor: DistributorPlugin {
    let typeId = "harness_distributor"

    func publish(_ request: PublishRequest) async throws -> PublishResult {
        let config = request.config
        guard config["write_files"]?.stringValue == "true" || config["write_files"]?.boolValue == true else {
            return PublishResult(summary: ["files_written": 0])
        }
        guard let dir = config["publish_dir"]?.stringValue, !dir.isEmpty else {
            throw PulpError.publishFailed(repoId: request.repoId, distributorId: request.distributorId, summary: "publish_dir is not set")
        }
        try Task.checkCancellation()
        do {
            try HarnessPublisher.write(units: request.unitIds, repoId: request.repoId, to: dir)
        } catch {
            throw PulpError.publishFailed(repoId: request.repoId, distributorId: request.distributorId, summary: "\(error)")
        }
        return PublishResult(summary: ["files_written": .int(request.unitIds.count), "publish_dir": .string(dir)])
    }
}
