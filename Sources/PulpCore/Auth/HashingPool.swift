import Dispatch
import Foundation

/// Password hashing off Swift's cooperative pool: each PBKDF2 takes a good part of a second of CPU, which would
/// stall every task on a cooperative thread. At most half the cores hash at once; callers beyond that wait for a
/// slot without holding a thread.
enum HashingPool {
    private static let slots = Slots(max(1, ProcessInfo.processInfo.activeProcessorCount / 2))

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        await slots.acquire()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
        }
        await slots.release()
        return try result.get()
    }

    private actor Slots {
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(_ count: Int) { free = count }

        func acquire() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        /// Hands the slot to the next waiter, or frees it.
        func release() {
            if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
        }
    }
}
