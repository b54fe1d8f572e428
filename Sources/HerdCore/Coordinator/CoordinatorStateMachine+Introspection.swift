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

    /// A worker as the coordinator sees it.
    package struct WorkerView: Hashable, Sendable {
        package var peer: PeerID
        package var workerID: String
        package var group: String
        package var capacity: UInt32
        /// Registered and not declared dead.
        package var isLive: Bool
        /// Live and draining: it gets no new work.
        package var isDraining: Bool
        /// Attempts outstanding there (each holds one credit), in job and index order.
        package var outstanding: [SubtaskRef]
    }

    /// A job as the coordinator sees it.
    package struct JobView: Sendable {
        package var id: JobID
        package var client: PeerID
        package var group: String
        package var total: UInt32
        package var deadline: Instant?
        package var policy: FanoutPolicy
        package var budget: UInt64?
        package var parent: AttemptRef?
        /// Per subtask, by index.
        package var phases: [SubtaskPhaseView]
        /// Attempts dispatched so far, per subtask.
        package var attempts: [UInt32]
        /// Outstanding attempts, in index order.
        package var running: [AttemptView]
        package var succeeded: UInt32
        package var failed: UInt32
        package var cancelled: UInt32
        package var usage: UInt64
        /// Why the job was ended early, once it was.
        package var endReason: Failure?
        /// Its client is gone: nothing more is sent for it.
        package var abandoned: Bool

        /// Subtasks whose result is committed.
        package var finished: UInt32 { self.succeeded + self.failed + self.cancelled }
    }

    /// Ids of the jobs the coordinator still tracks, in order.
    package var introspectedJobIDs: [JobID] { self.jobs.keys.sorted() }

    /// A read-only view of one job, or `nil` once it is forgotten (finished and flushed).
    package func introspectJob(_ id: JobID) -> JobView? {
        guard let job = self.jobs[id] else { return nil }
        return JobView(
            id: job.id,
            client: job.client,
            group: job.group,
            total: job.total,
            deadline: job.deadline,
            policy: job.policy,
            budget: job.budget,
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
                AttemptView(index: $0.key, attempt: $0.value.attempt, worker: $0.value.worker, cancelledAt: $0.value.cancelledAt)
            },
            succeeded: job.succeeded,
            failed: job.failed,
            cancelled: job.cancelled,
            usage: job.usage,
            endReason: job.endReason,
            abandoned: job.abandoned
        )
    }

    /// The attempt outstanding for `subtask`, if any (including one being cancelled).
    package func introspectOutstanding(_ subtask: SubtaskRef) -> AttemptView? {
        guard let running = self.jobs[subtask.job]?.running[subtask.index] else { return nil }
        return AttemptView(index: subtask.index, attempt: running.attempt, worker: running.worker, cancelledAt: running.cancelledAt)
    }

    /// Every worker record (live, draining or dead), ordered by routing id.
    package var introspectedWorkers: [WorkerView] {
        self.workers.values
            .sorted { $0.peer.bytes.lexicographicallyPrecedes($1.peer.bytes) }
            .map { worker in
                WorkerView(
                    peer: worker.peer,
                    workerID: worker.registration.workerID,
                    group: worker.registration.group,
                    capacity: worker.registration.capacity,
                    isLive: worker.isLive,
                    isDraining: worker.isLive && worker.drain != nil,
                    outstanding: worker.running.sorted(by: Self.subtaskOrder)
                )
            }
    }

    /// Whether the coordinator has `peer` as a live (registered, not dead) worker.
    package func introspectWorkerIsLive(_ peer: PeerID) -> Bool { self.workers[peer]?.isLive == true }

    /// True once the coordinator has decided to stop (graceful shutdown finished).
    package var introspectedStopped: Bool { self.stopped }
}
