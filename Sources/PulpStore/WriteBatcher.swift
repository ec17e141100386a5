import GRDB
import Synchronization

/// Group commit: writes that arrive while another is running are committed together, in arrival order, in
/// one SQLite transaction, each inside its own savepoint.
///
/// A write whose body throws is rolled back to its savepoint and fails alone; the others commit (a write alone
/// in its transaction runs without a savepoint, and its failure rolls the transaction back). Results
/// are delivered only after the commit, so nobody sees a write succeed that is not durable. If the
/// transaction as a whole fails (the commit, or an error that makes SQLite abandon the transaction), every
/// write of the batch fails with that error and none of them is stored.
///
/// One transaction per batch instead of per write: on a busy store (an apply of thousands of steps, a server
/// under load) the WAL grows by the pages a batch touched once, not once per write.
final class WriteBatcher: Sendable {
    /// A write waiting for its batch: runs its body (in a savepoint when `shared`) and returns how to report
    /// the outcome.
    struct Job: Sendable {
        let run: @Sendable (_ db: Database, _ shared: Bool) -> Outcome
        let fail: @Sendable (any Error) -> Void
        /// Never shares its transaction: a job that is a batch of writes already.
        var alone = false
    }

    /// How a job ended, reported after the batch commits.
    struct Outcome: Sendable {
        /// The body threw: a job alone in its transaction rolls the transaction back.
        let failed: Bool
        let deliver: @Sendable () -> Void
    }

    private let pool: DatabasePool
    private let queue = Mutex<(pending: [Job], running: Bool)>(([], false))
    /// Transactions committed or attempted (diagnostics and tests).
    let transactions = Atomic<Int>(0)

    /// Writes waiting for the next batch.
    var pendingCount: Int { queue.withLock { $0.pending.count } }
    /// The most writes one transaction carries.
    let maximumBatch: Int

    init(pool: DatabasePool, maximumBatch: Int = 256) {
        self.pool = pool
        self.maximumBatch = maximumBatch
    }

    func write<T: Sendable>(alone: Bool = false, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db, shared in
                    // Alone in the transaction, the job needs no savepoint (whose journal costs a copy of every page it
                    // touches): on failure the whole transaction is rolled back.
                    let outcome = Result { shared ? try db.atomically { try body(db) } : try body(db) }
                    let failed = if case .failure = outcome { true } else { false }
                    return Outcome(failed: failed) { continuation.resume(with: outcome) }
                },
                fail: { continuation.resume(throwing: $0) },
                alone: alone)
            submit(job)
        }
    }

    private func submit(_ job: Job) {
        let start = queue.withLock { q -> Bool in
            q.pending.append(job)
            if q.running { return false }
            q.running = true
            return true
        }
        if start { drain() }
    }

    /// Takes the next batch, or marks the batcher idle when there is none.
    private func nextBatch() -> [Job] {
        queue.withLock { q in
            // A job that must be alone goes by itself, and ends the batch before it.
            let count = q.pending.first?.alone == true ? 1 : q.pending.prefix(maximumBatch).prefix { !$0.alone }.count
            let batch = Array(q.pending.prefix(count))
            q.pending.removeFirst(batch.count)
            if batch.isEmpty { q.running = false }
            return batch
        }
    }

    private func drain() {
        pool.asyncWriteWithoutTransaction { [self] db in
            while true {
                let batch = nextBatch()
                if batch.isEmpty { return }
                transactions.add(1, ordering: .relaxed)
                var outcomes: [Outcome] = []
                outcomes.reserveCapacity(batch.count)
                do {
                    try db.inTransaction(.immediate) {
                        let shared = batch.count > 1
                        for job in batch {
                            outcomes.append(job.run(db, shared))
                            // A job alone reports its own failure; its writes are undone with the transaction.
                            if !shared, outcomes.last?.failed == true { return .rollback }
                            // SQLite may abandon the whole transaction on some errors (disk full, I/O).
                            guard db.isInsideTransaction else {
                                throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back")
                            }
                        }
                        return .commit
                    }
                } catch {
                    for job in batch { job.fail(error) }
                    continue
                }
                for outcome in outcomes { outcome.deliver() }
            }
        }
    }
}

extension Database {
    /// Runs `body` in a savepoint: if it throws, what it wrote is rolled back and its error is rethrown. If the
    /// savepoint itself fails, that is the error, unless the body had failed first.
    func atomically<T>(_ body: () throws -> T) throws -> T {
        var outcome: Result<T, any Error>?
        do {
            try inSavepoint {
                do {
                    outcome = .success(try body())
                    return .commit
                } catch {
                    outcome = .failure(error)
                    return .rollback
                }
            }
        } catch {
            if case .failure(let bodyError)? = outcome { throw bodyError }
            throw error
        }
        guard let outcome else { throw DatabaseError(resultCode: .SQLITE_ERROR, message: "a savepoint ended without an outcome") }
        return try outcome.get()
    }
}
