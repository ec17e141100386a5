import Synchronization

/// Values a command leaves for the end of the process. Freeing a manifest and a plan of hundreds of thousands
/// of objects one at a time takes a tenth of a second at 20,000 repositories; the process's exit drops the
/// whole heap at once. (Compilers do the same: clang's `-disable-free`.)
enum AtExit {
    private static let kept = Mutex<[any Sendable]>([])

    static func keep(_ values: any Sendable...) {
        kept.withLock { $0.append(contentsOf: values) }
    }
}
