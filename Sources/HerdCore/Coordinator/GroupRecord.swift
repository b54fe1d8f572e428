import DequeModule

/// A worker group: its live workers and its queue of subtasks waiting for one.
struct GroupRecord {
    /// A run of queued subtasks of one job, `next..<end`. A fresh job is one entry; a re-queued
    /// subtask is an entry of one, put at the front so it runs next.
    struct QueueEntry: Hashable {
        var job: JobID
        var next: UInt32
        var end: UInt32
    }

    let name: String
    /// Live workers, in registration order.
    var workers: [PeerID] = []
    var queue: Deque<QueueEntry> = []
    /// Subtasks waiting in `queue` (entries of abandoned jobs are dropped lazily, so this is exact
    /// only for live jobs; abandoned jobs subtract theirs when abandoned).
    var queued: Int = 0

    init(name: String) { self.name = name }

    /// Moves past the head subtask of the queue.
    mutating func advanceHead() {
        self.queue[0].next += 1
        if self.queue[0].next >= self.queue[0].end { self.queue.removeFirst() }
    }
}
