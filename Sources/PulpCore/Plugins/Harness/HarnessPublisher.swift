import Foundation
import PulpModel

/// The harness distributor's publish: one file per unit under `<publish_dir>/<repo_id>/`, written
/// to a temporary directory and renamed into place so readers never see half a publish.
enum HarnessPublisher {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func write(units: [String], repoId: String, to dir: String) throws {
        let fm = FileManager.default
        let base = URL(fileURLWithPath: dir)
        let target = base.appendingPathComponent(repoId)
        let staging = base.appendingPathComponent(".\(repoId).\(PulpIDs.uuid()).tmp")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            for u in units {
                try Data("\(u)\n".utf8).write(to: staging.appendingPathComponent(u))
            }
            let listing = units.joined(separator: "\n") + (units.isEmpty ? "" : "\n")
            try Data(listing.utf8).write(to: staging.appendingPathComponent("MANIFEST"))
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.moveItem(at: staging, to: target)
        } catch {
            try? fm.removeItem(at: staging)
            throw Failure(description: "cannot write to \(dir): \(error.localizedDescription)")
        }
    }
}
