import CDispatch
import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel
import PulpStore
import Reconciler
#if canImport(Glibc)
import Glibc
#endif

/// Output choices.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human, json, markdown
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
