import Foundation
import Synchronization
import PulpContent
import PulpModel
import PulpStore

/// pulp_rpm's yum_distributor: a new tree with the packages (hard links into the content directory) and repodata
/// made from the stored snippets, moved into place and switched to atomically.
struct YumDistributor: DistributorPlugin {
    let typeId = "yum_distributor"

    func publish(_ request: PublishRequest) async throws -> PublishResult {
        guard let store = request.store, let content = request.content else {
            throw PulpError.wrapped("yum_distributor needs a store and a content directory")
        }
        try content.prepare()
        var publish = try YumPublish(request: request, store: store, content: content)
        return try await publish.run()
    }
}

/// The step reports of `publish_step.py`, in Pulp 2.8's order.
struct PublishSteps {
    static let order: [(String, String)] = [
        ("initialize_repo_metadata", "Initializing repo metadata"), ("distribution", "Publishing Distribution files"),
        ("rpms", "Publishing RPMs"), ("drpms", "Publishing Delta RPMs"), ("errata", "Publishing Errata"),
        ("comps", "Publishing Comps file"), ("metadata", "Publishing Metadata."), ("close_repo_metadata", "Closing repo metadata"),
        ("generate sqlite", "Generating sqlite files"), ("publish_directory", "Publishing files to web"),
    ]
    var steps: [JSONObject] = order.map { type, description in
        ["step_id": .string(UUID().uuidString.lowercased()), "step_type": .string(type), "description": .string(description),
         "state": "NOT_STARTED", "items_total": 1, "num_processed": 0, "num_success": 0, "num_failures": 0,
         "error_details": [], "details": ""]
    }

    mutating func set(_ type: String, _ state: String, total: Int? = nil, done: Int? = nil) {
        guard let i = Self.order.firstIndex(where: { $0.0 == type }) else { return }
        steps[i]["state"] = .string(state)
        if let total { steps[i]["items_total"] = .int(total) }
        if let done {
            steps[i]["num_processed"] = .int(done)
            steps[i]["num_success"] = .int(done)
        }
    }

    mutating func failRunning(_ message: String) {
        for i in steps.indices where steps[i]["state"] == "IN_PROGRESS" {
            steps[i]["state"] = "FAILED"
            steps[i]["num_failures"] = 1
            steps[i]["error_details"] = [["error": .string(message), "traceback": .null]]
        }
    }

    var summary: JSONObject {
        var out: JSONObject = [:]
        for s in steps { if let t = s["step_type"]?.stringValue { out[t] = s["state"] } }
        return out
    }
}

struct YumPublish {
    let request: PublishRequest
    let store: PulpStore
    let content: ContentDirectory
    let relativeURL: String
    let http: Bool
    let checksumType: ChecksumType
    var steps = PublishSteps()

