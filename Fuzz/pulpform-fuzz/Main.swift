import Foundation
import ManifestFuzzing

#if PULPFORM_LIBFUZZER
/// libFuzzer's entry point (built with `-sanitize=fuzzer`: see scripts/fuzz-manifests.sh). A violation is a crash,
/// so that libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try ManifestFuzzing.check(bytes)
    } catch {
        FileHandle.standardError.write(Data("manifest fuzzing: \(error)\n".utf8))
        abort()
    }
    return 0
}

/// libFuzzer's driver, which its `main` calls.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; here it hands over to libFuzzer.
@_cdecl("pulpform_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runDriver(&argc, &argv, fuzzOneInput)
}
#else
/// Without libFuzzer: `pulpform-fuzz [--seconds N] [--iterations N] [--seed N] [FILE...]` checks the given files, or
/// the seed corpus and deterministic mutations of it.
@main
struct PulpformFuzz {
    static func main() {
        var seconds = 60.0
        var iterations = Int.max
        var seed: UInt64 = 1
        var files: [String] = []
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--seconds": seconds = args.popFirst().flatMap(Double.init) ?? seconds
            case "--iterations": iterations = args.popFirst().flatMap(Int.init) ?? iterations
            case "--seed": seed = args.popFirst().flatMap { UInt64($0) } ?? seed
            default: files.append(a)
            }
        }
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let seeds = files.isEmpty ? ManifestFuzzing.seeds(root: root)
            : files.compactMap { FileManager.default.contents(atPath: $0).map { [UInt8]($0) } }
        do {
            let n = try ManifestFuzzing.run(seeds: seeds, iterations: files.isEmpty ? iterations : 0,
                                            seed: seed, deadline: .now + .seconds(seconds))
            print("manifest fuzzing: \(seeds.count) seeds and \(n) mutations checked, 0 violations")
        } catch {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("pulpform-fuzz-failure-\(seed).yaml").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(error.input))
            print("manifest fuzzing: \(error); the input is in \(path)")
            exit(1)
        }
    }
}
#endif
