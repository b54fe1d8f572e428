/// A budget for one kind of log line that a peer can cause at will (undecodable messages from a
/// hostile or broken peer): at most `limit` lines per `window`, then one line saying how many were
/// left out. A flood of garbage must not become a flood of log writes on the coordinator's thread.
struct LogBudget: Hashable {
    let limit: Int
    let window: Duration
    private var windowStart: Instant?
    private var used = 0
    private var suppressed = 0

    init(limit: Int, per window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Whether a line may be logged at `now`; `summary` is set when a window that left lines out has
    /// just ended: how many were left out, to log before this one.
    mutating func spend(at now: Instant) -> (allowed: Bool, summary: Int?) {
        var summary: Int?
        if let start = self.windowStart, start.duration(to: now) < self.window {
            // Same window.
        } else {
            if self.suppressed > 0 { summary = self.suppressed }
            self.windowStart = now
            self.used = 0
            self.suppressed = 0
        }
        guard self.used < self.limit else {
            self.suppressed += 1
            return (false, summary)
        }
        self.used += 1
        return (true, summary)
    }
}
