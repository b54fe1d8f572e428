// The body of each command, read field by field in the order docs/PROTOCOL.md gives.
// WireCodec+Encode.swift writes them in the same order; keep the two files in step.

// MARK: - Minimum encoded sizes

extension WireCodec {
    /// The fewest bytes one array element can take on the wire, used to reject a count that claims
    /// more elements than the bytes left could hold before anything is allocated for them.
    enum MinimumSize {
        /// A string or blob: its `u32` length.
        static let lengthPrefixed = 4
        /// Job u64 + index u32 + attempt u32.
        static let attemptRef = 16
        /// Tag + empty blob (a failure takes at least tag + category + empty text + absent flag = 7).
        static let outcome = 1 + 4
        /// Attempt + outcome + usage u64.
        static let subtaskResult = attemptRef + outcome + 8
        /// Attempt + kind + payload + absent deadline.
        static let assignment = attemptRef + 4 + 4 + 1
        /// Job u64 + index u32 + attempts u32 + worker + outcome + fallback.
        static let jobResult = 8 + 4 + 4 + 4 + outcome + 4
        /// id, group, node, state + inFlight u32 + capacity u32 + lastHeard u64 + cancelling,
        /// overdue u32 + breaker.
        static let workerStatus = 4 * 4 + 4 + 4 + 8 + 4 + 4 + 4
        /// name + queued, workers, inFlight u32 + breaker + fallback.
        static let groupStatus = 4 + 3 * 4 + 4 + 4
        /// category u8 + count u32.
        static let categoryCount = 1 + 4
        /// job u64 + group + kind + total, finished, running, cancelling u32 + absent parent.
        static let jobStatus = 8 + 4 + 4 + 4 * 4 + 1
        /// worker + finished u32 + moved count u32 (no moved subtasks).
        static let drainedWorker = 4 + 4 + 4
        /// job u64 + index u32 + to.
        static let movedSubtask = 8 + 4 + 4
    }
}

// MARK: - Reading bodies

extension ByteReader {
    /// Reads the body of a `command` message (nothing for commands without fields). The caller
    /// checks that no bytes are left.
    mutating func body(_ command: WireCodec.Command) throws(ProtocolError) -> Message {
        switch command {
        case .register: return .register(try self.registration())
        case .results: return .results(try self.subtaskResults())
        case .deregister: return .deregister
        case .cancelled: return .cancelled(try self.attemptRefs("attempts"))
        case .partial: return .partial(try self.partialOutput())
        case .welcome: return .welcome(try self.welcome())
        case .dispatch: return .dispatch(try self.assignments())
        case .cancel: return .cancel(try self.attemptRefs("attempts"))
        case .drainWorker: return .drainWorker(DrainOrder(grace: try self.duration("grace")))
        case .heartbeat: return .heartbeat
        case .submit: return .submit(try self.submission())
        case .statusRequest: return .statusRequest(token: try self.u64("token"))
        case .cancelJob: return .cancelJob(try self.cancelJob())
        case .drain: return .drain(try self.drainRequest())
        case .breaker: return .breaker(try self.breakerCommand())
        case .accepted: return .accepted(try self.accepted())
        case .rejected: return .rejected(Rejection(token: try self.u64("token"), failure: try self.failure()))
        case .jobResults: return .jobResults(try self.jobResults())
        case .jobFinished: return .jobFinished(try self.jobSummary())
        case .statusReply: return .statusReply(try self.statusReport())
        case .cancelReply: return .cancelReply(try self.cancelReply())
        case .drainReply: return .drainReply(try self.drainReport())
        case .jobNotice: return .jobNotice(try self.jobNotice())
        case .breakerReply: return .breakerReply(try self.breakerReply())
        case .resultsRequest:
            return .resultsRequest(ResultsRequest(token: try self.u64("token"), job: JobID(try self.u64("job"))))
        case .resultsReply: return .resultsReply(try self.resultsReply())
        case .inspect:
            return .inspect(
                InspectRequest(token: try self.u64("token"), job: try self.optionalU64("job").map(JobID.init))
            )
        case .inspectReply: return .inspectReply(try self.inspectReply())
        case .health:
            return .health(HealthReport(healthy: try self.bool("healthy"), reason: try self.text("reason")))
        case .error: return .error(try self.protocolError())
        }
    }

    // MARK: Worker → coordinator

