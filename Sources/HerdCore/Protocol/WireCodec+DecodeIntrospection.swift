// MARK: - Decoding the introspection replies (STATUS-REPLY, INSPECT-REPLY)

// The two largest bodies of the protocol, kept apart from the command decoders of
// WireCodec+Decode.swift; they use its shared-structure readers.
extension ByteReader {
    mutating func inspectReply() throws(ProtocolError) -> InspectReply {
        let token = try self.u64("token")
        var jobs: [JobDetail] = []
        for index in 0 ..< (try self.count("jobs", minimumSize: 8 + 4 + 4 + 1 + 16 + 8 + 1 + 1 + 4)) {
            self.enter("jobs", element: index)
            let job = JobID(try self.u64("job"))
            let group = try self.name("group")
            let kind = try self.name("kind")
            let code = try self.u8("state")
            guard let state = JobDetail.State(rawValue: code) else { throw self.malformed("unknown job state \(code)") }
            let total = try self.u32("total")
            let succeeded = try self.u32("succeeded")
            let failed = try self.u32("failed")
            let cancelled = try self.u32("cancelled")
            let age = try self.duration("age")
            let elapsed = try self.optionalDuration("elapsed")
            let reason = try self.flag("reason") ? try self.failure() : nil
            var subtasks: [SubtaskDetail] = []
            for element in 0 ..< (try self.count("subtasks", minimumSize: 4 + 1 + 4 + 4 + 1 + 1)) {
                self.enterNested("subtasks", element: element)
                let index = try self.u32("index")
                let phaseCode = try self.u8("phase")
                guard let phase = SubtaskDetail.Phase(rawValue: phaseCode) else {
                    throw self.malformed("unknown subtask phase \(phaseCode)")
                }
                let attempts = try self.u32("attempts")
                let worker = try self.name("worker")
                let elapsed = try self.optionalDuration("elapsed")
                let failure = try self.flag("failure") ? try self.failure() : nil
                subtasks.append(
                    SubtaskDetail(
                        index: index,
                        phase: phase,
                        attempts: attempts,
                        worker: worker,
                        elapsed: elapsed,
                        failure: failure
                    )
                )
                self.leaveNested()
            }
            jobs.append(
                JobDetail(
                    job: job,
                    group: group,
                    kind: kind,
                    state: state,
                    total: total,
                    succeeded: succeeded,
                    failed: failed,
                    cancelled: cancelled,
                    age: age,
                    elapsed: elapsed,
                    reason: reason,
                    subtasks: subtasks
                )
            )
            self.leave()
        }
        return InspectReply(token: token, jobs: jobs)
    }

    mutating func statusReport() throws(ProtocolError) -> StatusReport {
        let token = try self.u64("token")
        let coordinatorID = try self.text("coordinatorID")

        let workerCount = try self.count("workers", minimumSize: WireCodec.MinimumSize.workerStatus)
        var workers: [WorkerStatus] = []
        workers.reserveCapacity(workerCount)
        for index in 0 ..< workerCount {
            self.enter("workers", element: index)
            let id = try self.name("id")
            let group = try self.name("group")
            let node = try self.name("node")
            let state = try self.text("state")
            let inFlight = try self.u32("inFlight")
            let capacity = try self.u32("capacity")
            let lastHeard = try self.duration("lastHeard")
            let cancelling = try self.u32("cancelling")
            let overdue = try self.u32("overdue")
            let breaker = try self.text("breaker")
            workers.append(
                WorkerStatus(
                    id: id,
                    group: group,
                    node: node,
                    state: state,
                    inFlight: inFlight,
                    capacity: capacity,
                    lastHeard: lastHeard,
                    cancelling: cancelling,
                    overdue: overdue,
                    breaker: breaker
                )
            )
        }
        self.leave()

        let groupCount = try self.count("groups", minimumSize: WireCodec.MinimumSize.groupStatus)
        var groups: [GroupStatus] = []
        groups.reserveCapacity(groupCount)
        for index in 0 ..< groupCount {
            self.enter("groups", element: index)
            let name = try self.name("name")
            let queued = try self.u32("queued")
            let workerCount = try self.u32("workers")
            let inFlight = try self.u32("inFlight")
            let breaker = try self.text("breaker")
            let fallback = try self.name("fallback")
            groups.append(
                GroupStatus(
                    name: name,
                    queued: queued,
                    workers: workerCount,
                    inFlight: inFlight,
                    breaker: breaker,
                    fallback: fallback
                )
            )
        }
        self.leave()

        let jobCount = try self.count("jobs", minimumSize: WireCodec.MinimumSize.jobStatus)
        var jobs: [JobStatus] = []
        jobs.reserveCapacity(jobCount)
        for index in 0 ..< jobCount {
            self.enter("jobs", element: index)
            let job = JobID(try self.u64("job"))
            let group = try self.name("group")
            let kind = try self.name("kind")
            let total = try self.u32("total")
            let finished = try self.u32("finished")
            let running = try self.u32("running")
            let cancelling = try self.u32("cancelling")
            let parent = try self.optionalParent()
            jobs.append(
                JobStatus(
                    job: job,
                    group: group,
                    kind: kind,
                    total: total,
                    finished: finished,
                    running: running,
                    cancelling: cancelling,
                    parent: parent
                )
            )
        }
        self.leave()

        let clusterBreaker = try self.text("clusterBreaker")
        let retryBudget = RetryBudgetStatus(
            firstAttempts: try self.u32("retryBudget.firstAttempts"),
            retries: try self.u32("retryBudget.retries"),
            available: try self.u32("retryBudget.available")
        )

        let errorCount = try self.count("errors", minimumSize: WireCodec.MinimumSize.categoryCount)
        var errors: [CategoryCount] = []
        errors.reserveCapacity(errorCount)
        for index in 0 ..< errorCount {
            self.enter("errors", element: index)
            let category = try self.category()
            errors.append(CategoryCount(category: category, count: try self.u32("count")))
        }
        self.leave()

        let recentCalls = try self.u32("recentCalls")
        let journal = try self.text("journal")
        return StatusReport(
            token: token,
            coordinatorID: coordinatorID,
            workers: workers,
            groups: groups,
            jobs: jobs,
            clusterBreaker: clusterBreaker,
            retryBudget: retryBudget,
            errors: errors,
            recentCalls: recentCalls,
            journal: journal
        )
    }
}
