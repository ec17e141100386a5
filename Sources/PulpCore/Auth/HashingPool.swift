import Dispatch
import Foundation

/// Password hashing off Swift's cooperative pool: each PBKDF2 takes a good part of a second of CPU, which would
/// stall every task on a cooperative thread. At most half the cores hash at once; the rest of the server goes on.
enum HashingPool {
    private static let queue = DispatchQueue(label: "pulpform.password-hashing", attributes: .concurrent)
    private static let slots = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                slots.wait()
                defer { slots.signal() }
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
