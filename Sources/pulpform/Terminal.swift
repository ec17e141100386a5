import CDispatch
import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel
import PulpStore
import Reconciler
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
// `struct stat`'s members are attributed to whichever module clang read the header through first (Glibc,
// CoreFoundation or CDispatch, depending on the other imports): import all of them.
#if canImport(CoreFoundation)
import CoreFoundation
#endif
#if canImport(CDispatch)
import CDispatch
#endif

/// Output choices.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human, json, markdown, jsonl
}

/// `--format jsonl`: events on stdout, one line each, written as they happen (`MachineEvents`). Once started,
/// failures are `diagnostic` events too.
enum EventOutput {
    private static let on = Mutex(false)

    static var isOn: Bool { on.withLock { $0 } }

    /// Turns the stream on and writes its first event.
    static func start() {
        on.withLock { $0 = true }
        emit(MachineEvents.version(pulpformVersion: PulpformVersion.current))
    }

    /// Writes lines straight to stdout (unbuffered), in one write (`watch`'s reports too).
    static func emit(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func emit(_ line: String) { emit([line]) }
}

enum Terminal {
    /// Colour only on a terminal, and never when NO_COLOR is set.
    static var stdoutColor: Bool {
        isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// stdout is not a terminal, and not the file stderr writes to (as `2>&1` makes it): what is written to
    /// one cannot land between the lines of the other.
    static var stdoutIsApartFile: Bool {
        var out = stat()
        var err = stat()
        guard isatty(STDOUT_FILENO) == 0, fstat(STDOUT_FILENO, &out) == 0, fstat(STDERR_FILENO, &err) == 0 else { return false }
        return out.st_dev != err.st_dev || out.st_ino != err.st_ino
    }
}
