import Foundation
import PulpContent
import PulpModel
import PulpStore

/// pulp_rpm's yum_importer, `immediate` policy: reads the feed's repomd, primary, filelists, other, updateinfo
/// and comps, stores the units with their repodata snippets, downloads the packages into the content directory,
/// and returns the associations for the commit. See `YumSync` for the steps.
struct YumImporter: ImporterPlugin {
    let typeId = "yum_importer"

    func sync(_ request: SyncRequest) async throws -> SyncResult {
        let config = try ImporterConfig(request.config)
        guard let feed = config.feed else { throw PulpError.noFeed() }
        let (store, content) = try request.contentStores(for: typeId)
        let sync = YumSync(request: request, config: config, feed: feed, store: store, content: content)
        return try await sync.run()
    }
}

/// One package the feed lists, as far as the sync needs it after reading primary.
struct WantedPackage: Sendable {
    var unitId: String
    var typeId: String
    var name: String
    var arch: String
    var evr: EVR
    var href: String
    var size: Int
    var checksumType: String
    var checksum: String
    var downloaded: Bool
    var isNew: Bool
    /// The store says it has the file, and the content directory does not.
    var fileLost = false
}

/// A package's temporary file, hashed as it is written: the sink of its download, used by one event loop at a
/// time and read once the download is over.
final class PackageFile: DownloadSink, @unchecked Sendable {
    let writer: FileWriter
    let declaredType: ChecksumType?
    var sha = Checksummer(.sha256)
    var declared: Checksummer?
    var size = 0

    /// With `validate`, the size primary gives: a body that grows past it is cut short (a server that never stops).
    let limit: Int?

    init(_ path: String, declared type: ChecksumType?, limit: Int? = nil) throws {
        writer = try FileWriter(path)
        self.limit = limit
        declaredType = type
        declared = Self.checksummer(type)
    }

