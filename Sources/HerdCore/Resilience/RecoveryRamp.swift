/// A recovering worker's share of new work, stepping up while it stays healthy (slow start).
///
/// When a worker's breaker closes after a trial, or a worker declared dead registers again, the
/// scheduler does not hand it a full load at once: it starts the worker at the first step's share
/// and moves one step up every ``Configuration/stepDuration`` without a worker-attributed failure.
///
/// | Time since start (no failures) | Step | Share (defaults) |
/// | --- | --- | --- |
/// | `0 ..< 10 s` | 0 | 10 % |
/// | `10 s ..< 20 s` | 1 | 25 % |
/// | `20 s ..< 30 s` | 2 | 50 % |
/// | `≥ 30 s` | 3 | 100 %: complete |
///
/// Step boundaries are inclusive: at `start + stepDuration - 1 ns` the ramp is on step 0, at exactly
/// `start + stepDuration` on step 1. A worker-attributed failure (``recordFailure(now:)``) drops
/// ``Configuration/stepsBackOnFailure`` steps (not below the first) and restarts the step clock at
/// the failure. Everything is computed from the state and `now`: nothing needs a timer.
///
/// **Applying it.** Herd's scheduler dispatches by credit. ``effectiveCredit(free:capacity:now:)``
/// turns the share into a credit: the worker may hold `allowed = max(1, ⌊capacity × share⌋)`
/// attempts (at least one, so a recovering worker always gets the evidence it needs to step up), and
/// the usable credit is `min(free, allowed − inFlight)` with `inFlight = capacity − free`, never
/// negative. Shares are held in millionths so the floor is exact (`capacity × 10 %` of 10 is 1, not
/// 0.99…).
public struct RecoveryRamp: Hashable, Sendable {
    /// The ramp's steps and pace.
    public struct Configuration: Hashable, Sendable {
        /// The shares, in `(0, 1]`, non-decreasing, ending at `1.0`.
        public var steps: [Double]
        /// How long the ramp stays on each step without failures (`> 0`).
        public var stepDuration: Duration
        /// Steps lost on a worker-attributed failure (`≥ 0`; 0 only restarts the step's clock).
        public var stepsBackOnFailure: Int

        /// Creates a configuration (defaults: `[0.1, 0.25, 0.5, 1.0]`, 10 s per step, one step back on failure).
        ///
        /// Traps on an empty or decreasing list, a share outside `(0, 1]`, a last share other than 1,
        /// a non-positive step duration, or negative steps back.
        public init(
            steps: [Double] = [0.1, 0.25, 0.5, 1.0],
            stepDuration: Duration = .seconds(10),
            stepsBackOnFailure: Int = 1
        ) {
            precondition(!steps.isEmpty, "a recovery ramp needs at least one step")
            precondition(steps.allSatisfy { $0 > 0 && $0 <= 1 }, "ramp shares must be in (0, 1]: \(steps)")
            precondition(zip(steps, steps.dropFirst()).allSatisfy { $0 <= $1 }, "ramp shares must not decrease")
            precondition(steps.last == 1, "a recovery ramp must end at a share of 1.0")
            precondition(stepDuration > .zero, "stepDuration must be positive")
            precondition(stepsBackOnFailure >= 0, "stepsBackOnFailure must not be negative")
            self.steps = steps
            self.stepDuration = stepDuration
            self.stepsBackOnFailure = stepsBackOnFailure
        }
    }

    /// The steps and pace.
    public let configuration: Configuration
    /// The step the ramp was on when its clock last (re)started.
    public private(set) var baseStep: Int
    /// When the step clock last (re)started: the ramp's start or its last failure.
    public private(set) var clockStart: Instant
    private let stepsMicros: [Int64]

    /// Starts a ramp at its first step at `now`.
    public init(configuration: Configuration = Configuration(), startedAt now: Instant) {
        self.configuration = configuration
        self.baseStep = 0
        self.clockStart = now
        self.stepsMicros = configuration.steps.map { Int64(($0 * 1_000_000).rounded()) }
    }

    /// The step the ramp is on at `now` (0-based).
    public func step(now: Instant) -> Int {
        let elapsed = self.clockStart.duration(to: now).nanosecondsClamped
        let advanced = elapsed <= 0 ? 0 : elapsed / self.configuration.stepDuration.nanosecondsClamped
        let last = self.configuration.steps.count - 1
        return advanced >= Int64(last - self.baseStep) ? last : self.baseStep + Int(advanced)
    }

    /// The worker's share of a full load at `now`, in `(0, 1]`.
    public func share(now: Instant) -> Double { self.configuration.steps[self.step(now: now)] }

    /// Whether the ramp has reached its last step (share 1): the scheduler can forget it.
    public func isComplete(now: Instant) -> Bool { self.step(now: now) == self.configuration.steps.count - 1 }

    /// Records a failure attributed to this worker at `now`: drop back and restart the step clock.
    public mutating func recordFailure(now: Instant) {
        self.baseStep = max(0, self.step(now: now) - self.configuration.stepsBackOnFailure)
        self.clockStart = now
    }

    /// How many attempts the worker may hold at `now`: `max(1, ⌊capacity × share⌋)`, or 0 with no capacity.
    public func allowedInFlight(capacity: Int, now: Instant) -> Int {
        guard capacity > 0 else { return 0 }
        let share = self.stepsMicros[self.step(now: now)]
        return max(1, Int(Int64(capacity) * share / 1_000_000))
    }

    /// The credit a scheduler may use on this worker at `now`.
    ///
    /// - Parameters:
    ///   - free: The worker's free credit (capacity minus attempts in flight).
    ///   - capacity: The worker's full capacity.
    ///   - now: The scheduling instant.
    /// - Returns: `min(free, allowedInFlight − (capacity − free))`, at least 0.
    public func effectiveCredit(free: Int, capacity: Int, now: Instant) -> Int {
        let inFlight = max(0, capacity - free)
        return max(0, min(free, self.allowedInFlight(capacity: capacity, now: now) - inFlight))
    }
}
