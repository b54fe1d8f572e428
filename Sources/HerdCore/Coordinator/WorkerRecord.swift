/// What the coordinator knows about one worker.
struct WorkerRecord {
    /// Liveness as the coordinator judges it.
    enum State: Hashable {
        /// Registered and heard from within the liveness window. Can transition to: dead.
        case live
        /// Silent past the liveness window, unreachable, or deregistered; its attempts were re-queued.
        /// Kept for status until `deadWorkerRetention` passes. Can transition to: live (re-registers).
        case dead(since: Instant, reason: String)
    }

    let peer: PeerID
    var registration: Registration
    var kinds: Set<String>
    var state: State
    /// Attempts outstanding at this worker (each holds one credit).
    var running: Set<SubtaskRef>
    /// The attempts it had outstanding when declared dead: it may still run them (a DISPATCH can
    /// reach it after its REGISTER left), so they are told to stop when it registers again.
    var lostAtDeath: [AttemptRef] = []
    var lastHeard: Instant
    /// How regularly it has been heard: its liveness window stretches with jitter.
    var liveness: LivenessEstimate
    /// Set while the worker drains: it gets no new work; what it gives back is re-queued.
    var drain: DrainProgress?

    /// A draining worker's progress, for the drain's report.
    struct DrainProgress: Hashable {
        var since: Instant
        /// The grace the drain was ordered with (to order it again after a reconnect).
        var grace: Duration = .zero
        var finished: UInt32 = 0
        var moved: [SubtaskRef] = []
    }

    /// Live and not draining: may be given new work.
    var acceptsWork: Bool { self.isLive && self.drain == nil && self.unhealthy == nil }
    /// What its failing health probe said; it gets no new work until the probe passes.
    var unhealthy: String?

    init(peer: PeerID, registration: Registration, now: Instant) {
        self.peer = peer
        self.registration = registration
        self.kinds = Set(registration.kinds)
        self.state = .live
        self.running = []
        self.lastHeard = now
        self.liveness = LivenessEstimate(heardAt: now)
    }

    var isLive: Bool { if case .live = self.state { true } else { false } }

    /// Credit the worker has left.
    var freeCredit: Int { max(0, Int(self.registration.capacity) - self.running.count) }

    var metadata: [String: String] {
        ["worker": self.registration.workerID, "group": self.registration.group, "node": self.registration.node]
    }
}