    mutating func registration() throws(ProtocolError) -> Registration {
        let workerID = try self.name("workerID")
        let group = try self.name("group")
        let node = try self.name("node")
        let capacity = try self.u32("capacity")
        let kindCount = try self.count("kinds", minimumSize: WireCodec.MinimumSize.lengthPrefixed)
        var kinds: [String] = []
        kinds.reserveCapacity(kindCount)
        for index in 0 ..< kindCount {
            self.enter("kinds", element: index)
            kinds.append(try self.name("kind"))
        }
        self.leave()
        let holdingCount = try self.count("holding", minimumSize: WireCodec.MinimumSize.attemptRef)
        var holding: [AttemptRef] = []
        holding.reserveCapacity(holdingCount)
        for index in 0 ..< holdingCount {
            self.enter("holding", element: index)
            holding.append(try self.attemptRef())
        }
        self.leave()
        let incarnation = try self.u64("incarnation")
        return Registration(
            workerID: workerID,
            group: group,
            node: node,
            capacity: capacity,
            kinds: kinds,
            holding: holding,
            incarnation: incarnation
        )
    }

    mutating func subtaskResults() throws(ProtocolError) -> [SubtaskResult] {
        let count = try self.count("results", minimumSize: WireCodec.MinimumSize.subtaskResult)
        var results: [SubtaskResult] = []
        results.reserveCapacity(count)
        for index in 0 ..< count {
            self.enter("results", element: index)
            let attempt = try self.attemptRef()
            let outcome = try self.outcome()
            let usage = try self.u64("usage")
            results.append(SubtaskResult(attempt: attempt, outcome: outcome, usage: usage))
        }
        self.leave()
        return results
    }

    mutating func partialOutput() throws(ProtocolError) -> PartialOutput {
        let attempt = try self.attemptRef()
        let worker = try self.name("worker")
        let data = try self.blob("data")
        let usage = try self.u64("usage")
        return PartialOutput(attempt: attempt, worker: worker, data: data, usage: usage)
    }

    // MARK: Coordinator → worker

    mutating func welcome() throws(ProtocolError) -> Welcome {
        let coordinatorID = try self.text("coordinatorID")
        let heartbeatInterval = try self.duration("heartbeatInterval")
        let livenessWindow = try self.duration("livenessWindow")
        return Welcome(
            coordinatorID: coordinatorID,
            heartbeatInterval: heartbeatInterval,
            livenessWindow: livenessWindow
        )
    }

    mutating func assignments() throws(ProtocolError) -> [Assignment] {
        let count = try self.count("assignments", minimumSize: WireCodec.MinimumSize.assignment)
        var assignments: [Assignment] = []
        assignments.reserveCapacity(count)
        for index in 0 ..< count {
            self.enter("assignments", element: index)
            let attempt = try self.attemptRef()
            let kind = try self.name("kind")
            let payload = try self.blob("payload")
            let deadline = try self.optionalDuration("deadline")
            assignments.append(Assignment(attempt: attempt, kind: kind, payload: payload, deadline: deadline))
        }
        self.leave()
        return assignments
    }

    // MARK: Client → coordinator

    mutating func submission() throws(ProtocolError) -> Submission {
        let token = try self.u64("token")
        let group = try self.name("group")
        let kind = try self.name("kind")
        let payloads = try self.payloadSource()
        let timeout = try self.optionalDuration("timeout")
        let policy = try self.policy()
        let budget = try self.optionalU64("budget")
        let parent = try self.optionalParent()
        return Submission(
            token: token,
            group: group,
            kind: kind,
            payloads: payloads,
            timeout: timeout,
            policy: policy,
            budget: budget,
            parent: parent
        )
    }

    mutating func policy() throws(ProtocolError) -> FanoutPolicy {
        let start = self.offset
        switch try self.u8("policy tag") {
        case WireCodec.PolicyTag.all:
            return .all
        case WireCodec.PolicyTag.failFast:
            return .failFast
        case WireCodec.PolicyTag.first:
            return .first
        case WireCodec.PolicyTag.quorum:
            let kStart = self.offset
            let k = try self.u32("quorum")
            guard k > 0 else {
                throw self.malformed("quorum of 0 at byte \(kStart); a quorum must be at least 1")
            }
            return .quorum(k)
        case let tag:
            throw self.malformed(
                "bad policy tag \(tag) at byte \(start); expected 0 (all), 1 (fail-fast), 2 (first) or 3 (quorum)"
            )
        }
    }

    mutating func cancelJob() throws(ProtocolError) -> CancelJob {
        let token = try self.u64("token")
        let job = JobID(try self.u64("job"))
        let reason = try self.text("reason")
        return CancelJob(token: token, job: job, reason: reason)
    }

    mutating func drainRequest() throws(ProtocolError) -> DrainRequest {
        let token = try self.u64("token")
        let target = try self.drainTarget()
        let grace = try self.duration("grace")
        return DrainRequest(token: token, target: target, grace: grace)
    }

