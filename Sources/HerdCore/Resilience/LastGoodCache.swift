import DequeModule

/// The last good result of each (kind, payload) a group served, kept for its fallback chain: while
/// the group's breaker is open and no fallback group can take the work, a subtask whose kind and
/// payload succeeded before is answered with that result, marked as served by `(cache)`.
///
/// Bounded: at most `capacity` entries, the least recently stored dropped first. Only groups that
/// set `fallback-cache` keep one, so other groups pay nothing on their results' hot path.
struct LastGoodCache: Sendable {
    private struct Key: Hashable {
        var kind: String
        var payload: [UInt8]
    }

    /// The most entries kept.
    let capacity: Int
    private var entries: [Key: (output: [UInt8], generation: UInt64)] = [:]
    /// Keys in storing order, with the generation they were stored at (older ones are stale).
    private var order: Deque<(key: Key, generation: UInt64)> = []
    private var generation: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// How many results are kept.
    var count: Int { self.entries.count }

    /// Remembers `output` as the last good result of `kind` with `payload`.
    mutating func store(kind: String, payload: [UInt8], output: [UInt8]) {
        self.generation &+= 1
        let key = Key(kind: kind, payload: payload)
        self.entries[key] = (output, self.generation)
        self.order.append((key, self.generation))
        while self.entries.count > self.capacity, let oldest = self.order.popFirst() {
            if self.entries[oldest.key]?.generation == oldest.generation { self.entries[oldest.key] = nil }
        }
        // Stale keys (stored again since) are dropped when the queue is twice the cache.
        if self.order.count > 2 * self.capacity {
            self.order = Deque(self.order.filter { self.entries[$0.key]?.generation == $0.generation })
        }
    }

    /// The last good result of `kind` with `payload`, if one is kept.
    func lookUp(kind: String, payload: [UInt8]) -> [UInt8]? {
        self.entries[Key(kind: kind, payload: payload)]?.output
    }
}
