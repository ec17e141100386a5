import Testing
@testable import PulpCore

@Suite("Reservation queue")
struct ReservationQueueTests {
    typealias Entry = ReservationQueue.Entry

    @Test("one task per resource at a time, in dispatch order; other resources go side by side")
    func perResource() {
        var q = ReservationQueue(workers: 4)
        for (id, r) in [("a1", "repo:a"), ("a2", "repo:a"), ("b1", "repo:b"), ("n1", nil), ("a3", "repo:a")] {
            q.add(Entry(id: id, resource: r))
        }
        let first = q.start()
        #expect(first.map(\.entry.id) == ["a1", "b1", "n1"])
        #expect(Set(first.map(\.worker)).count == 3)
        #expect(q.start().isEmpty, "a2 waits for a1")
        let a1 = first[0]
        q.finished(a1.entry, worker: a1.worker)
        #expect(q.start().map(\.entry.id) == ["a2"], "a2 before a3, once a1 is done")
        #expect(q.queued.map(\.id) == ["a3"])
    }

    @Test("no more than the workers run at once; a finished task frees its worker")
    func workers() {
        var q = ReservationQueue(workers: 2)
        for i in 0..<5 { q.add(Entry(id: "t\(i)", resource: "repo:\(i)")) }
        let running = q.start()
        #expect(running.count == 2)
        #expect(q.start().isEmpty)
        q.finished(running[1].entry, worker: running[1].worker)
        let next = q.start()
        #expect(next.map(\.entry.id) == ["t2"])
        #expect(next.first?.worker == running[1].worker)
    }

    @Test("a queued task can be taken out; a started one cannot")
    func remove() {
        var q = ReservationQueue(workers: 1)
        q.add(Entry(id: "x", resource: "repo:x"))
        q.add(Entry(id: "y", resource: "repo:y"))
        let started = q.start()
        #expect(started.map(\.entry.id) == ["x"])
        let removedStarted = q.remove(id: "x")
        #expect(!removedStarted)
        #expect(q.isQueued("y"))
        let removedQueued = q.remove(id: "y")
        #expect(removedQueued)
        #expect(!q.isQueued("y"))
        q.finished(started[0].entry, worker: started[0].worker)
        #expect(q.start().isEmpty)
    }
}
