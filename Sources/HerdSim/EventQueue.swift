import HeapModule
import HerdCore

/// The simulator's run queue: events ordered by `(instant, insertion sequence)`, so events due
/// at the same instant run in the order they were scheduled (as swift-nio's embedded loops do).
///
/// A `Heap` from swift-collections; `push` and `pop` are O(log n). Sequences are unique, so the
/// order is total and a run is the same whatever the heap's internal layout.
public struct EventQueue<Element> {
    /// One scheduled element.
    public struct Entry: Comparable {
        /// When it is due.
        public var instant: Instant
        /// Insertion order, breaking ties between equal instants.
        public var sequence: UInt64
        /// What was scheduled.
        public var element: Element

        public static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.instant, lhs.sequence) < (rhs.instant, rhs.sequence)
        }

        /// Entries are equal when they are the same scheduling (sequences are unique).
        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.sequence == rhs.sequence && lhs.instant == rhs.instant
        }
    }

    private var heap = Heap<Entry>()
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// Number of scheduled elements.
    public var count: Int { self.heap.count }

    /// True when nothing is scheduled.
    public var isEmpty: Bool { self.heap.isEmpty }

    /// The instant of the earliest element, if any.
    public var nextInstant: Instant? { self.heap.min?.instant }

    /// Schedules `element` at `instant`.
    public mutating func push(_ element: Element, at instant: Instant) {
        self.heap.insert(Entry(instant: instant, sequence: self.nextSequence, element: element))
        self.nextSequence += 1
    }

    /// Removes and returns the earliest element (ties: the first scheduled).
    public mutating func pop() -> Entry? { self.heap.popMin() }
}
