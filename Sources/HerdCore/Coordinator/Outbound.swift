/// What the coordinator owes its peers between flushes: the CANCEL batches it decided, and when
/// it last sent each peer anything (a heartbeat goes only to a peer that would otherwise hear
/// nothing for a whole interval).
struct Outbound {
    /// CANCEL batches decided since the last flush, per worker, in the order decided.
    private var pendingCancels: [PeerID: [AttemptRef]] = [:]
    /// When we last sent anything to a peer.
    private var lastSent: [PeerID: Instant] = [:]

    /// Notes that something was sent to `peer` at `now`.
    mutating func sent(to peer: PeerID, at now: Instant) { self.lastSent[peer] = now }

    /// Forgets a peer that is gone for good.
    mutating func forget(_ peer: PeerID) { self.lastSent[peer] = nil }

    /// Whether `peer`'s heartbeat would be late by the next tick if nothing is sent now.
    func isQuiet(_ peer: PeerID, now: Instant, interval: Duration) -> Bool {
        let quietSince = self.lastSent[peer] ?? .zero
        return quietSince.duration(to: now) + interval / 2 >= interval
    }

    /// Queues `attempt` for the next CANCEL to `worker`.
    mutating func cancel(_ attempt: AttemptRef, at worker: PeerID) {
        self.pendingCancels[worker, default: []].append(attempt)
    }

    /// Whether any CANCEL waits for the flush.
    var hasCancels: Bool { !self.pendingCancels.isEmpty }

    /// The CANCEL batches decided so far, by worker in routing-id order; none are left queued.
    mutating func takeCancels() -> [(worker: PeerID, attempts: [AttemptRef])] {
        let batches = self.pendingCancels
            .sorted { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }
            .map { (worker: $0.key, attempts: $0.value) }
        self.pendingCancels.removeAll(keepingCapacity: true)
        return batches
    }
}
