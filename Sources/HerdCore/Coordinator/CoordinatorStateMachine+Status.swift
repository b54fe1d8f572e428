// MARK: - Status snapshot for `herd status`

extension CoordinatorStateMachine {
    /// A snapshot of workers, groups and jobs in progress.
    public func statusReport(token: UInt64, now: Instant) -> StatusReport {
        let workers = self.workers.values
            .sorted { ($0.registration.group, $0.registration.workerID) < ($1.registration.group, $1.registration.workerID) }
            .map { worker in
                let state: String
                switch worker.state {
                case .live: state = worker.drain == nil ? "live" : "draining"
                case .dead(_, let reason): state = reason == Self.deregistered ? "left" : "dead (\(reason))"
                }
                var cancelling: UInt32 = 0
                var overdue: UInt32 = 0
                for subtask in worker.running {
                    guard let since = self.jobs[subtask.job]?.running[subtask.index]?.cancelledAt else { continue }
                    cancelling += 1
                    if since.duration(to: now) > self.configuration.cancelOverdueAfter { overdue += 1 }
                }
                return WorkerStatus(
                    id: worker.registration.workerID,
                    group: worker.registration.group,
                    node: worker.registration.node,
                    state: state,
                    inFlight: UInt32(worker.running.count),
                    capacity: worker.registration.capacity,
                    lastHeard: worker.lastHeard.duration(to: now),
                    cancelling: cancelling,
                    overdue: overdue
                )
            }
        let groups = self.groups.values.sorted { $0.name < $1.name }.map { group in
            let live = group.workers.compactMap { self.workers[$0] }
            return GroupStatus(
                name: group.name,
                queued: UInt32(clamping: group.queued),
                workers: UInt32(live.count),
                inFlight: UInt32(live.reduce(0) { $0 + $1.running.count })
            )
        }
        let jobs = self.jobs.values.sorted { $0.id < $1.id }.map { job in
            JobStatus(
                job: job.id, group: job.group, kind: job.kind, total: job.total, finished: job.finished,
                running: UInt32(job.running.count - job.cancellingCount), cancelling: UInt32(job.cancellingCount), parent: job.parent
            )
        }
        return StatusReport(token: token, coordinatorID: self.configuration.coordinatorID, workers: workers, groups: groups, jobs: jobs)
    }

    /// Number of subtasks queued across all groups (for tests and metrics).
    public var queuedSubtasks: Int { self.groups.values.reduce(0) { $0 + $1.queued } }

    /// Number of attempts outstanding across all workers.
    public var outstandingAttempts: Int { self.workers.values.reduce(0) { $0 + $1.running.count } }

    /// Number of jobs the coordinator still tracks.
    public var activeJobs: Int { self.jobs.count }
}