    mutating func drainTarget() throws(ProtocolError) -> DrainTarget {
        let start = self.offset
        switch try self.u8("target tag") {
        case WireCodec.DrainTargetTag.worker:
            return .worker(try self.name("target"))
        case WireCodec.DrainTargetTag.node:
            return .node(try self.name("target"))
        case WireCodec.DrainTargetTag.group:
            return .group(try self.name("target"))
        case let tag:
            throw self.malformed(
                "bad target tag \(tag) at byte \(start); expected 0 (worker), 1 (node) or 2 (group)"
            )
        }
    }

    mutating func breakerCommand() throws(ProtocolError) -> BreakerCommand {
        let token = try self.u64("token")
        let start = self.offset
        let raw = try self.u8("action")
        guard let action = BreakerCommand.Action(rawValue: raw) else {
            throw self.malformed(
                "bad action tag \(raw) at byte \(start); expected 0 (open), 1 (close), 2 (reset) or 3 (disable)"
            )
        }
        // Any path within the limit decodes; the coordinator answers a malformed one with ok = false.
        let path = try self.breakerPath("path")
        return BreakerCommand(token: token, action: action, path: path)
    }

    mutating func payloadSource() throws(ProtocolError) -> PayloadSource {
        let start = self.offset
        switch try self.u8("payloads tag") {
        case WireCodec.PayloadSourceTag.template:
            let template = try self.blob("template")
            let count = try self.u32("count")
            return .template(template, count: count)
        case WireCodec.PayloadSourceTag.list:
            let count = try self.count("payloads", minimumSize: WireCodec.MinimumSize.lengthPrefixed)
            var payloads: [[UInt8]] = []
            payloads.reserveCapacity(count)
            for index in 0 ..< count {
                self.enter("payloads", element: index)
                payloads.append(try self.blob("payload"))
            }
            self.leave()
            return .list(payloads)
        case let tag:
            throw self.malformed("bad payloads tag \(tag) at byte \(start); expected 0 (template) or 1 (list)")
        }
    }

    // MARK: Coordinator → client

    mutating func accepted() throws(ProtocolError) -> Accepted {
        let token = try self.u64("token")
        let job = JobID(try self.u64("job"))
        let subtasks = try self.u32("subtasks")
        return Accepted(token: token, job: job, subtasks: subtasks)
    }

    mutating func jobResults() throws(ProtocolError) -> [JobResult] {
        let count = try self.count("results", minimumSize: WireCodec.MinimumSize.jobResult)
        var results: [JobResult] = []
        results.reserveCapacity(count)
        for index in 0 ..< count {
            self.enter("results", element: index)
            let job = JobID(try self.u64("job"))
            let subtask = SubtaskRef(job: job, index: try self.u32("index"))
            let attempts = try self.u32("attempts")
            let worker = try self.name("worker")
            let outcome = try self.outcome()
            let fallback = FallbackSource(wireName: try self.name("fallback"))
            results.append(
                JobResult(subtask: subtask, attempts: attempts, worker: worker, outcome: outcome, fallback: fallback)
            )
        }
        self.leave()
        return results
    }

    mutating func resultsReply() throws(ProtocolError) -> ResultsReply {
        let token = try self.u64("token")
        let job = JobID(try self.u64("job"))
        let code = try self.u8("state")
        guard let state = ResultsReply.State(rawValue: code) else {
            throw self.malformed("unknown results state \(code)")
        }
        let results = try self.jobResults()
        let summary = try self.flag("summary") ? try self.jobSummary() : nil
        return ResultsReply(token: token, job: job, state: state, results: results, summary: summary)
    }

    mutating func jobSummary() throws(ProtocolError) -> JobSummary {
        let job = JobID(try self.u64("job"))
        let succeeded = try self.u32("succeeded")
        let failed = try self.u32("failed")
        let cancelled = try self.u32("cancelled")
        let usage = try self.u64("usage")
        let reason = try self.flag("reason") ? try self.failure() : nil
        return JobSummary(
            job: job,
            succeeded: succeeded,
            failed: failed,
            cancelled: cancelled,
            usage: usage,
            reason: reason
        )
    }

    mutating func cancelReply() throws(ProtocolError) -> CancelReply {
        let token = try self.u64("token")
        let job = JobID(try self.u64("job"))
        let found = try self.bool("found")
        let cancelled = try self.u32("cancelled")
        return CancelReply(token: token, job: job, found: found, cancelled: cancelled)
    }