    init(request: PublishRequest, store: PulpStore, content: ContentDirectory) throws {
        self.request = request
        self.store = store
        self.content = content
        let c = request.config
        var errors: [String] = []
        let rel = YumDistributor.relativeURL(c, repoId: request.repoId)
        if rel.isEmpty || rel.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            errors.append("Invalid relative url [\(rel)]")
        }
        relativeURL = rel
        func bool(_ k: String) -> Bool? {
            guard let v = c[k], v != .null else { return nil }
            if let b = v.boolValue { return b }
            if let s = v.stringValue?.lowercased(), ["true", "false"].contains(s) { return s == "true" }
            errors.append("Setting [\(k)] requires a boolean value")
            return nil
        }
        http = bool("http") ?? true
        let https = bool("https") ?? false
        if !http && !https { errors.append("Settings serve via http and https are both set to false. At least one option should be set to true.") }
        if let name = c["checksum_type"]?.stringValue {
            guard let t = ChecksumType(pulp: name) else {
                throw PulpError.wrapped("Configuration errors:\nInvalid checksum type [\(name)]")
            }
            checksumType = t
        } else {
            // Pulp 2.8 writes the type it chose into the config on the first publish; pulpform does not, so a
            // reconciled distributor shows no drift after it publishes (pulp2-compat.md).
            checksumType = request.repository?.scratchpad["checksum_type"]?.stringValue.flatMap { ChecksumType(pulp: $0) } ?? .sha256
        }
        if !errors.isEmpty { throw PulpError.wrapped("Configuration errors:\n" + errors.joined(separator: "\n")) }
    }

    var repoId: String { request.repoId }

    mutating func report() async {
        await request.progress.report([request.distributorId: .array(steps.steps.map(JSONValue.object))])
    }

    mutating func run() async throws -> PublishResult {
        let tree = URL(fileURLWithPath: content.temporaryPath("tree"))
        do {
            try FileManager.default.createDirectory(at: tree.appendingPathComponent("repodata"), withIntermediateDirectories: true)
            try await build(tree)
            try await switchTo(tree)
        } catch {
            try? FileManager.default.removeItem(at: tree)
            steps.failRunning((error as? PulpError)?.message ?? "\(error)")
            await report()
            if error is CancellationError { throw error }
            throw PulpError.publishFailed(repoId: repoId, distributorId: request.distributorId, summary: "\(error)")
        }
        var result = PublishResult(summary: steps.summary)
        result.details = .array(steps.steps.map(JSONValue.object))
        return result
    }

    /// A file of repodata being written: gzip, hashed in and out, renamed to `<checksum>-<name>` when closed.
    /// Written by one closure at a time (the store read that walks the packages).
    struct MetadataFile: @unchecked Sendable {
        let type: String
        let name: String
        let path: String
        let writer: FileWriter
        let gzip: GzipWriter

        init(type: String, name: String, dir: URL, checksumType: ChecksumType) throws {
            self.type = type
            self.name = name
            path = dir.appendingPathComponent(name).path
            let writer = try FileWriter(path)
            self.writer = writer
            gzip = try GzipWriter(checksumType: checksumType) { try writer.write($0) }
        }

        /// Closes the file, renames it by its checksum and returns its repomd entry.
        func close(timestamp: Int) throws -> RepomdEntry {
            try gzip.finish()
            try writer.close()
            let sum = gzip.checksum.hex()
            let final = (path as NSString).deletingLastPathComponent + "/\(sum)-\(name)"
            guard rename(path, final) == 0 else { throw ContentError("cannot rename \(path)") }
            return RepomdEntry(type: type, href: "repodata/\(sum)-\(name)", checksumType: gzip.checksum.type.rawValue,
                               checksum: sum, size: gzip.size, openChecksumType: gzip.openChecksum.type.rawValue,
                               openChecksum: gzip.openChecksum.hex(), openSize: gzip.openSize, timestamp: timestamp)
        }
    }

    private mutating func build(_ tree: URL) async throws {
        let repodata = tree.appendingPathComponent("repodata")
        let now = Int(request.now())
        steps.set("initialize_repo_metadata", "FINISHED", done: 1)
        steps.set("distribution", "SKIPPED")
        let repoId = self.repoId, content = self.content, checksumType = self.checksumType
        let (counts, duplicates) = try await store.read { db in
            (try db.contentCounts(repoId: repoId), try db.duplicatePackageFilenames(repoId: repoId))
        }
        // Two packages with one file name (a rebuild with the same NEVRA): the first is published, as one file
        // can only be one of them.
        let packages = (counts["rpm"] ?? 0) + (counts["srpm"] ?? 0) - duplicates
        steps.set("rpms", "IN_PROGRESS", total: packages, done: 0)
        await report()

        // Packages: links and the three snippet files, in one pass over the store.
        let primary = try MetadataFile(type: "primary", name: "primary.xml.gz", dir: repodata, checksumType: checksumType)
        let filelists = try MetadataFile(type: "filelists", name: "filelists.xml.gz", dir: repodata, checksumType: checksumType)
        let other = try MetadataFile(type: "other", name: "other.xml.gz", dir: repodata, checksumType: checksumType)
        let header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        try primary.gzip.write(header + "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"\(packages)\">\n")
        try filelists.gzip.write(header + "<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" packages=\"\(packages)\">\n")
        try other.gzip.write(header + "<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" packages=\"\(packages)\">\n")
        // The three files are compressed at once, each on a queue of its own, and the packages linked on another,
        // while this thread reads the store. The NEVRAs are kept for the errata, if there are any.
        let streams = [primary, filelists, other].map(CompressionStream.init)
        let links = LinkQueue()
        let withErrata = (counts["erratum"] ?? 0) > 0
        let nevras: Set<String> = try await store.read { db in
            var seen: Set<String> = []
            var filenames: Set<String> = []
            try db.eachPackageToPublish(repoId: repoId, nevra: withErrata) { p in
                if duplicates > 0, let filename = p.filename, !filenames.insert(filename).inserted { return }
                if withErrata { seen.insert(p.nevra) }
                if let sha = p.fileSha256, let filename = p.filename, !filename.contains("/") {
                    try links.append(content.unitPath(sha256: sha), tree.path + "/" + filename)
                }
                for (stream, snippet) in zip(streams, [p.primary, p.filelists, p.other]) {
                    if let snippet, !snippet.isEmpty { try stream.append(snippet) }
                }
            }
            return seen
        }
        try links.finish()
        for stream in streams { try stream.finish() }
        try primary.gzip.write("</metadata>\n")
        try filelists.gzip.write("</filelists>\n")
        try other.gzip.write("</otherdata>\n")
        var entries = [try filelists.close(timestamp: now), try other.close(timestamp: now), try primary.close(timestamp: now)]
        steps.set("rpms", "FINISHED", total: packages, done: packages)
        steps.set("drpms", "SKIPPED")

        // Errata: each pkglist keeps only the packages this repository holds.
        let units = try await store.read { db in
            try db.repositoryContent(repoId: repoId, typeIds: ["erratum", "package_group", "package_category", "package_environment",
                                                               "yum_repo_metadata_file"])
        }
        let errata = units.filter { $0.typeId == "erratum" }
        steps.set("errata", "IN_PROGRESS", total: errata.count)
        if !errata.isEmpty {
            let file = try MetadataFile(type: "updateinfo", name: "updateinfo.xml.gz", dir: repodata, checksumType: checksumType)
            try file.gzip.write(header + "<updates>\n")
            for e in errata {
                try file.gzip.write(Erratum.xml(e.metadata) { p in
                    func s(_ key: String) -> String { p[key]?.stringValue ?? "" }
                    let epoch = s("epoch").isEmpty ? "0" : s("epoch")
                    return nevras.contains("\(s("name"))\u{0}\(epoch)\u{0}\(s("version"))\u{0}\(s("release"))\u{0}\(s("arch"))")
                })
            }
            try file.gzip.write("</updates>\n")
            entries.append(try file.close(timestamp: now))
        }
        steps.set("errata", "FINISHED", total: errata.count, done: errata.count)

        // Comps: uncompressed, as Pulp writes it (repomd type `group`).
        let comps = units.filter { Comps.elements.values.contains($0.typeId) }
        steps.set("comps", comps.isEmpty ? "SKIPPED" : "IN_PROGRESS", total: comps.count)
        if !comps.isEmpty {
            var xml = header + "<!DOCTYPE comps PUBLIC \"-//Red Hat, Inc.//DTD Comps info//EN\" \"comps.dtd\">\n<comps>\n"
            for type in ["package_group", "package_category", "package_environment"] {
                for u in comps where u.typeId == type { xml += Comps.xml(type, u.metadata) }
            }
            xml += "</comps>\n"
            let bytes = Array(xml.utf8)
            let sum = Checksummer.hex(bytes, checksumType)
            let path = repodata.appendingPathComponent("\(sum)-comps.xml").path
            let w = try FileWriter(path)
            try bytes.withUnsafeBytes { try w.write($0) }
            try w.close()
            entries.append(RepomdEntry(type: "group", href: "repodata/\(sum)-comps.xml", checksumType: checksumType.rawValue,
                                       checksum: sum, size: bytes.count, timestamp: now))
            steps.set("comps", "FINISHED", total: comps.count, done: comps.count)
        }

        // Other metadata files, linked from the content directory.
        let files = units.filter { $0.typeId == "yum_repo_metadata_file" }
        steps.set("metadata", "IN_PROGRESS", total: files.count)
        for f in files {
            guard let sha = f.fileSha256, let type = f.unitKey["data_type"]?.stringValue else { continue }
            let name = f.metadata["relative_path"]?.stringValue ?? "\(sha)-\(type)"
            guard !name.contains("/"), !name.isEmpty else { continue }
            try ContentDirectory.linkOrCopy(content.unitPath(sha256: sha), to: repodata.appendingPathComponent(name).path)
            let sum = f.metadata["checksum"]?.stringValue ?? sha
            let sumType = f.metadata["checksum_type"]?.stringValue ?? "sha256"
            entries.append(RepomdEntry(type: type, href: "repodata/\(name)", checksumType: sumType, checksum: sum,
                                       size: f.size, timestamp: now))
        }
        steps.set("metadata", "FINISHED", total: files.count, done: files.count)

        // repomd.xml last.
        var repomd = header + "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
        repomd += "  <revision>\(now)</revision>\n"
        for e in entries {
            repomd += "  <data type=\"\(XMLScanner.escape(e.type))\">\n"
            repomd += "    <location href=\"\(XMLScanner.escape(e.href))\"/>\n"
            repomd += "    <timestamp>\(e.timestamp ?? now)</timestamp>\n"
            if let size = e.size { repomd += "    <size>\(size)</size>\n" }
            repomd += "    <checksum type=\"\(e.checksumType)\">\(e.checksum)</checksum>\n"
            if let openSize = e.openSize, let open = e.openChecksum, let openType = e.openChecksumType {
                repomd += "    <open-size>\(openSize)</open-size>\n"
                repomd += "    <open-checksum type=\"\(openType)\">\(open)</open-checksum>\n"
            }
            repomd += "  </data>\n"
        }
        repomd += "</repomd>\n"
        let w = try FileWriter(repodata.appendingPathComponent("repomd.xml").path)
        try w.write(repomd)
        try w.close()
        steps.set("close_repo_metadata", "FINISHED", done: 1)
        steps.set("generate sqlite", "SKIPPED")
        steps.set("publish_directory", "IN_PROGRESS")
        await report()
    }

    /// Work run in order on a serial queue of its own, at most a few items behind the thread that submits it.
    /// The first failure is kept, and thrown by the next `submit` or by `finish`.
    final class SerialWork: @unchecked Sendable {
        private let queue: DispatchQueue
        private let slots = DispatchSemaphore(value: 4)
        private let failure = Mutex<(any Error)?>(nil)

        init(label: String) {
            queue = DispatchQueue(label: "pulpform.publish.\(label)")
        }

        func submit(_ work: @escaping @Sendable () throws -> Void) throws {
            if let error = failure.withLock({ $0 }) { throw error }
            slots.wait()
            queue.async { [self] in
                defer { slots.signal() }
                do { try work() } catch { failure.withLock { $0 = $0 ?? error } }
            }
        }

        /// Waits for what was submitted.
        func finish() throws {
            queue.sync {}
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }

    /// A gzip stream fed from one thread (the store read that walks the packages) and compressed in 256 KB
    /// batches on a queue of its own.
    final class CompressionStream: @unchecked Sendable {
        let file: MetadataFile
        private let work: SerialWork
        private var batch: [UInt8] = []

        init(_ file: MetadataFile) {
            self.file = file
            work = SerialWork(label: file.type)
            batch.reserveCapacity(300 << 10)
        }

        /// Adds a snippet and its newline.
        func append(_ bytes: Data) throws {
            batch.append(contentsOf: bytes)
            batch.append(0x0A)
            if batch.count >= 256 << 10 { try flush() }
        }

        private func flush() throws {
            guard !batch.isEmpty else { return }
            let full = batch, file = self.file
            batch = []
            batch.reserveCapacity(300 << 10)
            try work.submit { try file.gzip.write(full) }
        }

        /// Writes what is left and waits for the queue.
        func finish() throws {
            try flush()
            try work.finish()
        }
    }

    /// Links packages into the tree on a queue of its own, in batches of 1,000; fed from one thread.
    final class LinkQueue: @unchecked Sendable {
        private let work = SerialWork(label: "links")
        private var batch: [(String, String)] = []

        func append(_ source: String, _ target: String) throws {
            batch.append((source, target))
            if batch.count >= 1_000 { try flush() }
        }

        private func flush() throws {
            let full = batch
            batch = []
            try work.submit { for (source, target) in full { try ContentDirectory.linkOrCopy(source, to: target) } }
        }

        func finish() throws {
            try flush()
            try work.finish()
        }
    }

    /// Moves the tree under `master/<repo>/<stamp>` and points `http/repos/<relative_url>` at it with one
    /// `rename(2)` of a fresh symlink, so a client sees the old tree or the new one, never a mix. Older trees go.
    private mutating func switchTo(_ tree: URL) async throws {
        let master = content.master(repoId)
        let stamp = try ContentDirectory.install(tree: tree, in: master)
        let link = content.httpRepos.appendingPathComponent(relativeURL)
        let parent = link.deletingLastPathComponent()
        if http {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            // A relative target, so the content directory can move.
            let depth = relativeURL.split(separator: "/").count - 1 + 3  // up from http/repos/<rel> to published/
            let target = String(repeating: "../", count: depth) + "yum/master/\(repoId)/\(stamp)"
            try ContentDirectory.pointLink(link, to: target, failure: "cannot switch \(relativeURL) to the new tree (is it a directory?)")
        } else {
            unlink(link.path)
        }
        // The link of a previous relative_url (or of http before it was turned off) goes.
        let record = master.appendingPathComponent(".relative_url")
        if let previous = try? String(contentsOf: record, encoding: .utf8), previous != relativeURL || !http {
            YumDistributor.removeLink(content: content, repoId: repoId, relativeURL: previous)
        }
        if http {
            let temporary = master.appendingPathComponent(".relative_url.\(stamp)")
            try Data(relativeURL.utf8).write(to: temporary)
            guard rename(temporary.path, record.path) == 0 else { throw ContentError("cannot record the published relative_url") }
        } else {
            try? FileManager.default.removeItem(at: record)
        }
        ContentDirectory.prune(master: master, keeping: stamp)
        steps.set("publish_directory", "FINISHED", done: 1)
        await report()
    }
}

