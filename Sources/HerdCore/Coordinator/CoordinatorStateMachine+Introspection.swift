// MARK: - Introspection: read-only views for the simulator's invariant checks

extension CoordinatorStateMachine {
    /// Where one subtask stands, as the coordinator sees it.
    package enum SubtaskPhaseView: Hashable, Sendable {
        /// Waiting in its group's queue.
        case queued
        /// An attempt is outstanding at a worker.
        case running
        /// Its attempt failed; a retry is scheduled (not yet in the queue).
        case waitingRetry
        /// Its one result is committed (its attempt may still be stopping).
        case finished
    }

    /// One attempt the coordinator has outstanding.
    package struct AttemptView: Hashable, Sendable {
        /// The subtask's index in its job.
        package var index: UInt32
        /// The attempt number.
        package var attempt: UInt32
        /// The worker holding it.
        package var worker: PeerID
        /// When the coordinator told the worker to stop it, if it did.
        package var cancelledAt: Instant?
    }

    /// A worker as the coordinator sees it (cheap: counts, no lists).
    package struct WorkerView: Hashable, Sendable {
        /// Its routing id.
        package var peer: PeerID
        /// Its credit.
        package var capacity: UInt32
        /// Registered and not declared dead.
        package var isLive: Bool
        /// Live and draining: it gets no new work.
        package var isDraining: Bool
        /// Attempts outstanding there (each holds one credit).
        package var outstanding: Int
        /// The process behind its latest registration (``Registration/incarnation``).
        package var incarnation: UInt64
    }

    /// A job's counts as the coordinator sees them (cheap: what the per-step checks need).
    package struct JobCountsView: Hashable, Sendable {
        /// The job.
        package var id: JobID
        /// Its subtask count.
        package var total: UInt32
        /// Subtasks committed as successes.
        package var succeeded: UInt32
        /// Subtasks committed as failures other than `cancelled`.
        package var failed: UInt32
        /// Subtasks committed as `cancelled`.
        package var cancelled: UInt32
        /// Units counted against its budget.
        package var usage: UInt64
        /// Its budget, if any.
        package var budget: UInt64?
        /// Its fan-out policy.
        package var policy: FanoutPolicy
        /// Its deadline (the tighter of its own and its parent's), if any.
        package var deadline: Instant?
        /// Why the job was ended early, once it was.
        package var endReason: Failure?

        /// Subtasks whose result is committed.
        package var finished: UInt32 { self.succeeded + self.failed + self.cancelled }
    }

    /// A job in detail, for explaining a violation.
    package struct JobView: Sendable {
        /// Its counts.
        package var counts: JobCountsView
        /// Its group.
        package var group: String
        /// The attempt that submitted it, for a nested job.
        package var parent: AttemptRef?
        /// Per subtask, by index.
        package var phases: [SubtaskPhaseView]
        /// Attempts dispatched so far, per subtask.
        package var attempts: [UInt32]
        /// Outstanding attempts, in index order.
        package var running: [AttemptView]
        /// Its client is gone: nothing more is sent for it.
        package var abandoned: Bool
    }

    /// The incarnation of `peer`'s latest registration, if the coordinator has one.
    package func registeredIncarnation(of peer: PeerID) -> UInt64? {
        self.membership[peer]?.registration.incarnation
    }

    /// Every worker record (live, draining or dead), in no particular order.
    package var introspectedWorkers: [WorkerView] {
        self.membership.all.map { worker in
            WorkerView(
                peer: worker.peer,
                capacity: worker.registration.capacity,
                isLive: worker.isLive,
                isDraining: worker.isLive && worker.drain != nil,
                outstanding: worker.running.count,
                incarnation: worker.registration.incarnation
            )
        }
    }

    /// The subtasks outstanding at `peer`, in job and index order.
    package func introspectOutstanding(at peer: PeerID) -> [SubtaskRef] {
        (self.membership[peer]?.running ?? []).sorted(by: Self.subtaskOrder)
    }

    /// The counts of every job the coordinator still tracks, in no particular order.
    package var introspectedJobs: [JobCountsView] {
        self.jobs.all.map(Self.counts)
    }

    /// A job's counts as the checks see them.
    static func counts(_ job: JobRecord) -> JobCountsView {
        JobCountsView(
            id: job.id,
            total: job.total,
            succeeded: job.succeeded,
            failed: job.failed,
            cancelled: job.cancelled,
            usage: job.usage,
            budget: job.budget,
            policy: job.policy,
            deadline: job.deadline,
            endReason: job.endReason
        )
    }

    /// Ids of the jobs the coordinator still tracks, in order.
    package var introspectedJobIDs: [JobID] { self.jobs.ids }

    /// A detailed view of one job, or `nil` once it is forgotten (finished and flushed).
    package func introspectJob(_ id: JobID) -> JobView? {
        guard let job = self.jobs[id] else { return nil }
        return JobView(
            counts: Self.counts(job),
            group: job.group,
            parent: job.parent,
            phases: job.phases.map { phase in
                switch phase {
                case .queued: .queued
                case .running: .running
                case .waitingRetry: .waitingRetry
                case .finished: .finished
                }
            },
            attempts: job.attempts,
            running: job.running.sorted { $0.key < $1.key }.map {
                AttemptView(
                    index: $0.key,
                    attempt: $0.value.attempt,
                    worker: $0.value.worker,
                    cancelledAt: $0.value.cancelledAt
                )
            },
            abandoned: job.abandoned
        )
    }

    /// The attempts outstanding for each of `subtasks` (including ones being cancelled), in order.
    package func introspectOutstanding(_ subtasks: [SubtaskRef]) -> [AttemptView?] {
        subtasks.map { subtask in
            self.jobs[subtask.job]?.running[subtask.index].map {
                AttemptView(index: subtask.index, attempt: $0.attempt, worker: $0.worker, cancelledAt: $0.cancelledAt)
            }
        }
    }

    /// Whether the coordinator has `peer` as a live (registered, not dead) worker.
    package func introspectWorkerIsLive(_ peer: PeerID) -> Bool { self.membership.isLive(peer) }

    /// True once the coordinator has decided to stop (graceful shutdown finished).
    package var introspectedStopped: Bool { self.lifeCycle == .stopped }
}