    mutating func drainReport() throws(ProtocolError) -> DrainReport {
        let token = try self.u64("token")
        let workerCount = try self.count("workers", minimumSize: WireCodec.MinimumSize.drainedWorker)
        var workers: [DrainedWorker] = []
        workers.reserveCapacity(workerCount)
        for index in 0 ..< workerCount {
            self.enter("workers", element: index)
            let worker = try self.name("worker")
            let finished = try self.u32("finished")
            let movedCount = try self.count("moved", minimumSize: WireCodec.MinimumSize.movedSubtask)
            var moved: [MovedSubtask] = []
            moved.reserveCapacity(movedCount)
            for movedIndex in 0 ..< movedCount {
                self.enterNested("moved", element: movedIndex)
                let job = JobID(try self.u64("job"))
                let subtask = SubtaskRef(job: job, index: try self.u32("index"))
                moved.append(MovedSubtask(subtask: subtask, to: try self.name("to")))
            }
            self.leaveNested()
            workers.append(DrainedWorker(worker: worker, finished: finished, moved: moved))
        }
        self.leave()
        return DrainReport(token: token, workers: workers)
    }

    mutating func jobNotice() throws(ProtocolError) -> JobNotice {
        let job = JobID(try self.u64("job"))
        let message = try self.text("message")
        return JobNotice(job: job, message: message)
    }

    mutating func breakerReply() throws(ProtocolError) -> BreakerReply {
        let token = try self.u64("token")
        let ok = try self.bool("ok")
        let message = try self.text("message")
        return BreakerReply(token: token, ok: ok, message: message)
    }

    // MARK: Either direction

    mutating func protocolError() throws(ProtocolError) -> ProtocolError {
        let start = self.offset
        let raw = try self.u8("code")
        guard let code = ProtocolError.Code(rawValue: raw) else {
            throw self.malformed("unknown error code \(raw) at byte \(start)")
        }
        return ProtocolError(code, try self.text("message"))
    }

    // MARK: Shared structures

    /// Reads an attempt; the field names (for error messages) default to `job`, `index`, `attempt`.
    mutating func attemptRef(
        _ jobField: StaticString = "job",
        _ indexField: StaticString = "index",
        _ attemptField: StaticString = "attempt"
    ) throws(ProtocolError) -> AttemptRef {
        let job = JobID(try self.u64(jobField))
        let index = try self.u32(indexField)
        let attempt = try self.u32(attemptField)
        return AttemptRef(subtask: SubtaskRef(job: job, index: index), attempt: attempt)
    }

    /// Reads the optional parent attempt of SUBMIT and of a job-status.
    mutating func optionalParent() throws(ProtocolError) -> AttemptRef? {
        try self.flag("parent") ? try self.attemptRef("parent.job", "parent.index", "parent.attempt") : nil
    }

    /// Reads an array of attempts (CANCEL, CANCELLED).
    mutating func attemptRefs(_ field: StaticString) throws(ProtocolError) -> [AttemptRef] {
        let count = try self.count(field, minimumSize: WireCodec.MinimumSize.attemptRef)
        var attempts: [AttemptRef] = []
        attempts.reserveCapacity(count)
        for index in 0 ..< count {
            self.enter(field, element: index)
            attempts.append(try self.attemptRef())
        }
        self.leave()
        return attempts
    }

    mutating func outcome() throws(ProtocolError) -> Outcome {
        let start = self.offset
        switch try self.u8("outcome tag") {
        case WireCodec.OutcomeTag.success:
            return .success(try self.blob("output"))
        case WireCodec.OutcomeTag.failure:
            return .failure(try self.failure())
        case let tag:
            throw self.malformed("bad outcome tag \(tag) at byte \(start); expected 0 (success) or 1 (failure)")
        }
    }

    mutating func failure() throws(ProtocolError) -> Failure {
        let category = try self.category()
        let message = try self.text("message")
        let retryAfter = try self.optionalDuration("retryAfter")
        let start = self.offset
        let count = Int(try self.u8("cause count"))
        guard count <= Failure.maxCauses else {
            throw self.malformed("\(count) causes at byte \(start); at most \(Failure.maxCauses)")
        }
        var causes: [Failure] = []
        for _ in 0 ..< count {
            let category = try self.category()
            let message = try self.text("cause message")
            causes.append(Failure(category, message, retryAfter: try self.optionalDuration("cause retryAfter")))
        }
        return Failure(category, message, retryAfter: retryAfter, causes: causes)
    }

    /// Reads an error category (`u8`); an unknown value is malformed.
    mutating func category() throws(ProtocolError) -> ErrorCategory {
        let start = self.offset
        let raw = try self.u8("category")
        guard let category = ErrorCategory(rawValue: raw) else {
            throw self.malformed("unknown error category \(raw) at byte \(start)")
        }
        return category
    }
}
