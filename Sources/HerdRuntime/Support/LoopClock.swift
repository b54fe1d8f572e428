import HerdCore

#if canImport(Glibc)
import Glibc
#endif

/// Converts between the core's ``Instant`` and `ContinuousClock`, from an origin fixed at creation.
struct LoopClock: Sendable {
    let origin: ContinuousClock.Instant

    init(origin: ContinuousClock.Instant = .now) { self.origin = origin }

    /// A clock whose instants count from the Unix epoch (wall-clock time, read once): a journaling
    /// coordinator's instants (deadlines, finish times) then mean the same after a restart.
    static func anchoredToWallClock() -> LoopClock {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let sinceEpoch = Duration.seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
        return LoopClock(origin: ContinuousClock.now.advanced(by: .zero - sinceEpoch))
    }

    /// The current instant, as the core counts it.
    func now() -> Instant { Instant(nanoseconds: self.origin.duration(to: .now).nanosecondsClamped) }

    /// The `ContinuousClock` instant of a core instant (for the poll loop's timers).
    func continuous(_ instant: Instant) -> ContinuousClock.Instant {
        self.origin.advanced(by: .nanoseconds(instant.nanoseconds))
    }
}
