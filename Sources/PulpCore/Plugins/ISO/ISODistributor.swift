import Foundation
import PulpContent
import PulpModel
import PulpStore

/// pulp_rpm's iso_distributor (pulp2-content.md §3.3): a tree of the repository's files (hard links into the
/// content directory, under their relative names) and a CRLF `PULP_MANIFEST`, served at `/pulp/isos/<repo_id>/`.
/// Unlike Pulp 2.8, which deleted the old tree before copying the new one, the switch is one `rename(2)` of a
/// link, as for yum.
struct ISODistributor: DistributorPlugin {
    let typeId = "iso_distributor"

    func publish(_ request: PublishRequest) async throws -> PublishResult {
        guard let store = request.store, let content = request.content else {
            throw PulpError.wrapped("iso_distributor needs a store and a content directory")
        }
        let c = request.config
        var errors: [String] = []
        func bool(_ k: String, _ fallback: Bool) -> Bool {
            guard let v = c[k], v != .null else { return fallback }
            if let b = v.boolValue { return b }
            if let s = v.stringValue?.lowercased(), ["true", "false"].contains(s) { return s == "true" }
            errors.append("The configuration parameter <\(k)> may only be set to a boolean value")
            return fallback
        }
        let http = bool("serve_http", false), https = bool("serve_https", true)
        if !errors.isEmpty { throw PulpError.wrapped("Configuration errors:\n" + errors.joined(separator: "\n")) }
        try content.prepare()

        var times = StateTimes()
        func enter(_ state: String) { times.enter(state, now: request.now()) }
        func report(_ state: String, error: String? = nil) -> JSONObject {
            ["state": .string(state), "state_times": times.json, "error_message": error.map(JSONValue.string) ?? .null, "traceback": .null]
        }
        enter("not_started")
        enter("in_progress")
        await request.progress.report([request.distributorId: .object(report("in_progress"))])

        let repoId = request.repoId
        let tree = URL(fileURLWithPath: content.temporaryPath("isotree"))
        do {
            let units = try await store.read { db in try db.repositoryContent(repoId: repoId, typeIds: ["iso"]) }
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            var entries: [ISOManifest.Entry] = []
            for u in units.sorted(by: { ($0.unitKey["name"]?.stringValue ?? "") < ($1.unitKey["name"]?.stringValue ?? "") }) {
                try Task.checkCancellation()
                guard let name = u.unitKey["name"]?.stringValue, ISOManifest.isSafeName(name),
                      let checksum = u.unitKey["checksum"]?.stringValue, let size = u.unitKey["size"]?.intValue else { continue }
                guard let sha = u.fileSha256, u.downloaded, content.hasUnit(sha256: sha) else {
                    throw ContentError("the file of \(name) is not in the content directory")
                }
                let target = tree.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try ContentDirectory.linkOrCopy(content.unitPath(sha256: sha), to: target.path)
                entries.append(ISOManifest.Entry(name: name, checksum: checksum, size: size))
            }
            try Data(ISOManifest.render(entries).utf8).write(to: tree.appendingPathComponent("PULP_MANIFEST"))
            try Self.switchTo(tree, content: content, repoId: repoId, http: http, https: https)
        } catch {
            try? FileManager.default.removeItem(at: tree)
            if error is CancellationError { throw error }
            enter("failed")
            let message = (error as? PulpError)?.message ?? "\(error)"
            await request.progress.report([request.distributorId: .object(report("failed", error: message))])
            throw PulpError.publishFailed(repoId: repoId, distributorId: request.distributorId, summary: message)
        }
        enter("complete")
        var result = PublishResult(summary: report("complete"))
        result.detailsAreSummary = true
        return result
    }

    /// Moves the tree under `iso/master/<repo>/<stamp>` and points `iso/http/<repo>` and `iso/https/<repo>` (as
    /// configured) at it, each with one `rename(2)` of a fresh link. Older trees go.
    static func switchTo(_ tree: URL, content: ContentDirectory, repoId: String, http: Bool, https: Bool) throws {
        let master = content.isoMaster(repoId)
        let stamp = try ContentDirectory.install(tree: tree, in: master)
        for (secure, on) in [(false, http), (true, https)] {
            let link = content.isoLinks(https: secure).appendingPathComponent(repoId)
            if on {
                try ContentDirectory.pointLink(link, to: "../master/\(repoId)/\(stamp)", failure: "cannot switch \(repoId) to the new tree")
            } else {
                unlink(link.path)
            }
        }
        ContentDirectory.prune(master: master, keeping: stamp)
    }

    /// Takes a repository's published iso trees down.
    static func unpublish(content: ContentDirectory, repoId: String) {
        for secure in [false, true] { unlink(content.isoLinks(https: secure).appendingPathComponent(repoId).path) }
        try? FileManager.default.removeItem(at: content.isoMaster(repoId))
    }
}
