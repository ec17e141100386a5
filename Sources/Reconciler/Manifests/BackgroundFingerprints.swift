import Foundation
import PulpModel
import Synchronization

/// Fingerprints repositories on other cores while the manifests are still being parsed, so that the parse
/// (one core, libyaml) and the canonical hashing overlap.
///
/// Only repositories without secrets are fingerprinted here: a secret's fingerprint needs the target's salt,
/// which is not known yet. Batches are numbered, and a later batch wins for an id (a file that the streaming
/// decoder gave up on is decoded again by the tree decoder, and its repositories handed over again).
final class BackgroundFingerprints: Sendable {
    static let batch = 256

    private let planner: Planner
    private let group = DispatchGroup()
    private let results = Mutex<[(Int, [(String, String)])]>([])
    private let next = Mutex<Int>(0)

    init(catalog: PluginCatalog) {
        // No salt and no secret values: only secret-free repositories are fingerprinted, and theirs use neither.
        let canon = Canonicalizer(catalog: catalog, fingerprinter: Fingerprinter(salt: ""), recorded: [:], secretValues: [:])
        planner = Planner(catalog: catalog, canon: canon, prune: false)
    }

    func add(_ repositories: ArraySlice<DesiredRepository>) {
        guard !repositories.isEmpty else { return }
        let seq = nextSequence()
        let batch = Array(repositories)
        group.enter()
        DispatchQueue.global().async { [self] in
            let out = fingerprints(of: batch)
            results.withLock { $0.append((seq, out)) }
            group.leave()
        }
    }

    /// The fingerprints of the secret-free repositories among these, computed on the calling thread.
    func fingerprints(of repositories: [DesiredRepository]) -> [(String, String)] {
        var out: [(String, String)] = []
        out.reserveCapacity(repositories.count)
        for d in repositories where !d.hasSecrets { out.append((d.id, planner.canonical(d).hash)) }
        return out
    }

    /// Records fingerprints computed with `fingerprints(of:)`, as the next batch.
    func record(_ fingerprints: [(String, String)]) {
        let seq = nextSequence()
        results.withLock { $0.append((seq, fingerprints)) }
    }

    /// Batches are numbered in the order they are handed over; a later batch wins for an id.
    private func nextSequence() -> Int {
        next.withLock { n in
            n += 1
            return n
        }
    }

    /// Waits for every batch; the fingerprints by repository id.
    func finish() -> [String: String] {
        group.wait()
        var out: [String: String] = [:]
        for (_, list) in results.withLock({ $0 }).sorted(by: { $0.0 < $1.0 }) {
            for (id, hash) in list { out[id] = hash }
        }
        return out
    }
}

extension DesiredRepository {
    /// Whether any importer or distributor config value is a `{env:}`/`{file:}` secret.
    var hasSecrets: Bool {
        func secret(_ config: [String: ConfigValue]) -> Bool {
            config.values.contains { if case .secret = $0 { return true } else { return false } }
        }
        return importer.map { secret($0.config) } == true || distributors.contains { secret($0.config) }
    }
}
