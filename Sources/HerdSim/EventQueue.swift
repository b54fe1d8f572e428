import HerdCore

/// The simulator's run queue: events ordered by `(instant, insertion sequence)`, so events due
/// at the same instant run in the order they were scheduled (as swift-nio's embedded loops do).
///
/// A binary min-heap; `push` and `pop` are O(log n).
public struct EventQueue<Element> {
    /// One scheduled element.
    public struct Entry {
        /// When it is due.
        public var instant: Instant
        /// Insertion order, breaking ties between equal instants.
        public var sequence: UInt64
        /// What was scheduled.
        public var element: Element

        func precedes(_ other: Entry) -> Bool {
            self.instant != other.instant ? self.instant < other.instant : self.sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// Number of scheduled elements.
    public var count: Int { self.heap.count }

    /// True when nothing is scheduled.
    public var isEmpty: Bool { self.heap.isEmpty }

    /// The instant of the earliest element, if any.
    public var nextInstant: Instant? { self.heap.first?.instant }

    /// Schedules `element` at `instant`.
    public mutating func push(_ element: Element, at instant: Instant) {
        self.heap.append(Entry(instant: instant, sequence: self.nextSequence, element: element))
        self.nextSequence += 1
        var child = self.heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.heap[child].precedes(self.heap[parent]) else { break }
            self.heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest element (ties: the first scheduled).
    public mutating func pop() -> Entry? {
        guard !self.heap.isEmpty else { return nil }
        let last = self.heap.count - 1
        self.heap.swapAt(0, last)
        let first = self.heap.removeLast()
        var parent = 0
        let count = self.heap.count
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < count, self.heap[left].precedes(self.heap[smallest]) { smallest = left }
            if right < count, self.heap[right].precedes(self.heap[smallest]) { smallest = right }
            if smallest == parent { break }
            self.heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
