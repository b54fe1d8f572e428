/// A ring of equal-width time buckets covering a sliding window: the storage behind every
/// time-based window in this folder (``SlidingWindow``, ``RetryBudget``, ``ErrorStats``).
///
/// Time is cut into *epochs* of `width` nanoseconds aligned on the clock's origin:
/// `epoch(t) = floor(t / width)`. An event recorded at `t` lands in the bucket of `epoch(t)` and
/// counts while the current epoch `c` satisfies `epoch(t) > c - count`, i.e. it stops counting at
/// the instant `(epoch(t) + count) × width`. So an event counts for between
/// `window - width` (recorded at the end of its bucket) and `window` (recorded at its start); this
/// is resilience4j's `SlidingTimeWindowMetrics` (one partial aggregation per epoch second) and
/// Finagle's `WindowedAdder` (slices of the TTL), with integer arithmetic throughout.
///
/// Time never runs backwards here: an instant earlier than the latest one seen is treated as the
/// latest one, so a caller that passes a stale `now` cannot resurrect expired buckets.
struct TimeBuckets<Bucket: Sendable>: Sendable {
    /// The width of one bucket, in nanoseconds (> 0).
    let width: Int64
    /// How many buckets the window holds (> 0).
    let count: Int
    private let empty: Bucket
    private var buckets: [Bucket]
    /// The epoch each slot holds; `Int64.min` marks a slot never written.
    private var epochs: [Int64]
    private var latestEpoch: Int64 = .min

    /// Creates an empty ring.
    ///
    /// - Parameters:
    ///   - window: The window's length; must be positive and a whole multiple of `count` nanoseconds.
    ///   - count: The number of buckets.
    ///   - empty: The value of a bucket with nothing recorded.
    init(window: Duration, count: Int, empty: Bucket) {
        let windowNanoseconds = window.nanosecondsClamped
        precondition(count > 0, "a time window needs at least one bucket, not \(count)")
        precondition(windowNanoseconds > 0, "a time window must be positive, not \(window)")
        precondition(
            windowNanoseconds % Int64(count) == 0,
            "a time window of \(window) cannot be cut into \(count) equal buckets"
        )
        self.width = windowNanoseconds / Int64(count)
        self.count = count
        self.empty = empty
        self.buckets = Array(repeating: empty, count: count)
        self.epochs = Array(repeating: .min, count: count)
    }

    /// The window's length.
    var window: Duration { .nanoseconds(self.width * Int64(self.count)) }

    /// `floor(instant / width)`, correct for instants before the origin too.
    static func epoch(of instant: Instant, width: Int64) -> Int64 {
        let (quotient, remainder) = instant.nanoseconds.quotientAndRemainder(dividingBy: width)
        return remainder < 0 ? quotient - 1 : quotient
    }

    private func currentEpoch(_ now: Instant) -> Int64 {
        max(Self.epoch(of: now, width: self.width), self.latestEpoch)
    }

    private func slot(of epoch: Int64) -> Int {
        let remainder = Int(epoch % Int64(self.count))
        return remainder < 0 ? remainder + self.count : remainder
    }

    /// Applies `body` to the bucket that holds `now`, clearing it first if it held an older epoch.
    mutating func update(now: Instant, _ body: (inout Bucket) -> Void) {
        let epoch = self.currentEpoch(now)
        self.latestEpoch = epoch
        let slot = self.slot(of: epoch)
        if self.epochs[slot] != epoch {
            self.epochs[slot] = epoch
            self.buckets[slot] = self.empty
        }
        body(&self.buckets[slot])
    }

    /// The buckets still inside the window at `now` (in slot order: callers only sum them).
    func live(now: Instant) -> [Bucket] {
        let current = self.currentEpoch(now)
        let (lowest, overflow) = current.subtractingReportingOverflow(Int64(self.count))
        var result: [Bucket] = []
        result.reserveCapacity(self.count)
        for (slot, epoch) in self.epochs.enumerated()
        where epoch != .min && epoch <= current && (overflow || epoch > lowest) {
            result.append(self.buckets[slot])
        }
        return result
    }

    /// Forgets everything recorded (the latest instant seen is kept).
    mutating func removeAll() {
        self.buckets = Array(repeating: self.empty, count: self.count)
        self.epochs = Array(repeating: .min, count: self.count)
    }
}
