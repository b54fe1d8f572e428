/// The clients the coordinator knows: peers that submitted jobs or sent a request, when each was
/// last heard from (a silent client's jobs are cancelled), and the jobs each one owns.
struct ClientTable {
    /// One client.
    struct Record {
        var lastHeard: Instant
        var jobs: Set<JobID> = []
        /// When a send to it first failed as unreachable (its connection is gone) since it was
        /// last heard; cleared by the next message from it.
        var unreachableSince: Instant?
    }

    private var records: [PeerID: Record] = [:]
    /// Clients of jobs restored from the journal, not heard from since, with those jobs: the first
    /// message of one re-attaches it (it is sent its jobs' kept results again).
    private var reattaching: [PeerID: [JobID]] = [:]

    /// Whether some restored client has not re-attached yet (a cheap check per message).
    var awaitsReattach: Bool { !self.reattaching.isEmpty }

    /// Records a client of a restored job, to be re-attached when it is next heard from.
    mutating func restore(_ peer: PeerID, job: JobID, now: Instant) {
        self.touch(peer, now: now)
        self.add(job, to: peer)
        self.reattaching[peer, default: []].append(job)
    }

    /// Whether `peer` is a restored client not heard from yet: what it is owed waits for its
    /// re-attachment (a message sent now could reach it before it re-attached, or not at all).
    func isReattaching(_ peer: PeerID) -> Bool { self.reattaching[peer] != nil }

    /// The restored jobs of `peer` (once), when it is a restored client heard from for the first time.
    mutating func reattached(_ peer: PeerID) -> [JobID]? { self.reattaching.removeValue(forKey: peer) }

    /// The jobs `peer` owns that are not complete yet.
    func jobs(of peer: PeerID) -> Set<JobID> { self.records[peer]?.jobs ?? [] }

    /// Whether `peer` is a known client.
    func contains(_ peer: PeerID) -> Bool { self.records[peer] != nil }

    /// Notes that `peer` was heard from, making it a client if it was not one yet.
    mutating func touch(_ peer: PeerID, now: Instant) {
        if self.records[peer] == nil {
            self.records[peer] = Record(lastHeard: now)
        } else {
            self.records[peer]!.lastHeard = now
            self.records[peer]!.unreachableSince = nil
        }
    }

    /// Notes that a known client was heard from; does nothing for an unknown peer.
    mutating func heard(from peer: PeerID, now: Instant) {
        guard self.records[peer] != nil else { return }
        self.records[peer]!.lastHeard = now
        self.records[peer]!.unreachableSince = nil
    }

    /// Notes that a send to a known client failed because its connection is gone (the first time
    /// counts until it is heard from again).
    mutating func markUnreachable(_ peer: PeerID, now: Instant) {
        guard self.records[peer] != nil, self.records[peer]!.unreachableSince == nil else { return }
        self.records[peer]!.unreachableSince = now
    }

    /// Records that `peer` (a client, see ``touch(_:now:)``) owns `job`.
    mutating func add(_ job: JobID, to peer: PeerID) { self.records[peer]?.jobs.insert(job) }

    /// Forgets that `peer` owns `job` (the job is complete).
    mutating func remove(_ job: JobID, of peer: PeerID) { self.records[peer]?.jobs.remove(job) }

    /// Forgets a client, returning what was known of it.
    mutating func remove(_ peer: PeerID) -> Record? { self.records.removeValue(forKey: peer) }

    /// Every client, in routing-id order.
    var sorted: [(peer: PeerID, record: Record)] {
        self.records.sorted { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }.map {
            (peer: $0.key, record: $0.value)
        }
    }
}
