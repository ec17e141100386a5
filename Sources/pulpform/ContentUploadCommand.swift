import ArgumentParser
import Foundation
import PulpContent
import PulpContract
import PulpModel

struct ContentUploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload files (ISOs and other files, RPMs, SRPMs) into a repository.",
        discussion: """
            Each file goes up in 1 MiB chunks (a progress bar on a terminal), is imported as a unit of the \
            repository, and its upload is deleted. The type follows the name (*.src.rpm: srpm, *.rpm: rpm, \
            otherwise iso) unless --type says. An iso unit is named by its file name, or --name for one file.
            """)

    @Argument(help: "The repository.") var repo: String
    @Argument(help: "The files.") var files: [String]
    @Option(name: .customLong("type"), help: "rpm, srpm or iso.") var typeId: String?
    @Option(name: .long, help: "The iso unit's name (a relative path), for one file.") var name: String?
    @OptionGroup var targetOptions: TargetOptions

    static let chunk = 1 << 20

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file") }
        if let typeId, !["rpm", "srpm", "iso"].contains(typeId) { throw ValidationError("--type must be rpm, srpm or iso") }
        if name != nil && files.count != 1 { throw ValidationError("--name goes with one file") }
        for f in files where !FileManager.default.isReadableFile(atPath: f) { throw ValidationError("\(f): cannot read it") }
    }

    func run() async throws {
        let target = try targetOptions.open(readOnly: false, manifests: [])
        try await target.closing {
            let live = Terminal.stderrIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            var failed = false
            for path in files {
                let type = typeId ?? (path.hasSuffix(".src.rpm") ? "srpm" : path.hasSuffix(".rpm") ? "rpm" : "iso")
                do {
                    try await upload(path, type: type, pulp: target.pulp, live: live)
                } catch {
                    if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    printError("error: \(path): \(error)")
                    failed = true
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    private func upload(_ path: String, type: String, pulp: any PulpService, live: Bool) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot open \(path)") }
        defer { try? handle.close() }
        let total = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
        let id = try await pulp.createUpload()
        var sha = Checksummer(.sha256)
        var offset = 0
        do {
            while let data = try handle.read(upToCount: Self.chunk), !data.isEmpty {
                let bytes = Array(data)
                try await pulp.writeUpload(id, offset: offset, bytes: bytes)
                sha.update(bytes)
                offset += data.count
                if live, total > 0 {
                    let done = Double(offset) / Double(total)
                    let bar = String(repeating: "█", count: Int(done * 30)) + String(repeating: "░", count: 30 - Int(done * 30))
                    FileHandle.standardError.write(Data("\r\u{1B}[K\(URL(fileURLWithPath: path).lastPathComponent) \(bar) \(Int(done * 100))%".utf8))
                }
            }
            if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let digest = sha.hex()
            let key: JSONObject = type == "iso"
                ? ["name": .string(name ?? URL(fileURLWithPath: path).lastPathComponent), "checksum": .string(digest), "size": .int(offset)]
                : [:]
            let call = try await pulp.importUpload(repoId: repo, uploadId: id, typeId: type, unitKey: key, metadata: [:], overrides: [:])
            _ = try await ContentOutput.wait(pulp, call)
            print("\(repo): uploaded \(path) as \(type) (\(offset) bytes)")
        } catch {
            try? await pulp.deleteUpload(id)
            throw error
        }
        try? await pulp.deleteUpload(id)
    }
}