extension YumDistributor {
    /// The distributor's `relative_url` without leading or trailing slashes (the repository id by default).
    static func relativeURL(_ config: JSONObject, repoId: String) -> String {
        var rel = config["relative_url"]?.stringValue ?? repoId
        while rel.hasPrefix("/") { rel.removeFirst() }
        while rel.hasSuffix("/") { rel.removeLast() }
        return rel
    }

    /// Removes `http/repos/<relative_url>` if it is this repository's link, and the directories it leaves empty.
    static func removeLink(content: ContentDirectory, repoId: String, relativeURL: String) {
        guard !relativeURL.isEmpty, !relativeURL.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else { return }
        var link = content.httpRepos.appendingPathComponent(relativeURL)
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link.path),
              target.contains("yum/master/\(repoId)/") else { return }
        unlink(link.path)
        for _ in 1..<relativeURL.split(separator: "/").count {
            link.deleteLastPathComponent()
            guard rmdir(link.path) == 0 else { break }
        }
    }

    /// Takes a repository's published tree down: its link and its trees.
    static func unpublish(content: ContentDirectory, repoId: String, relativeURL: String) {
        removeLink(content: content, repoId: repoId, relativeURL: relativeURL)
        try? FileManager.default.removeItem(at: content.master(repoId))
    }
}
