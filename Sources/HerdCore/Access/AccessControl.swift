/// The coordinator's access bookkeeping: who owns each job, each client's open jobs and
/// submission rate, and which key each routing id was first seen with.
///
/// A client is known by its identity (``CoordinatorStateMachine/identity(of:principal:)``): its
/// public key when peers are authenticated, its routing id otherwise.
///
/// Invariants: every owned job was accepted by this coordinator; ``prune(keeping:)`` forgets the
/// jobs the coordinator itself has forgotten, so the tables stay as small as the job table and the
/// archive (and the buckets as small as the clients active within a second).
struct AccessControl {
    /// A token bucket: `rate` tokens a second, at most `rate` kept.
    struct Bucket {
        var tokens: Double
        var updated: Instant

        /// Takes a token if there is one (refilled up to `now`).
        mutating func take(rate: Int, now: Instant) -> Bool {
            let elapsed = Double(self.updated.duration(to: now).nanosecondsClamped) / 1e9
            self.tokens = min(Double(rate), self.tokens + max(0, elapsed) * Double(rate))
            self.updated = max(self.updated, now)
            guard self.tokens >= 1 else { return false }
            self.tokens -= 1
            return true
        }

        /// Whether the bucket would be full at `now` (it can be forgotten).
        func isFull(rate: Int, now: Instant) -> Bool {
            let elapsed = Double(self.updated.duration(to: now).nanosecondsClamped) / 1e9
            return self.tokens + max(0, elapsed) * Double(rate) >= Double(rate)
        }
    }

    /// The identity that submitted each job.
    private(set) var owners: [JobID: String] = [:]
    /// Each identity's jobs that may still be open (closed ones are dropped when counted).
    private var open: [String: Set<JobID>] = [:]
    /// Submission rate per identity.
    private var buckets: [String: Bucket] = [:]
    /// The key each routing id was first seen with (authenticated peers only).
    private var bindings: [PeerID: String] = [:]

    /// Binds `peer` to `key` on first sight; false if the routing id is bound to another key.
    mutating func bind(_ peer: PeerID, to key: String) -> Bool {
        if let bound = self.bindings[peer] { return bound == key }
        self.bindings[peer] = key
        return true
    }

    /// Records that `identity` submitted `job`.
    mutating func accepted(_ job: JobID, by identity: String) {
        self.owners[job] = identity
        self.open[identity, default: []].insert(job)
    }

    /// How many of `identity`'s jobs are still open, by `isOpen`; forgets the closed ones.
    mutating func openJobs(of identity: String, isOpen: (JobID) -> Bool) -> Int {
        guard var jobs = self.open[identity] else { return 0 }
        jobs = jobs.filter(isOpen)
        self.open[identity] = jobs.isEmpty ? nil : jobs
        return jobs.count
    }

    /// Takes one submission token of `identity`; false if it is over `rate` a second.
    mutating func admitSubmission(of identity: String, rate: Int, now: Instant) -> Bool {
        self.buckets[identity, default: Bucket(tokens: Double(rate), updated: now)].take(rate: rate, now: now)
    }

    /// Forgets jobs `isKnown` no longer knows, full buckets and bindings of peers `isPeer` no
    /// longer knows.
    mutating func prune(
        isKnown: (JobID) -> Bool,
        isPeer: (PeerID) -> Bool,
        rate: Int,
        now: Instant
    ) {
        self.owners = self.owners.filter { isKnown($0.key) }
        self.open = self.open.compactMapValues { jobs in
            let known = jobs.filter(isKnown)
            return known.isEmpty ? nil : known
        }
        self.buckets = self.buckets.filter { !$0.value.isFull(rate: rate, now: now) }
        self.bindings = self.bindings.filter { isPeer($0.key) }
    }

    /// How many entries the tables hold (for tests of boundedness).
    var size: Int { self.owners.count + self.open.values.reduce(0) { $0 + $1.count } + self.buckets.count }
}
