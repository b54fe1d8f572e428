/// Per-category failure counts over a sliding time window, for status and dashboards.
///
/// Every finished attempt is recorded once: ``recordSuccess(now:)`` or ``recordFailure(_:now:)``.
/// A ``Snapshot`` gives each category's count, its share of all attempts, and its rate per second.
/// The window is cut into ``Configuration/buckets`` aligned buckets (default 60 s in 12 buckets of
/// 5 s): an attempt recorded at `t` counts until the start of the bucket `window` after its own, so
/// for between `window − bucket` and `window`. Per-second rates divide by the full window.
public struct ErrorStats: Sendable {
    /// The window's length and granularity.
    public struct Configuration: Hashable, Sendable {
        /// How long an attempt counts (`> 0`).
        public var window: Duration
        /// How many buckets the window is cut into (`> 0`; the window must divide evenly).
        public var buckets: Int

        /// Creates a configuration (defaults: 60 s in 12 buckets).
        public init(window: Duration = .seconds(60), buckets: Int = 12) {
            self.window = window
            self.buckets = buckets
        }
    }

    /// The counts at one instant.
    public struct Snapshot: Hashable, Sendable {
        /// The window the counts cover.
        public var window: Duration
        /// Successful attempts.
        public var successes: Int
        /// Failed attempts by category (categories with none are absent).
        public var failures: [ErrorCategory: Int]

        /// Creates a snapshot.
        public init(window: Duration, successes: Int = 0, failures: [ErrorCategory: Int] = [:]) {
            self.window = window
            self.successes = successes
            self.failures = failures
        }

        /// Failed attempts, all categories.
        public var totalFailures: Int { self.failures.values.reduce(0, +) }
        /// All attempts.
        public var attempts: Int { self.successes + self.totalFailures }

        /// Failures of `category`.
        public func count(of category: ErrorCategory) -> Int { self.failures[category] ?? 0 }

        /// Failures of `category` as a fraction of all attempts, in `0...1` (0 with no attempts).
        public func share(of category: ErrorCategory) -> Double {
            Self.fraction(self.count(of: category), of: self.attempts)
        }

        /// All failures as a fraction of all attempts, in `0...1` (0 with no attempts).
        public var failureRate: Double { Self.fraction(self.totalFailures, of: self.attempts) }

        /// Failures of `category` per second of window.
        public func perSecond(of category: ErrorCategory) -> Double {
            Double(self.count(of: category)) * 1e9 / Double(self.window.nanosecondsClamped)
        }

        /// Categories with failures, most frequent first (ties in protocol order).
        public var ranked: [(category: ErrorCategory, count: Int)] {
            ErrorCategory.allCases.compactMap { category in
                self.failures[category].map { (category: category, count: $0) }
            }
            .enumerated()
            .sorted { ($1.element.count, $0.offset) < ($0.element.count, $1.offset) }
            .map(\.element)
        }

        private static func fraction(_ part: Int, of whole: Int) -> Double {
            whole == 0 ? 0 : Double(part) / Double(whole)
        }
    }

    private struct Tally: Sendable {
        var successes = 0
        var failures: [ErrorCategory: Int] = [:]
    }

    /// The window's length and granularity.
    public let configuration: Configuration
    private var tallies: TimeBuckets<Tally>

    /// Creates empty statistics.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.tallies = TimeBuckets(window: configuration.window, count: configuration.buckets, empty: Tally())
    }

    /// Records a successful attempt that finished at `now`.
    public mutating func recordSuccess(now: Instant) {
        self.tallies.update(now: now) { $0.successes += 1 }
    }

    /// Records an attempt that failed with `category` at `now`.
    public mutating func recordFailure(_ category: ErrorCategory, now: Instant) {
        self.tallies.update(now: now) { $0.failures[category, default: 0] += 1 }
    }

    /// The counts at `now`.
    public func snapshot(now: Instant) -> Snapshot {
        var snapshot = Snapshot(window: self.tallies.window)
        for tally in self.tallies.live(now: now) {
            snapshot.successes += tally.successes
            snapshot.failures.merge(tally.failures, uniquingKeysWith: +)
        }
        return snapshot
    }
}
