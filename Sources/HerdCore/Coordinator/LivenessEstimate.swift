/// How long a worker may stay silent before it is declared dead, learned from how regularly it
/// has been heard: the configured window, stretched while the worker's messages arrive with
/// jitter (a busy machine delays heartbeats), never beyond `maxStretch` times the window.
///
/// The estimate is TCP's retransmission timeout applied to arrival gaps (RFC 6298): a smoothed
/// gap and a smoothed deviation, and a window of `gap + 4 × deviation`. A worker heartbeating
/// every 250 ms on an idle machine keeps the configured window; one whose gaps swing between
/// 50 ms and 900 ms (load average 20, seen in round 1) gets several seconds, and is not taken for
/// dead. A worker that stops for good is declared dead after at most `maxStretch` windows;
/// a crashed one is usually found sooner, by its closed connection.
struct LivenessEstimate: Hashable {
    /// Smoothed gap between messages, in nanoseconds (0 until a second message).
    private(set) var smoothedGap: Double = 0
    /// Smoothed absolute deviation of the gaps, in nanoseconds.
    private(set) var deviation: Double = 0
    private var last: Instant
    private var samples = 0

    init(heardAt now: Instant) { self.last = now }

    /// Notes a message at `now`.
    mutating func heard(at now: Instant) {
        let gap = Double(self.last.duration(to: now).nanosecondsClamped)
        self.last = now
        guard gap >= 0 else { return }
        if self.samples == 0 {
            self.smoothedGap = gap
            self.deviation = gap / 2
        } else {
            self.deviation += (abs(gap - self.smoothedGap) - self.deviation) / 4
            self.smoothedGap += (gap - self.smoothedGap) / 8
        }
        self.samples += 1
    }

    /// The silence tolerated now: `base` at least, `base × maxStretch` at most.
    func window(base: Duration, maxStretch: Int) -> Duration {
        guard self.samples >= 2, maxStretch > 1 else { return base }
        let learned = Duration.nanoseconds(Int64(min(self.smoothedGap + 4 * self.deviation, Double(Int64.max / 2))))
        return min(max(base, learned), base * maxStretch)
    }
}
