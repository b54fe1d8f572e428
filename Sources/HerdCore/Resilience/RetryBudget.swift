/// A cluster-wide cap on retries: over the last `window`, retries may not exceed `ratio` × first
/// attempts plus a floor of `minRetriesPerSecond` × `window` (Finagle's `RetryBudget`).
///
/// Every first attempt anywhere in the cluster is a deposit (``recordFirstAttempt(now:)``); every
/// retry a withdrawal (``tryWithdrawRetry(now:)``). A withdrawal succeeds iff, counting only events
/// still inside the window,
///
///     retries + 1 ≤ ratio × firstAttempts + reserve,   reserve = ⌊minRetriesPerSecond × window⌋
///
/// so when most attempts fail, retries add at most `ratio` (20 %) to the load instead of multiplying
/// it, while a quiet cluster still gets `reserve` retries per window. A refused withdrawal changes
/// nothing, and the retry fails with `budget-exhausted` (``RetryDecision/GiveUpReason/budgetExhausted``).
///
/// | Setting | Default | Finagle default |
/// | --- | --- | --- |
/// | ``Configuration/ratio`` | 0.2 | `percentCanRetry` 0.2 |
/// | ``Configuration/minRetriesPerSecond`` | 10 | `minRetriesPerSec` 10 |
/// | ``Configuration/window`` | 10 s | `ttl` 10 s |
/// | ``Configuration/slices`` | 10 (1 s each) | `WindowedAdder` 10 slices |
///
/// **Arithmetic.** Exact, in integers: the ratio is held in millionths (rounded to the nearest), the
/// balance is `reserve × 10⁶ + firstAttempts × ratio₁₀₆ − retries × 10⁶`, and a withdrawal needs
/// `10⁶`. (Finagle scales by 1000 and truncates `1000 / ratio`; Herd's finer unit avoids that
/// rounding.)
///
/// **Window.** The window is cut into `slices` aligned slices (`TimeBuckets`): an event recorded at
/// `t` counts until the start of the slice `window` after its own, so for between `window - window/slices`
/// and `window`. With the defaults, an event at exactly `t = 3 s` stops counting at exactly `13 s`
/// (still counted at `13 s - 1 ns`); one at `3.5 s` also stops at `13 s`.
///
/// Envoy's `retry_budget` caps *concurrent* retries at a percentage of *active* requests (20 %,
/// floor 3); this time-windowed form is used instead because it also bounds retries of short
/// attempts that never overlap.
public struct RetryBudget: Sendable {
    /// The budget's ratio, floor and window.
    public struct Configuration: Hashable, Sendable {
        /// Retries allowed per first attempt in the window (`≥ 0`; may exceed 1).
        public var ratio: Double
        /// Retries allowed per second of window regardless of traffic (`≥ 0`).
        public var minRetriesPerSecond: Int
        /// How long deposits and withdrawals count (`> 0`).
        public var window: Duration
        /// How many slices the window is cut into (`> 0`; `window` must divide evenly).
        public var slices: Int

        /// Creates a configuration; defaults as tabled on ``RetryBudget``.
        public init(
            ratio: Double = 0.2,
            minRetriesPerSecond: Int = 10,
            window: Duration = .seconds(10),
            slices: Int = 10
        ) {
            precondition(ratio >= 0 && ratio.isFinite, "ratio must be finite and non-negative, not \(ratio)")
            precondition(minRetriesPerSecond >= 0, "minRetriesPerSecond must not be negative")
            self.ratio = ratio
            self.minRetriesPerSecond = minRetriesPerSecond
            self.window = window
            self.slices = slices
        }

        /// Retries allowed per window with no traffic: `⌊minRetriesPerSecond × window⌋`.
        public var reserve: Int {
            let nanoseconds = self.window.nanosecondsClamped
            let (product, overflow) = Int64(self.minRetriesPerSecond).multipliedReportingOverflow(by: nanoseconds)
            precondition(!overflow, "minRetriesPerSecond × window overflows")
            return Int(product / 1_000_000_000)
        }
    }

    /// The budget at one instant, for status.
    public struct Level: Hashable, Sendable {
        /// First attempts in the window.
        public var firstAttempts: Int
        /// Retries withdrawn in the window.
        public var retries: Int
        /// The traffic-independent part of the allowance.
        public var reserve: Int
        /// Retries that would be granted now, one after another (`≥ 0`).
        public var available: Int

        /// Creates a level.
        public init(firstAttempts: Int, retries: Int, reserve: Int, available: Int) {
            self.firstAttempts = firstAttempts
            self.retries = retries
            self.reserve = reserve
            self.available = available
        }
    }

    private struct Tally: Sendable {
        var firstAttempts = 0
        var retries = 0
    }

    private static let unit: Int64 = 1_000_000

    /// The ratio, floor and window.
    public let configuration: Configuration
    private let ratioMicros: Int64
    private let reserveMicros: Int64
    private var tallies: TimeBuckets<Tally>

    /// Creates a budget with nothing recorded (only the reserve is available).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.ratioMicros = Int64((configuration.ratio * Double(Self.unit)).rounded())
        self.reserveMicros = Int64(configuration.reserve) * Self.unit
        self.tallies = TimeBuckets(window: configuration.window, count: configuration.slices, empty: Tally())
    }

    /// Deposits one first attempt (any subtask's attempt 1) made at `now`.
    public mutating func recordFirstAttempt(now: Instant) {
        self.tallies.update(now: now) { $0.firstAttempts += 1 }
    }

    /// Withdraws one retry at `now` if the budget allows it.
    ///
    /// - Returns: `true` if the retry may go ahead (and is now counted); `false` if it must fail with
    ///   `budget-exhausted` (and nothing changed).
    public mutating func tryWithdrawRetry(now: Instant) -> Bool {
        guard self.balanceMicros(now: now) >= Self.unit else { return false }
        self.tallies.update(now: now) { $0.retries += 1 }
        return true
    }

    /// The budget at `now`.
    public func level(now: Instant) -> Level {
        let tally = self.total(now: now)
        let balance = self.balance(tally)
        return Level(
            firstAttempts: tally.firstAttempts,
            retries: tally.retries,
            reserve: self.configuration.reserve,
            available: Int(max(0, balance) / Self.unit)
        )
    }

    private func total(now: Instant) -> Tally {
        var total = Tally()
        for tally in self.tallies.live(now: now) {
            total.firstAttempts += tally.firstAttempts
            total.retries += tally.retries
        }
        return total
    }

    private func balance(_ tally: Tally) -> Int64 {
        self.reserveMicros + Int64(tally.firstAttempts) * self.ratioMicros - Int64(tally.retries) * Self.unit
    }

    private func balanceMicros(now: Instant) -> Int64 { self.balance(self.total(now: now)) }
}
