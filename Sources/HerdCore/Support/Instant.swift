/// A point on a monotonic clock, in nanoseconds from an arbitrary origin.
///
/// The core never reads a clock: every time-sensitive event carries `now`. Production shells
/// derive it from `ContinuousClock`; the simulator from its virtual clock. Hosts' clocks need not
/// agree: only durations ever cross the wire.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    public static func - (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds &- rhs.nanosecondsClamped)
    }

    /// The duration from `self` to `other` (negative if `other` is earlier).
    public func duration(to other: Instant) -> Duration {
        .nanoseconds(other.nanoseconds &- self.nanoseconds)
    }

    public var description: String { "t+\(Double(self.nanoseconds) / 1e9)s" }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = self.components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return ns &+ attoseconds / 1_000_000_000
    }

    /// The duration in whole milliseconds, clamped at zero and `UInt32.max`.
    public var millisecondsClamped: UInt32 {
        let ms = self.nanosecondsClamped / 1_000_000
        return ms <= 0 ? 0 : UInt32(clamping: ms)
    }
}
