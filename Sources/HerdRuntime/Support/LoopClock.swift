import HerdCore

/// Converts between the core's ``Instant`` and `ContinuousClock`, from an origin fixed at creation.
struct LoopClock: Sendable {
    let origin: ContinuousClock.Instant

    init(origin: ContinuousClock.Instant = .now) { self.origin = origin }

    /// The current instant, as the core counts it.
    func now() -> Instant { Instant(nanoseconds: self.origin.duration(to: .now).nanosecondsClamped) }

    /// The `ContinuousClock` instant of a core instant (for the poll loop's timers).
    func continuous(_ instant: Instant) -> ContinuousClock.Instant {
        self.origin.advanced(by: .nanoseconds(instant.nanoseconds))
    }
}
