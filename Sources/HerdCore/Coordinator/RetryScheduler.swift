import HeapModule

/// Failed attempts waiting for their retry: whether a failure is retried (the subtask's policy,
/// its deadline, then the cluster-wide retry budget), when (backoff with jitter from a seeded
/// generator), on which worker preferably not (the one it last failed on), and the failures of
/// the earlier attempts (the cause chain of the failure a subtask ends with).
///
/// Invariants: a subtask has at most one pending retry (its phase is `waitingRetry` while it
/// does); the retry timer is armed for the earliest due retry, or not at all.
struct RetryScheduler {
    /// A retry waiting for its delay, ordered by due time then by scheduling order.
    struct Entry: Comparable {
        var due: Instant
        var sequence: UInt64
        var subtask: SubtaskRef

        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence) }
    }

    /// What became of a failed attempt.
    enum Verdict {
        /// A retry is scheduled; the subtask waits for it.
        case scheduled
        /// No retry: the subtask ends with this failure (its earlier failures as causes).
        case final(Failure)
        /// The policy would retry but the cluster-wide budget refused: the subtask ends with this
        /// `budget-exhausted` failure.
        case refusedByBudget(Failure)
    }

    /// Jitter for retry delays, seeded from the configuration.
    private var rng: SplitMix64
    private(set) var budget: RetryBudget
    private var due = Heap<Entry>()
    private var sequence: UInt64 = 0
    /// When the shell's `retryDue` timer is armed for, if it is.
    private var timerAt: Instant?
    /// The worker a retried subtask last failed on (a retry prefers another).
    private var lastTried: [SubtaskRef: PeerID] = [:]
    /// The failures of the earlier attempts of subtasks that are being retried.
    private var earlierFailures: [SubtaskRef: [Failure]] = [:]

    init(seed: UInt64, budget: RetryBudget.Configuration) {
        self.rng = SplitMix64(seed: seed)
        self.budget = RetryBudget(configuration: budget)
    }

    /// Decides on a failed attempt of `subtask` (number `attempt`, at `worker`): the policy first,
    /// then the deadline, and only then the budget (a retry that could not finish in time is not
    /// made, so it must not spend the cluster's budget either).
    mutating func consider(
        _ subtask: SubtaskRef,
        failure: Failure,
        attempt: UInt32,
        worker: PeerID,
        policy: RetryPolicy,
        deadline: Instant?,
        now: Instant
    ) -> Verdict {
        let earlier = self.earlierFailures.removeValue(forKey: subtask) ?? []
        var decision = policy.decision(for: failure, attempt: attempt, rng: &self.rng)
        if case .retry(let delay) = decision {
            if let deadline, now + delay >= deadline {
                // The retry could not finish in time: the failure stands.
                return .final(earlier.isEmpty ? failure : failure.causedBy(earlier))
            }
            if !self.budget.tryWithdrawRetry(now: now) { decision = .giveUp(.budgetExhausted) }
        }
        switch decision {
        case .giveUp(let reason):
            let final = reason.finalFailure(for: failure)
            if case .budgetExhausted = reason { return .refusedByBudget(final.causedBy(earlier + [failure])) }
            return .final(earlier.isEmpty ? final : final.causedBy(earlier))
        case .retry(let delay):
            self.earlierFailures[subtask] = Array((earlier + [failure]).suffix(Failure.maxCauses))
            self.lastTried[subtask] = worker
            self.sequence &+= 1
            self.due.insert(Entry(due: now + delay, sequence: self.sequence, subtask: subtask))
            return .scheduled
        }
    }

    /// The instant to arm the `retryDue` timer for, if it is not armed early enough already.
    mutating func timerToArm() -> Instant? {
        guard let next = self.due.min?.due else { return nil }
        if let armed = self.timerAt, armed <= next { return nil }
        self.timerAt = next
        return next
    }

    /// The `retryDue` timer fired: the subtasks whose retry is due at `now`, in due order.
    mutating func takeDue(now: Instant) -> [SubtaskRef] {
        self.timerAt = nil
        var subtasks: [SubtaskRef] = []
        while let next = self.due.min, next.due <= now {
            _ = self.due.removeMin()
            subtasks.append(next.subtask)
        }
        return subtasks
    }

    /// The worker `subtask` last failed on, while it is being retried.
    func lastTried(_ subtask: SubtaskRef) -> PeerID? { self.lastTried.isEmpty ? nil : self.lastTried[subtask] }

    /// `failure` with the failures of the subtask's earlier attempts as its causes (forgetting them).
    mutating func withEarlierFailures(_ failure: Failure, of subtask: SubtaskRef) -> Failure {
        guard !self.earlierFailures.isEmpty, let earlier = self.earlierFailures.removeValue(forKey: subtask) else {
            return failure
        }
        return failure.causedBy(earlier)
    }

    /// The failures so far of `subtask` while it is being retried (for `herd inspect`).
    func earlierFailure(of subtask: SubtaskRef) -> Failure? {
        guard !self.earlierFailures.isEmpty, let failures = self.earlierFailures[subtask], let last = failures.last
        else { return nil }
        return last.causedBy(Array(failures.dropLast()))
    }

    /// `subtask` is committed: forget the worker it last failed on and its earlier failures.
    mutating func settled(_ subtask: SubtaskRef) {
        if !self.lastTried.isEmpty { self.lastTried[subtask] = nil }
        if !self.earlierFailures.isEmpty { self.earlierFailures[subtask] = nil }
    }

    /// `subtask` was served by a fallback: its earlier failures no longer matter.
    mutating func forgetFailures(of subtask: SubtaskRef) {
        if !self.earlierFailures.isEmpty { self.earlierFailures[subtask] = nil }
    }

    /// Job `id` is complete: forget the earlier failures of its subtasks.
    mutating func forgetJob(_ id: JobID) {
        if !self.earlierFailures.isEmpty { self.earlierFailures = self.earlierFailures.filter { $0.key.job != id } }
    }

    /// A subtask's first attempt was dispatched (it earns the budget its share of retries).
    mutating func recordFirstAttempt(now: Instant) { self.budget.recordFirstAttempt(now: now) }
}
