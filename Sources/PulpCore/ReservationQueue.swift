/// Which queued tasks may start: tasks on one resource (a repository, a consumer) one at a time and in dispatch
/// order, tasks on different resources side by side, up to the number of workers. A pure value: the task engine
/// feeds it and starts what it hands out.
struct ReservationQueue: Sendable {
    struct Entry: Sendable, Hashable {
        let id: String
        /// The reservation; nil for a task that reserves nothing.
        let resource: String?
    }

    private(set) var queued: [Entry] = []
    /// Resources whose task is running.
    private(set) var reserved: Set<String> = []
    private(set) var freeWorkers: [Int]

    init(workers: Int) {
        freeWorkers = Array(0..<max(1, workers))
    }

    mutating func add(_ entry: Entry) {
        queued.append(entry)
    }

    /// Takes a queued task out (a cancel before it started); false when it is not queued.
    mutating func remove(id: String) -> Bool {
        guard let i = queued.firstIndex(where: { $0.id == id }) else { return false }
        queued.remove(at: i)
        return true
    }

    func isQueued(_ id: String) -> Bool { queued.contains { $0.id == id } }

    /// The tasks that may start now, each with the worker it runs on; their resources are reserved until
    /// `finished`. A task waits behind an earlier one on its resource, but not behind other resources' tasks.
    mutating func start() -> [(entry: Entry, worker: Int)] {
        var out: [(entry: Entry, worker: Int)] = []
        var i = 0
        while !freeWorkers.isEmpty, i < queued.count {
            let entry = queued[i]
            if let r = entry.resource, reserved.contains(r) {
                i += 1
                continue
            }
            queued.remove(at: i)
            if let r = entry.resource { reserved.insert(r) }
            out.append((entry, freeWorkers.removeFirst()))
        }
        return out
    }

    /// A started task is done: its resource and worker are free again.
    mutating func finished(_ entry: Entry, worker: Int) {
        if let r = entry.resource { reserved.remove(r) }
        freeWorkers.append(worker)
    }
}
