// MARK: - Inspection: `herd jobs` and `herd inspect JOB` (INSPECT, revision 9)

extension CoordinatorStateMachine {
    /// How many finished jobs the coordinator remembers for `herd jobs` / `herd inspect`.
    public static let recentJobsKept = 50

    /// Answers INSPECT: one job in detail, or every tracked and recent job without subtasks.
    func inspectReply(_ request: InspectRequest, now: Instant) -> InspectReply {
        guard let id = request.job else {
            let tracked = self.jobs.sorted.map { self.detail(of: $0, now: now, subtasks: false) }
            let recent = self.recentJobs.map { job -> JobDetail in
                var job = job
                job.subtasks = []
                return job
            }
            return InspectReply(token: request.token, jobs: (recent + tracked).sorted { $0.job < $1.job })
        }
        if let job = self.jobs[id] { return InspectReply(token: request.token, jobs: [self.detail(of: job, now: now)]) }
        return InspectReply(token: request.token, jobs: self.recentJobs.filter { $0.job == id })
    }

    /// Keeps a finished job's detail among the recent ones (the oldest is dropped).
    mutating func rememberFinished(_ job: JobRecord, now: Instant) {
        var detail = self.detail(of: job, now: now)
        detail.state = .finished
        detail.elapsed = job.acceptedAt.duration(to: now)
        self.recentJobs.append(detail)
        if self.recentJobs.count > Self.recentJobsKept { self.recentJobs.removeFirst() }
    }

    /// A job's detail; with `subtasks`, every subtask not a plain success (and the successes of
    /// small jobs).
    func detail(of job: JobRecord, now: Instant, subtasks: Bool = true) -> JobDetail {
        var detail = JobDetail(
            job: job.id,
            group: job.group,
            kind: job.kind,
            state: job.isEnding ? .ending : .running,
            total: job.total,
            succeeded: job.succeeded,
            failed: job.failed,
            cancelled: job.cancelled,
            age: job.acceptedAt.duration(to: now),
            reason: job.endReason
        )
        guard subtasks else { return detail }
        let listSuccesses = job.total <= JobDetail.maxListedSuccesses
        for (position, phase) in job.phases.enumerated() {
            let index = UInt32(position)
            let attempts = job.attempts[position]
            switch phase {
            case .queued:
                detail.subtasks.append(SubtaskDetail(index: index, phase: .queued, attempts: attempts))
            case .running:
                let running = job.running[index]
                detail.subtasks.append(
                    SubtaskDetail(
                        index: index,
                        phase: .running,
                        attempts: attempts,
                        worker: running.flatMap { self.membership[$0.worker]?.registration.workerID } ?? "",
                        elapsed: running.map { $0.dispatchedAt.duration(to: now) },
                        failure: self.retries.earlierFailure(of: SubtaskRef(job: job.id, index: index))
                    )
                )
            case .waitingRetry:
                detail.subtasks.append(
                    SubtaskDetail(
                        index: index,
                        phase: .waitingRetry,
                        attempts: attempts,
                        failure: self.retries.earlierFailure(of: SubtaskRef(job: job.id, index: index))
                    )
                )
            case .finished:
                if let note = job.failureNotes[index] {
                    detail.subtasks.append(
                        SubtaskDetail(
                            index: index,
                            phase: note.failure.category == .cancelled ? .cancelled : .failed,
                            attempts: attempts,
                            worker: note.worker,
                            elapsed: note.elapsed,
                            failure: note.failure
                        )
                    )
                } else if listSuccesses {
                    // Finished without a note: a success (or, past the notes' cap, a failure).
                    detail.subtasks.append(
                        SubtaskDetail(index: index, phase: attempts == 0 ? .cancelled : .succeeded, attempts: attempts)
                    )
                }
            }
        }
        return detail
    }
}