    /// A second hash only when primary's type is not the sha256 computed anyway.
    private static func checksummer(_ type: ChecksumType?) -> Checksummer? {
        type.flatMap { $0 == .sha256 ? nil : Checksummer($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let limit, size + bytes.count > limit {
            throw ContentError("larger than the \(limit) bytes primary gives")
        }
        try writer.write(bytes)
        sha.update(bytes)
        declared?.update(bytes)
        size += bytes.count
    }

    func finish() throws {
        try writer.close()
    }

    func discard() {
        try? writer.close()
        unlink(writer.path)
    }

    func restart() throws {
        try writer.truncate()
        sha = Checksummer(.sha256)
        declared = Self.checksummer(declaredType)
        size = 0
    }

    /// Downloads `url` into the file (through `sink`, a wrapper of it, when given) and closes it; on any failure
    /// the file goes and the error is thrown.
    func fetch(_ url: String, with fetcher: Fetcher, via sink: (any DownloadSink)? = nil) async throws {
        do {
            try await fetcher.download(url, into: sink ?? self)
            try finish()
        } catch {
            discard()
            throw error
        }
    }

    /// The checksum of the declared type (the sha256 when that is the type, or none was declared).
    var declaredHex: String { declared?.hex() ?? sha.hex() }

    /// Moves the checked file to its sha256 address and returns that; on a failure the file goes.
    func adopt(into content: ContentDirectory) throws -> String {
        let sha256 = sha.hex()
        do {
            try content.adopt(temporary: writer.path, sha256: sha256)
        } catch {
            discard()
            throw error
        }
        return sha256
    }
}

/// A metadata file's elements in batches, read on demand: decompressed and cut as the file is read, its
/// decompressed size and checksum checked against repomd.xml at the end. Used by one task at a time.
final class ElementBatches: @unchecked Sendable {
    let entry: RepomdEntry
    private let decompressor: Decompressor
    private var splitter: ElementSplitter
    private var open: Checksummer?
    private var openSize = 0
    private let input: FileReader
    private let batchSize: Int
    /// The first batch's size, when smaller: primary's, so that downloads start sooner.
    private var firstBatch: Int?
    private var collected: [(String, [UInt8])] = []
    private var finished = false

    init(_ entry: RepomdEntry, file: String, names: [String], batchSize: Int = 500, firstBatch: Int? = nil) throws {
        self.entry = entry
        self.batchSize = batchSize
        self.firstBatch = firstBatch
        do {
            decompressor = try Decompressor(entry.compression)
        } catch let e as DecompressionError {
            throw PulpError.unparsableMetadata("\(entry.href): \(e.message)")
        }
        splitter = ElementSplitter(names: names)
        open = entry.openChecksumType.flatMap { ChecksumType(pulp: $0) }.map(Checksummer.init)
        input = try FileReader(file)
    }

    deinit { input.close() }

    /// The next batch (`batchSize` elements, fewer at the end), or nil once the file is read and checked.
    func next() throws -> [(String, [UInt8])]? {
        let count = firstBatch ?? batchSize
        firstBatch = nil
        return try take(count)
    }

    /// The next `count` elements (fewer at the end), or nil once the file is read and checked.
    func take(_ count: Int) throws -> [(String, [UInt8])]? {
        do {
            try fill(count)
        } catch let e as XMLError {
            throw PulpError.unparsableMetadata("\(entry.href): \(e.message)")
        } catch let e as DecompressionError {
            throw PulpError.unparsableMetadata("\(entry.href): \(e.message)")
        }
        guard !collected.isEmpty else { return nil }
        guard collected.count > count else {
            defer { collected = [] }
            return collected
        }
        let batch = Array(collected.prefix(count))
        collected.removeFirst(count)
        return batch
    }

    private func fill(_ count: Int) throws {
        let sink: (UnsafeRawBufferPointer) throws -> Void = { plain in
            self.open?.update(plain)
            self.openSize += plain.count
            try self.splitter.feed(plain) { name, bytes in self.collected.append((name, Array(bytes))) }
        }
        while !finished, collected.count < count {
            if let chunk = try input.read(count < 200 ? 16 << 10 : 64 << 10) {
                try chunk.withUnsafeBytes { try decompressor.feed($0, sink) }
            } else {
                try decompressor.finish(sink)
                try splitter.finish()
                finished = true
                if let expected = entry.openSize, expected != openSize {
                    throw XMLError("\(openSize) bytes once decompressed, where repomd.xml says \(expected)")
                }
                if let open, let expected = entry.openChecksum, open.hex() != expected.lowercased() {
                    throw XMLError("the decompressed \(open.type.rawValue) checksum does not match repomd.xml")
                }
            }
        }
    }
}

/// filelists or other, read alongside primary: `take(n)` gives the next `n` elements with their `pkgid`. Used by
/// one task at a time.
final class SnippetCursor: @unchecked Sendable {
    let kind: RepodataKind
    private let batches: ElementBatches

    init(_ kind: RepodataKind, _ batches: ElementBatches) {
        self.kind = kind
        self.batches = batches
    }

    func take(_ n: Int) throws -> [(pkgid: String?, bytes: [UInt8])] {
        (try batches.take(n) ?? []).map { (Snippet.pkgid(of: $0.1), $0.1) }
    }

    /// Reads to the end, dropping what is left.
    func drain() throws {
        while try batches.take(1000) != nil {}
    }
}

/// One sync's state. It lives inside the sync's task only.
final class YumSync {
    let request: SyncRequest
    let config: ImporterConfig
    let feed: String
    let store: PulpStore
    let content: ContentDirectory
    var progress = YumSyncProgress()
    var temporaries: [String] = []
    var associate: [(unitId: String, typeId: String)] = []
    var presentKeys: [String: Set<String>] = [:]
    /// The packages the repository keeps when `remove_missing` is off: what it held, less the duplicates
    /// (purge_duplicates) and the versions beyond `retain_old_count`, plus what this sync brings.
    var packagesKept: [String: Set<String>]?
    var errataRan = false
    /// Deferred downloads: where each package without its file can be fetched.
    var lazyCatalog: [(unitId: String, url: String)] = []

    init(request: SyncRequest, config: ImporterConfig, feed: String, store: PulpStore, content: ContentDirectory) {
        self.request = request
        self.config = config
        self.feed = feed
        self.store = store
        self.content = content
    }

    deinit {
        for t in temporaries { unlink(t) }
    }

    var repoId: String { request.repoId }
    func now() -> Double { request.now() }

    func report(force: Bool = false) async {
        guard progress.due(force: force) else { return }
        await request.progress.report(["yum_importer": .object(progress.report)])
    }

    func run() async throws -> SyncResult {
        do {
            return try await steps()
        } catch {
            if error is CancellationError || Task.isCancelled {
                progress.cancel()
            } else {
                progress.fail((error as? PulpError)?.message ?? "\(error)")
                await report(force: true)
            }
            throw error
        }
    }

    private func steps() async throws -> SyncResult {
        let fetcher = try Fetcher(config.fetch)
        defer { Task { await fetcher.shutdown() } }

        // 1. metadata
        progress.state["metadata"] = "IN_PROGRESS"
        await report(force: true)
        let repomdBytes: [UInt8]
        do {
            repomdBytes = try await fetcher.fetchAll(feed + "repodata/repomd.xml", limit: 16 << 20)
        } catch let e as FetchError {
            throw PulpError.metadataUnavailable(e.responseCode == 404 ? "Not found" : e.description)
        }
        let repomd: Repomd
        do { repomd = try Repomd.parse(repomdBytes) } catch { throw PulpError.unparsableMetadata("repomd.xml: \(error)") }

        if try await unchanged(repomd) {
            for step in YumSyncProgress.steps { progress.state[step] = "FINISHED" }
            await report(force: true)
            return result(repomd, clean: true)
        }

        var files: [String: String] = [:]
        for entry in repomd.entries where !entry.type.hasSuffix("_db") && !entry.type.hasSuffix("_zck") {
            files[entry.type] = try await fetchMetadata(entry, fetcher)
        }
        progress.state["metadata"] = "FINISHED"

        // 2. content
        if config.skip.contains("rpm") {
            progress.state["content"] = "SKIPPED"
        } else {
            progress.state["content"] = "IN_PROGRESS"
            await report(force: true)
            guard let primary = repomd.entry("primary"), let primaryFile = files["primary"] else {
                throw PulpError.unparsableMetadata("repomd.xml lists no primary metadata")
            }
            let (wanted, failed) = try await packages(primary, file: primaryFile, repomd: repomd, files: files, fetcher: fetcher)
            for p in wanted where !failed.contains(p.unitId) { associate.append((p.unitId, p.typeId)) }
            if config.defersDownloads {
                lazyCatalog = wanted.filter { !$0.downloaded }.map { ($0.unitId, feed + $0.href) }
                // Units the store thinks it has the file of, whose file is gone: fetched again when asked for.
                let lost = wanted.filter(\.fileLost).map(\.unitId)
                if !lost.isEmpty { try await store.write { db in try db.markMissing(lost) } }
            }
            presentKeys["rpm"] = Set(wanted.filter { $0.typeId == "rpm" }.map(\.unitId))
            presentKeys["srpm"] = Set(wanted.filter { $0.typeId == "srpm" }.map(\.unitId))
            if !config.removeMissing {
                packagesKept = try await keptPackages(wanted.filter { !failed.contains($0.unitId) })
            }
            progress.state["purge_duplicates"] = "FINISHED"
            progress.state["content"] = "FINISHED"
        }
        progress.state["distribution"] = "FINISHED"

        // 3. errata
        if config.skip.contains("erratum") {
            progress.state["errata"] = "SKIPPED"
        } else {
            progress.state["errata"] = "IN_PROGRESS"
            await report()
            if let entry = repomd.entry("updateinfo"), let file = files["updateinfo"] {
                try await readErrata(entry, file: file)
            }
            errataRan = true
            progress.state["errata"] = "FINISHED"
        }

        // 4. comps (never skipped)
        progress.state["comps"] = "IN_PROGRESS"
        if let entry = repomd.entry("group_gz") ?? repomd.entry("group_xz") ?? repomd.entry("group_bz2") ?? repomd.entry("group_zst") ?? repomd.entry("group"), let file = files[entry.type] {
            try await readComps(entry, file: file)
        }
        progress.state["comps"] = "FINISHED"

        // Every other repomd type: a yum_repo_metadata_file.
        for entry in repomd.entries where !Repomd.knownTypes.contains(entry.type) {
            if let file = files[entry.type] { try await storeMetadataFile(entry, file: file) }
        }
        progress.state["purge_duplicates"] = "FINISHED"
        await report(force: true)
        return result(repomd, clean: progress.errorDetails.isEmpty)
    }

    /// Pulp's skip-if-unchanged: the revision is no newer than the last clean sync's, the skip list has not
    /// shrunk, every package the repository holds has its file, and nothing was removed since.
    private func unchanged(_ repomd: Repomd) async throws -> Bool {
        guard let scratch = request.importer?.scratchpad.objectValue, let saved = scratch["repomd_revision"]?.intValue,
              repomd.revision <= saved else { return false }
        let previous = Set((scratch["previous_skip_list"]?.arrayValue ?? []).compactMap(\.stringValue))
        guard previous.isSubset(of: config.skip) else { return false }
        if let removed = request.repository?.lastUnitRemoved {
            guard let synced = request.importer?.lastSync, removed <= synced else { return false }
        }
        let repoId = self.repoId
        if config.defersDownloads { return true }
        let missing = try await store.read { db in try db.packagesWithoutFile(repoId: repoId) }
        return missing == 0
    }

    private func result(_ repomd: Repomd, clean: Bool) -> SyncResult {
        var r = SyncResult(summary: progress.summary)
        r.associate = associate
        r.details = progress.report
        if clean {
            r.importerScratchpad = ["repomd_revision": .int(repomd.revision),
                                    "previous_skip_list": .array(config.skip.sorted().map(JSONValue.string))]
        }
        if let first = repomd.entries.first, let t = ChecksumType(pulp: first.checksumType) {
            r.repositoryScratchpad = ["checksum_type": .string(t.rawValue)]
        }
        // Only the types whose steps ran: a skipped step (the skip list, an unchanged feed) removes nothing.
        var keep: [String: Set<String>] = [:]
        if config.removeMissing {
            keep = presentKeys
            if errataRan { keep["erratum"] = Set(associate.filter { $0.typeId == "erratum" }.map(\.unitId)) }
        }
        if let packagesKept { keep.merge(packagesKept) { _, b in b } }
        r.keepOnly = keep
        r.lazyCatalog = lazyCatalog
        r.spawnDownload = config.downloadPolicy == "background"
        return r
    }

    /// Without `remove_missing`: the repository's packages and the feed's, less the older of two with the same
    /// NEVRA (purge_duplicates: the feed's wins) and the versions beyond `retain_old_count` per name and arch.
    /// Nil when that removes nothing.
    private func keptPackages(_ wanted: [WantedPackage]) async throws -> [String: Set<String>]? {
        guard config.retainOldCount != nil || wanted.contains(where: \.isNew) else { return nil }
        let repoId = self.repoId
        let held = try await store.read { db in try db.repositoryContent(repoId: repoId, typeIds: ["rpm", "srpm"]) }
        guard !held.isEmpty else { return nil }
        struct Package { var unitId, typeId, name, arch: String; var evr: EVR }
        func nevra(_ p: Package) -> String {
            "\(p.typeId)\u{0}\(p.name)\u{0}\(p.evr.epoch):\(p.evr.version)-\(p.evr.release)\u{0}\(p.arch)"
        }
        var all = wanted.map { Package(unitId: $0.unitId, typeId: $0.typeId, name: $0.name, arch: $0.arch, evr: $0.evr) }
        let fromFeed = Set(all.map(nevra))
        let wantedIds = Set(all.map(\.unitId))
        for u in held where !wantedIds.contains(u.unitId) {
            func s(_ k: String) -> String { u.unitKey[k]?.stringValue ?? "" }
            let p = Package(unitId: u.unitId, typeId: u.typeId, name: s("name"), arch: s("arch"),
                            evr: EVR(epoch: s("epoch"), version: s("version"), release: s("release")))
            if !fromFeed.contains(nevra(p)) { all.append(p) }
        }
        if let n = config.retainOldCount {
            all = Self.newestVersions(all, count: n + 1, typeId: \.typeId, name: \.name, arch: \.arch, evr: \.evr)
        }
        let keptIds = Set(all.map(\.unitId))
        guard !held.allSatisfy({ keptIds.contains($0.unitId) }) else { return nil }
        var out: [String: Set<String>] = ["rpm": [], "srpm": []]
        for p in all { out[p.typeId, default: []].insert(p.unitId) }
        return out
    }

    // MARK: - Metadata files

    /// Downloads a metadata file to a temporary path, checking its size and checksum against repomd.
    private func fetchMetadata(_ entry: RepomdEntry, _ fetcher: Fetcher) async throws -> String {
        let path = content.temporaryPath(entry.type)
        temporaries.append(path)
        let writer = try FileWriter(path)
        var checksum = ChecksumType(pulp: entry.checksumType).map(Checksummer.init)
        var size = 0
        do {
            try await fetcher.fetch(feed + entry.href, restart: {
                try writer.truncate()
                checksum = ChecksumType(pulp: entry.checksumType).map(Checksummer.init)
                size = 0
            }) { chunk in
                try writer.write(chunk)
                checksum?.update(chunk)
                size += chunk.count
            }
            try writer.close()
        } catch let e as FetchError {
            try? writer.close()
            throw PulpError.metadataUnavailable(e.description)
        }
        if let expected = entry.size, expected != size {
            throw PulpError.unparsableMetadata("\(entry.href): \(size) bytes where repomd.xml says \(expected)")
        }
        if let checksum, checksum.hex() != entry.checksum.lowercased() {
            throw PulpError.unparsableMetadata("\(entry.href): the \(checksum.type.rawValue) checksum does not match repomd.xml")
        }
        return path
    }

    /// Streams a metadata file through its decompressor and the element splitter, checking `open-size` and
    /// `open-checksum`. `handle` gets the elements (name and bytes) in batches, so memory holds one batch.
    static func eachElement(_ entry: RepomdEntry, file: String, names: [String], batchSize: Int = 500,
                            _ handle: ([(String, [UInt8])]) async throws -> Void) async throws
    {
        let batches = try ElementBatches(entry, file: file, names: names, batchSize: batchSize)
        while let batch = try batches.next() {
            try Task.checkCancellation()
            try await handle(batch)
        }
    }

    // MARK: - Packages

    /// One package of primary as read: its `<package>` (relocated) and, when filelists and other list it at the
    /// same place, theirs.
    struct ParsedPackage: Sendable {
        var package: PrimaryPackage
        var primary: [UInt8]
        var filelists: [UInt8]?
        var other: [UInt8]?
        /// The unit's key digest and its key and metadata as stored, made here, off the sync's own task.
        var keyDigest: String
        var unitKeyJSON: String
        var metadataJSON: String

        init(package: PrimaryPackage, primary: [UInt8]) {
            self.package = package
            self.primary = primary
            keyDigest = package.keyDigest
            unitKeyJSON = package.unitKeyJSON
            metadataJSON = package.metadataJSON
        }
    }

    /// One batch of primary, parsed (off the sync's own task), or nil at its end. filelists and other are read
    /// alongside, as many elements as primary gave: createrepo writes the three in the same order, so each
    /// package's snippets are stored with it. Where the orders differ, the snippets are left for the pass over
    /// filelists and other that follows, which reads them for every package still without.
    static func parseBatch(_ reader: ElementBatches, alongside: [SnippetCursor], skipSource: Bool) throws -> [ParsedPackage]? {
        guard let elements = try reader.next() else {
            // Read the rest, so that their decompressed size and checksum are checked too.
            for cursor in alongside { try cursor.drain() }
            return nil
        }
        let beside = try alongside.map { try $0.take(elements.count) }
        var batch: [ParsedPackage] = []
        batch.reserveCapacity(elements.count)
        do {
            for (i, (_, bytes)) in elements.enumerated() {
                let p = try PrimaryPackage.parse(bytes)
                if p.isSource && skipSource { continue }
                var parsed = ParsedPackage(package: p, primary: Snippet.relocate(bytes[...], filename: p.filename))
                for (j, cursor) in alongside.enumerated() where i < beside[j].count && beside[j][i].pkgid == p.checksum {
                    if cursor.kind == .filelists { parsed.filelists = beside[j][i].bytes } else { parsed.other = beside[j][i].bytes }
                }
                batch.append(parsed)
            }
        } catch let e as XMLError {
            throw PulpError.unparsableMetadata("\(reader.entry.href): \(e.message)")
        }
        return batch
    }

    enum PackageEvent: Sendable {
        case parsed([ParsedPackage]?)
        case downloaded(DownloadOutcome)
        case bulk([BulkDownloader.Outcome])
    }

    /// A new package whose file is in the content directory (downloaded, or there already): its unit is stored
    /// with the file, in the next flush.
    struct Arrived: Sendable {
        var unitId: String
        var parsed: ParsedPackage
        /// Nil for a deferred download: the unit is stored without its file.
        var sha256: String?
        var size: Int
    }

    /// At most this many new packages wait for their download with their metadata in memory; primary is read
    /// no further until half of them have arrived.
    static let pendingLimit = 4000

    /// Reads primary and downloads the packages at once. Each batch of primary is parsed in a child task while
    /// the last one is matched against the store, and its packages join the downloads at once.
    ///
    /// A package the store does not hold is stored only once its file is in the content directory: unit,
    /// metadata and snippets in one row each, with the file's checksum, in batches. So a failed, cancelled or
    /// killed sync leaves no unit without its file, and a package whose file is already there (sha256 named)
    /// is stored without a download. With `retain_old_count`, a first pass over primary picks the versions kept.
    ///
    /// Downloads from the feed's own origin go to a `BulkDownloader`, whose outcomes come back in batches;
    /// the others (`file://`, a proxy, `max_speed`, another host, a redirect) each run in a child task,
    /// `max_downloads` at a time. Returns the packages wanted and the ids whose download failed.
    private func packages(_ primary: RepomdEntry, file: String, repomd: Repomd, files: [String: String],
                          fetcher: Fetcher) async throws -> (wanted: [WantedPackage], failed: Set<String>)
    {
        let skipSource = config.skip.contains("srpm")
        let retained = try config.retainOldCount.map { try Self.retained(primary, file: file, count: $0, skipSource: skipSource) }
        let reader = try ElementBatches(primary, file: file, names: ["package"], firstBatch: 100)
        var alongside: [SnippetCursor] = []
        for (type, kind) in [("filelists", RepodataKind.filelists), ("other", .other)] {
            if let entry = repomd.entry(type), let path = files[type] {
                alongside.append(SnippetCursor(kind, try ElementBatches(entry, file: path, names: ["package"])))
            }
        }
        let feed = self.feed, content = self.content, validate = config.validate, store = self.store
        let maxDownloads = config.maxDownloads
        let bulk = fetcher.bulkDownloader(feed: feed, connections: maxDownloads)
        defer { bulk?.cancel() }
        var bulkJobs: [Int: WantedPackage] = [:]
        var nextKey = 0, collecting = false, parseWaiting = false
        var wanted: [WantedPackage] = []
        var queue: [WantedPackage] = []
        var next = 0, inFlight = 0
        var failed: Set<String> = []
        // Known units whose file arrived, and new packages whose file arrived: stored by `flush`.
        var done: [(String, String, Int)] = []
        var arrived: [Arrived] = []
        var pending: [String: ParsedPackage] = [:]
        var replaced: [String: String] = [:]
        var seen: Set<String> = []
        progress.itemsTotal = 0
        progress.itemsLeft = 0
        progress.sizeTotal = 0
        progress.sizeLeft = 0
        func record(_ outcome: DownloadOutcome) {
            progress.itemsLeft -= 1
            progress.rpmDone += 1
            switch outcome {
            case .ok(let id, let sha, let size, let declared):
                progress.sizeLeft -= declared
                if let parsed = pending.removeValue(forKey: id) {
                    arrived.append(Arrived(unitId: id, parsed: parsed, sha256: sha, size: size))
                } else {
                    done.append((id, sha, size))
                }
            case .failed(let id, let declared, let detail):
                progress.sizeLeft -= declared
                pending[id] = nil
                failed.insert(id)
                progress.errorDetails.append(.object(detail))
            }
        }
        func enqueue(_ packages: [WantedPackage]) {
            var jobs: [BulkDownloader.Job] = []
            for p in packages {
                if p.downloaded {
                    progress.rpmDone += 1
                    continue
                }
                // on_demand and background: the unit now, its file when a client (or download_repo) wants it.
                if config.defersDownloads {
                    progress.rpmDone += 1
                    if let parsed = pending.removeValue(forKey: p.unitId) {
                        arrived.append(Arrived(unitId: p.unitId, parsed: parsed, sha256: nil, size: p.size))
                    }
                    continue
                }
                progress.itemsTotal += 1
                progress.itemsLeft += 1
                progress.sizeTotal += p.size
                progress.sizeLeft += p.size
                let url = feed + p.href
                guard let bulk, bulk.accepts(url) else {
                    queue.append(p)
                    continue
                }
                let declaredType = ChecksumType(pulp: p.checksumType)
                if validate && declaredType == nil {
                    record(Self.unknownChecksumType(p))
                    continue
                }
                nextKey += 1
                bulkJobs[nextKey] = p
                let limit = validate ? p.size : nil
                jobs.append(BulkDownloader.Job(key: nextKey, url: url) {
                    try PackageFile(content.temporaryPath("rpm"), declared: declaredType, limit: limit)
                })
            }
            bulk?.submit(jobs)
        }
        try await withThrowingTaskGroup(of: PackageEvent.self) { group in
            func parseNext() {
                group.addTask { [alongside] in .parsed(try Self.parseBatch(reader, alongside: alongside, skipSource: skipSource)) }
            }
            func startDownloads() {
                while inFlight < maxDownloads, next < queue.count {
                    let p = queue[next]
                    next += 1
                    inFlight += 1
                    group.addTask { .downloaded(await Self.downloadOne(p, feed: feed, fetcher: fetcher, content: content, validate: validate)) }
                }
                if let bulk, !bulkJobs.isEmpty, !collecting {
                    collecting = true
                    group.addTask { .bulk(await bulk.next()) }
                }
            }
            /// Downloaded files not yet moved into the content directory go when the sync ends early.
            func discard(_ event: PackageEvent?) {
                guard case .bulk(let outcomes)? = event else { return }
                for case .finished(_, let sink) in outcomes { sink.discard() }
            }
            parseNext()
            do {
                while let event = try await group.next() {
                    if Task.isCancelled {
                        discard(event)
                        throw CancellationError()
                    }
                    switch event {
                    case .parsed(var batch?):
                        if let retained { batch.removeAll { !retained.contains($0.package.typeId + "\u{0}" + $0.keyDigest) } }
                        let resolved = try await resolve(batch, seen: &seen, pending: &pending, arrived: &arrived)
                        wanted += resolved
                        progress.rpmTotal = wanted.count
                        enqueue(resolved)
                        if pending.count < Self.pendingLimit { parseNext() } else { parseWaiting = true }
                        await report(force: wanted.count == resolved.count)
                    case .parsed(nil):
                        await report(force: true)
                    case .downloaded(let outcome):
                        inFlight -= 1
                        record(outcome)
                        await report()
                    case .bulk(let outcomes):
                        collecting = false
                        for outcome in outcomes {
                            switch outcome {
                            case .finished(let key, let sink):
                                guard let p = bulkJobs.removeValue(forKey: key) else { sink.discard(); continue }
                                guard let file = sink as? PackageFile else { sink.discard(); continue }
                                record(Self.complete(p, file: file, url: feed + p.href, content: content, validate: validate))
                            case .failed(let key, let error):
                                guard let p = bulkJobs.removeValue(forKey: key) else { continue }
                                record(Self.failure(p, url: feed + p.href, error))
                            case .redirected(let key):
                                guard let p = bulkJobs.removeValue(forKey: key) else { continue }
                                queue.append(p)
                            }
                        }
                        if outcomes.isEmpty {
                            // Only a cancel ends the downloader early.
                            if Task.isCancelled { throw CancellationError() }
                            for (_, p) in bulkJobs {
                                record(Self.failure(p, url: feed + p.href, FetchError(url: feed + p.href, message: "abandoned", transient: false)))
                            }
                            bulkJobs = [:]
                        }
                        await report()
                    }
                    if done.count + arrived.count >= 500 { try await flush(&done, &arrived, &replaced) }
                    if parseWaiting && pending.count < Self.pendingLimit / 2 {
                        parseWaiting = false
                        parseNext()
                    }
                    startDownloads()
                }
            } catch {
                bulk?.cancel()
                group.cancelAll()
                while !group.isEmpty { discard(try? await group.next()) }
                throw error
            }
        }
        try await flush(&done, &arrived, &replaced)

        // The snippets that filelists and other did not give alongside primary (their order differs).
        let missing = try await store.read { db in try db.pkgidsMissingRepodata() }.intersection(wanted.map(\.checksum))
        if !missing.isEmpty {
            var jobs: [(RepomdEntry, String, RepodataKind)] = []
            for kind in [RepodataKind.filelists, .other] {
                let type = kind == .filelists ? "filelists" : "other"
                if let entry = repomd.entry(type), let file = files[type] { jobs.append((entry, file, kind)) }
            }
            try await Self.readSnippets(jobs, store: store, pkgids: missing)
        }

        // A package another sync stored meanwhile is that sync's unit.
        guard !replaced.isEmpty else { return (wanted, failed) }
        var ids: Set<String> = []
        var out: [WantedPackage] = []
        for var p in wanted {
            p.unitId = replaced[p.unitId] ?? p.unitId
            if ids.insert(p.unitId).inserted { out.append(p) }
        }
        return (out, Set(failed.map { replaced[$0] ?? $0 }))
    }

    /// Matches a batch of primary against the store. A package it holds is that unit (downloaded again when its
    /// file is missing); another is new: waiting for its download in `pending`, or in `arrived` at once when its
    /// file (named by its sha256) is in the content directory already.
    private func resolve(_ batch: [ParsedPackage], seen: inout Set<String>, pending: inout [String: ParsedPackage],
                         arrived: inout [Arrived]) async throws -> [WantedPackage] {
        let existing: [String: ContentUnit] = try await store.read { db in
            var out: [String: ContentUnit] = [:]
            for type in ["rpm", "srpm"] {
                let digests = batch.filter { $0.package.typeId == type }.map(\.keyDigest)
                guard !digests.isEmpty else { continue }
                for (digest, unit) in try db.contentUnits(typeId: type, digests: digests) { out[type + "\u{0}" + digest] = unit }
            }
            return out
        }
        var out: [WantedPackage] = []
        out.reserveCapacity(batch.count)
        for parsed in batch {
            let p = parsed.package, key = p.typeId + "\u{0}" + parsed.keyDigest
            // Listed twice in primary (in this batch or an earlier one): one unit.
            guard seen.insert(key).inserted else { continue }
            var wanted = WantedPackage(unitId: "", typeId: p.typeId, name: p.name, arch: p.arch,
                                       evr: EVR(epoch: p.epoch, version: p.version, release: p.release), href: p.locationHref,
                                       size: p.size, checksumType: p.checksumType, checksum: p.checksum, downloaded: false,
                                       isNew: false)
            if let unit = existing[key] {
                wanted.unitId = unit.unitId
                wanted.downloaded = unit.downloaded && unit.fileSha256.map { content.hasUnit(sha256: $0) } == true
                wanted.fileLost = unit.downloaded && !wanted.downloaded
            } else {
                wanted.unitId = PulpIDs.unitId()
                wanted.isNew = true
                let sha256 = p.checksum.lowercased()
                if ChecksumType(pulp: p.checksumType) == .sha256 && content.hasUnit(sha256: sha256) {
                    wanted.downloaded = true
                    arrived.append(Arrived(unitId: wanted.unitId, parsed: parsed, sha256: sha256, size: p.size))
                } else {
                    pending[wanted.unitId] = parsed
                }
            }
            out.append(wanted)
        }
        return out
    }

    /// `retain_old_count: N`: the N+1 newest versions of each name and arch, per type, from a first pass over
    /// primary (as `type NUL key digest`).
    private static func retained(_ primary: RepomdEntry, file: String, count n: Int, skipSource: Bool) throws -> Set<String> {
        let reader = try ElementBatches(primary, file: file, names: ["package"])
        // Only what the rule needs, not the packages: a feed can list tens of thousands.
        var listed: [(typeId: String, name: String, arch: String, evr: EVR, key: String)] = []
        while let elements = try reader.next() {
            for (_, bytes) in elements {
                let p: PrimaryPackage
                do { p = try PrimaryPackage.parse(bytes) } catch let e as XMLError {
                    throw PulpError.unparsableMetadata("\(primary.href): \(e.message)")
                }
                if p.isSource && skipSource { continue }
                listed.append((p.typeId, p.name, p.arch, EVR(epoch: p.epoch, version: p.version, release: p.release),
                               p.typeId + "\u{0}" + p.keyDigest))
            }
        }
        return Set(newestVersions(listed, count: n + 1, typeId: \.typeId, name: \.name, arch: \.arch, evr: \.evr).map(\.key))
    }

    /// The packages of the `count` newest versions (`rpmvercmp` order) of each type, name and arch: Pulp's
    /// `retain_old_count` rule, where a version listed twice (or rebuilt) takes one place.
    static func newestVersions<P>(_ packages: [P], count: Int, typeId: (P) -> String, name: (P) -> String, arch: (P) -> String,
                                  evr: (P) -> EVR) -> [P]
    {
        var groups: [String: [P]] = [:]
        for p in packages { groups["\(typeId(p))\u{0}\(name(p))\u{0}\(arch(p))", default: []].append(p) }
        return groups.values.flatMap { group -> [P] in
            let newest = Set(Set(group.map(evr)).sorted(by: >).prefix(count))
            return group.filter { newest.contains(evr($0)) }
        }
    }

    /// Reads filelists or other, storing the snippets of the packages this sync created.
    private static func readSnippets(_ jobs: [(RepomdEntry, String, RepodataKind)], store: PulpStore, pkgids: Set<String>) async throws {
        for (entry, file, kind) in jobs { try await readSnippets(entry, file: file, kind: kind, store: store, pkgids: pkgids) }
    }

    private static func readSnippets(_ entry: RepomdEntry, file: String, kind: RepodataKind, store: PulpStore,
                                     pkgids: Set<String>) async throws
    {
        try await eachElement(entry, file: file, names: ["package"]) { elements in
            let part = elements.compactMap { _, bytes -> (String, [UInt8])? in
                guard let pkgid = Snippet.pkgid(of: bytes), pkgids.contains(pkgid) else { return nil }
                return (pkgid, bytes)
            }
            guard !part.isEmpty else { return }
            try await store.write { db in
                for (pkgid, bytes) in part { try db.setRepodata(kind, pkgid: pkgid, bytes) }
            }
        }
    }

    // MARK: - Downloads

    /// Stores what arrived: the files of known units, and new packages with their files. A new package that
    /// another sync stored meanwhile is that sync's unit (`replaced`).
    private func flush(_ done: inout [(String, String, Int)], _ arrived: inout [Arrived], _ replaced: inout [String: String]) async throws {
        guard !done.isEmpty || !arrived.isEmpty else { return }
        let marks = done, rows = arrived, now = self.now()
        done = []
        arrived = []
        let twins: [(String, String)] = try await store.write { db in
            for (id, sha, size) in marks { try db.markDownloaded(id, sha256: sha, size: size, now: now) }
            var twins: [(String, String)] = []
            for row in rows {
                let p = row.parsed
                if let other = try db.insertPackageUnit(unitId: row.unitId, typeId: p.package.typeId, keyDigest: p.keyDigest,
                                                        unitKey: p.unitKeyJSON, metadata: p.metadataJSON, pkgid: p.package.checksum,
                                                        sha256: row.sha256, size: row.size, now: now,
                                                        primary: p.primary, filelists: p.filelists, other: p.other)
                {
                    twins.append((row.unitId, other))
                }
            }
            return twins
        }
        for (ours, theirs) in twins { replaced[ours] = theirs }
    }

    enum DownloadOutcome: Sendable {
        case ok(String, String, Int, Int)
        case failed(String, Int, JSONObject)
    }

    /// One package: to a temporary file, hashed as it arrives, checked, then renamed to its sha256 address.
    static func downloadOne(_ p: WantedPackage, feed: String, fetcher: Fetcher, content: ContentDirectory, validate: Bool) async -> DownloadOutcome {
        let url = feed + p.href
        let declaredType = ChecksumType(pulp: p.checksumType)
        if validate && declaredType == nil { return unknownChecksumType(p) }
        let file: PackageFile
        do {
            file = try PackageFile(content.temporaryPath("rpm"), declared: declaredType, limit: validate ? p.size : nil)
        } catch {
            return failure(p, url: url, error)
        }
        do {
            try await file.fetch(url, with: fetcher)
        } catch {
            return failure(p, url: url, error)
        }
        return complete(p, file: file, url: url, content: content, validate: validate)
    }

    /// A downloaded package's file checked (size, checksum) and moved to its address; otherwise it goes.
    static func complete(_ p: WantedPackage, file: PackageFile, url: String, content: ContentDirectory, validate: Bool) -> DownloadOutcome {
        let sha256 = file.sha.hex(), size = file.size
        if validate {
            if size != p.size {
                file.discard()
                return .failed(p.unitId, p.size, ["unit_key": ["name": .string(p.name), "checksum": .string(p.checksum)],
                                                  "error_code": "size_mismatch", "expected_size": .int(p.size), "actual_size": .int(size),
                                                  "url": .string(url)])
            }
            let actual = file.declaredHex
            if actual != p.checksum.lowercased() {
                file.discard()
                return .failed(p.unitId, p.size, ["name": .string(p.name), "error_code": "checksum_mismatch",
                                                  "checksum_type": .string(p.checksumType), "expected_checksum": .string(p.checksum),
                                                  "actual_checksum": .string(actual), "url": .string(url)])
            }
        }
        do {
            _ = try file.adopt(into: content)
        } catch {
            return failure(p, url: url, error)
        }
        return .ok(p.unitId, sha256, size, p.size)
    }

    static func unknownChecksumType(_ p: WantedPackage) -> DownloadOutcome {
        .failed(p.unitId, p.size, ["name": .string(p.name), "error_code": "checksum_type_unknown",
                                   "checksum_type": .string(p.checksumType),
                                   "accepted_checksum_types": .array(ChecksumType.accepted.map(JSONValue.string))])
    }

    /// A download's error as Pulp puts it in `error_details`.
    static func failure(_ p: WantedPackage, url: String, _ error: any Error) -> DownloadOutcome {
        guard let e = error as? FetchError else {
            return .failed(p.unitId, p.size, ["url": .string(url), "name": .string(p.name), "error_message": .string("\(error)")])
        }
        var detail: JSONObject = ["url": .string(url), "name": .string(p.name), "error_message": .string(e.message)]
        if let code = e.responseCode {
            detail["response_code"] = .int(code)
            detail["response_msg"] = .string(e.message)
        }
        return .failed(p.unitId, p.size, detail)
    }

    // MARK: - Errata, comps, other metadata

    private func readErrata(_ entry: RepomdEntry, file: String) async throws {
        let repoId = self.repoId
        try await Self.eachElement(entry, file: file, names: ["update"]) { elements in
            var part: [(key: JSONObject, fields: JSONObject)] = []
            for (_, bytes) in elements {
                var e = try Erratum.parse(bytes)
                e["pkglist"] = .array((e["pkglist"]?.arrayValue ?? []).map { c in
                    var o = c.objectValue ?? [:]
                    o["_pulp_repo_id"] = .string(repoId)
                    return .object(o)
                })
                part.append((["id": e["id"] ?? .null], e))
            }
            try await upsert(part, typeId: "erratum") { old, new in Erratum.merge(old, new) }
        }
    }

    private func readComps(_ entry: RepomdEntry, file: String) async throws {
        let repoId = self.repoId
        try await Self.eachElement(entry, file: file, names: Array(Comps.elements.keys)) { elements in
            var byType: [String: [(key: JSONObject, fields: JSONObject)]] = [:]
            for (_, bytes) in elements {
                var (type, f) = try Comps.parse(bytes)
                f["repo_id"] = .string(repoId)
                byType[type, default: []].append((["id": f["id"] ?? .null, "repo_id": .string(repoId)], f))
            }
            for (type, units) in byType.sorted(by: { $0.key < $1.key }) {
                try await upsert(units, typeId: type) { _, new in new }
            }
        }
    }

    /// Adds units of a metadata-only type, or updates the ones that exist with `merge`; all are associated.
    private func upsert(_ units: [(key: JSONObject, fields: JSONObject)], typeId: String,
                        merge: @escaping @Sendable (JSONObject, JSONObject) -> JSONObject) async throws
    {
        let now = self.now()
        let rows = units.map { u in
            ContentUnit(unitId: PulpIDs.unitId(), typeId: typeId, keyDigest: UnitKey.digest(u.key),
                        unitKey: u.key, metadata: u.fields, downloaded: true, lastUpdated: now)
        }
        let ids: [String] = try await store.write { db in
            let existing = try db.contentUnits(typeId: typeId, digests: rows.map(\.keyDigest))
            var out: [String] = []
            for row in rows {
                if let old = existing[row.keyDigest] {
                    let merged = merge(old.metadata, row.metadata)
                    if merged != old.metadata { try db.updateContentUnitMetadata(old.unitId, merged, now: now) }
                    out.append(old.unitId)
                } else {
                    try db.insertContentUnit(row)
                    out.append(row.unitId)
                }
            }
            return out
        }
        for id in ids { associate.append((id, typeId)) }
        presentKeys[typeId, default: []].formUnion(ids)
    }

    /// A repomd type Pulp does not read itself (`productid`, ...): its file into the content directory, as a
    /// `yum_repo_metadata_file` unit keyed by data type and repository.
    private func storeMetadataFile(_ entry: RepomdEntry, file: String) async throws {
        let (sha256, size, _) = try content.store(file: file)
        let key: JSONObject = ["data_type": .string(entry.type), "repo_id": .string(repoId)]
        let fields: JSONObject = ["checksum": .string(entry.checksum), "checksum_type": .string(entry.checksumType),
                                  "relative_path": .string(entry.href.split(separator: "/").last.map(String.init) ?? entry.href),
                                  "file_sha256": .string(sha256), "size": .int(size)]
        let now = self.now()
        let unit = ContentUnit(unitId: PulpIDs.unitId(), typeId: "yum_repo_metadata_file", keyDigest: UnitKey.digest(key),
                               unitKey: key, metadata: fields, fileSha256: sha256, size: size, downloaded: true, lastUpdated: now)
        let id: String = try await store.write { db in
            if let old = try db.contentUnits(typeId: unit.typeId, digests: [unit.keyDigest])[unit.keyDigest] {
                if old.metadata != fields {
                    try db.updateContentUnitMetadata(old.unitId, fields, now: now)
                    try db.markDownloaded(old.unitId, sha256: sha256, size: size, now: now)
                }
                return old.unitId
            }
            try db.insertContentUnit(unit)
            return unit.unitId
        }
        associate.append((id, "yum_repo_metadata_file"))
        presentKeys["yum_repo_metadata_file", default: []].insert(id)
    }
}
