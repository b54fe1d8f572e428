/// The recent calls a circuit breaker judges by, resilience4j style: count-based or time-based.
///
/// - ``Kind/count(_:)``: the last `n` calls, however old (resilience4j
///   `FixedSizeSlidingWindowMetrics`). Recording the `n + 1`-th call evicts the oldest.
/// - ``Kind/time(_:buckets:)``: the calls of the last `window`, aggregated in `buckets` equal buckets
///   (resilience4j `SlidingTimeWindowMetrics` uses one bucket per second: see ``Kind/seconds(_:)``).
///   A call recorded at `t` counts until the start of the bucket `window` after its own bucket, so for
///   between `window - window/buckets` and `window` (see `TimeBuckets`).
///
/// Rates are percentages in `0...100`, and `0` when the window is empty; whether there are enough
/// calls to judge is the breaker's business (``CircuitBreaker/Configuration/minimumCalls``).
public struct SlidingWindow: Sendable {
    /// Which calls the window holds.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        /// The last `n` calls (`n > 0`).
        case count(Int)
        /// The calls of the last `window`, in `buckets` equal buckets (the window must be a whole
        /// number of nanoseconds per bucket).
        case time(Duration, buckets: Int)

        /// A time window of `seconds` one-second buckets, as resilience4j's `TIME_BASED` window.
        public static func seconds(_ seconds: Int) -> Kind { .time(.seconds(seconds), buckets: seconds) }

        /// `count(20)` or `time(60 s / 60 buckets)`.
        public var description: String {
            switch self {
            case .count(let size): "count(\(size))"
            case .time(let window, let buckets): "time(\(window) / \(buckets) buckets)"
            }
        }
    }

    /// The window's totals at one instant.
    public struct Snapshot: Hashable, Sendable {
        /// Calls in the window.
        public var calls: Int
        /// Failed calls (slow or not).
        public var failures: Int
        /// Slow calls (failed or not).
        public var slowCalls: Int
        /// Calls both slow and failed.
        public var slowFailures: Int

        /// Creates a snapshot from its counts.
        public init(calls: Int = 0, failures: Int = 0, slowCalls: Int = 0, slowFailures: Int = 0) {
            self.calls = calls
            self.failures = failures
            self.slowCalls = slowCalls
            self.slowFailures = slowFailures
        }

        /// Calls that succeeded (slow or not).
        public var successes: Int { self.calls - self.failures }

        /// Failed calls as a percentage of all calls; `0` when there are none.
        public var failureRate: Double { Self.percent(self.failures, of: self.calls) }

        /// Slow calls as a percentage of all calls; `0` when there are none.
        public var slowCallRate: Double { Self.percent(self.slowCalls, of: self.calls) }

        /// Whether `failures / calls ≥ threshold %`, compared exactly (`failures × 100 ≥ threshold × calls`).
        public func failureRate(reaches threshold: Double) -> Bool {
            Self.reaches(self.failures, of: self.calls, threshold: threshold)
        }

        /// Whether `slowCalls / calls ≥ threshold %`, compared exactly.
        public func slowCallRate(reaches threshold: Double) -> Bool {
            Self.reaches(self.slowCalls, of: self.calls, threshold: threshold)
        }

        mutating func add(_ outcome: CallOutcome, times sign: Int = 1) {
            self.calls += sign
            if outcome.isFailure { self.failures += sign }
            if outcome.isSlow { self.slowCalls += sign }
            if outcome == .slowFailure { self.slowFailures += sign }
        }

        mutating func add(_ other: Snapshot) {
            self.calls += other.calls
            self.failures += other.failures
            self.slowCalls += other.slowCalls
            self.slowFailures += other.slowFailures
        }

        private static func percent(_ part: Int, of whole: Int) -> Double {
            whole == 0 ? 0 : Double(part) * 100 / Double(whole)
        }

        private static func reaches(_ part: Int, of whole: Int, threshold: Double) -> Bool {
            whole > 0 && Double(part) * 100 >= threshold * Double(whole)
        }
    }

    /// The last `n` outcomes in a ring, with running totals (count windows).
    private struct CountRing: Sendable {
        var ring: [CallOutcome?]
        var next = 0
        var totals = Snapshot()

        init(size: Int) {
            precondition(size > 0, "a count window needs a positive size, not \(size)")
            self.ring = Array(repeating: nil, count: size)
        }

        mutating func record(_ outcome: CallOutcome) {
            if let evicted = self.ring[self.next] { self.totals.add(evicted, times: -1) }
            self.ring[self.next] = outcome
            self.totals.add(outcome)
            self.next = (self.next + 1) % self.ring.count
        }
    }

    /// Which calls this window holds.
    public let kind: Kind
    /// Set for count windows.
    private var countRing: CountRing?
    /// Set for time windows.
    private var timeBuckets: TimeBuckets<Snapshot>?

    /// Creates an empty window.
    ///
    /// - Parameter kind: Count- or time-based, with its size. Traps on a size that is not positive, or
    ///   a time window that is not a whole number of nanoseconds per bucket.
    public init(_ kind: Kind) {
        self.kind = kind
        switch kind {
        case .count(let size): self.countRing = CountRing(size: size)
        case .time(let window, let buckets):
            self.timeBuckets = TimeBuckets(window: window, count: buckets, empty: Snapshot())
        }
    }

    /// Records one call that ended at `now` (count windows ignore `now`).
    public mutating func record(_ outcome: CallOutcome, now: Instant) {
        self.countRing?.record(outcome)
        self.timeBuckets?.update(now: now) { $0.add(outcome) }
    }

    /// The window's totals at `now` (count windows ignore `now`).
    public func snapshot(now: Instant) -> Snapshot {
        if let countRing { return countRing.totals }
        var total = Snapshot()
        for bucket in self.timeBuckets?.live(now: now) ?? [] { total.add(bucket) }
        return total
    }

    /// Forgets every recorded call.
    public mutating func reset() {
        self = SlidingWindow(self.kind)
    }
}
