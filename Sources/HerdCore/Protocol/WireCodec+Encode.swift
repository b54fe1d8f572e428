// The body of each command, written field by field in the order docs/PROTOCOL.md gives.
// WireCodec+Decode.swift reads them back in the same order; keep the two files in step.

// MARK: - Body size

extension WireCodec {
    /// The size of `message`'s body frame (0 for commands without one), used to reserve the
    /// writer's buffer once. Exact, except for free text over ``maxTextBytes``, which the writer cuts.
    static func bodySize(of message: Message) -> Int {
        switch message {
        case .register(let registration):
            var size = Self.nameSize(registration.workerID) + Self.nameSize(registration.group)
            size += Self.nameSize(registration.node) + 4 + 4 + 4 + registration.holding.count * Self.attemptRefSize + 8
            for kind in registration.kinds { size += Self.nameSize(kind) }
            return size
        case .results(let results):
            var size = 4
            for result in results { size += Self.attemptRefSize + Self.outcomeSize(result.outcome) + 8 }
            return size
        case .deregister, .heartbeat:
            return 0
        case .cancelled(let attempts), .cancel(let attempts):
            return 4 + attempts.count * Self.attemptRefSize
        case .partial(let partial):
            return Self.attemptRefSize + Self.nameSize(partial.worker) + 4 + partial.data.count + 8
        case .welcome(let welcome):
            return Self.textSize(welcome.coordinatorID) + 8 + 8
        case .dispatch(let assignments):
            var size = 4
            for assignment in assignments {
                size += Self.attemptRefSize + Self.nameSize(assignment.kind) + 4 + assignment.payload.count
                size += Self.optionalDurationSize(assignment.deadline)
            }
            return size
        case .submit(let submission):
            var size = 8 + Self.nameSize(submission.group) + Self.nameSize(submission.kind) + 1
            switch submission.payloads {
            case .template(let template, _):
                size += 4 + template.count + 4
            case .list(let payloads):
                size += 4 + payloads.count * 4
                for payload in payloads { size += payload.count }
            }
            size += Self.optionalDurationSize(submission.timeout) + Self.policySize(submission.policy)
            size += (submission.budget == nil ? 1 : 1 + 8) + Self.optionalAttemptRefSize(submission.parent)
            return size
        case .statusRequest:
            return 8
        case .cancelJob(let request):
            return 8 + 8 + Self.textSize(request.reason)
        case .accepted:
            return 8 + 8 + 4
        case .rejected(let rejection):
            return 8 + Self.failureSize(rejection.failure)
        case .jobResults(let results):
            var size = 4
            for result in results {
                size += 8 + 4 + 4 + Self.nameSize(result.worker) + Self.outcomeSize(result.outcome)
                size += Self.nameSize(result.fallback?.wireName ?? "")
            }
            return size
        case .jobFinished(let summary):
            return 8 + 4 + 4 + 4 + 8 + (summary.reason.map { 1 + Self.failureSize($0) } ?? 1)
        case .statusReply(let report):
            var size = 8 + Self.textSize(report.coordinatorID) + 4 + 4 + 4
            for worker in report.workers {
                size += Self.nameSize(worker.id) + Self.nameSize(worker.group) + Self.nameSize(worker.node)
                size += Self.textSize(worker.state) + 4 + 4 + 8 + 4 + 4 + Self.textSize(worker.breaker)
            }
            for group in report.groups {
                size += Self.nameSize(group.name) + 4 + 4 + 4
                size += Self.textSize(group.breaker) + Self.nameSize(group.fallback)
            }
            for job in report.jobs {
                size += 8 + Self.nameSize(job.group) + Self.nameSize(job.kind) + 4 + 4 + 4 + 4
                size += Self.optionalAttemptRefSize(job.parent)
            }
            // clusterBreaker, retryBudget (3 × u32), errors (category u8 + count u32 each), recentCalls, journal.
            size += Self.textSize(report.clusterBreaker) + 3 * 4 + 4 + report.errors.count * (1 + 4) + 4
            size += Self.textSize(report.journal)
            return size
        case .cancelReply:
            return 8 + 8 + 1 + 4
        case .drainWorker:
            return 8
        case .drain(let request):
            return 8 + 1 + Self.nameSize(request.target.wireName) + 8
        case .drainReply(let report):
            var size = 8 + 4
            for worker in report.workers {
                size += Self.nameSize(worker.worker) + 4 + 4
                for moved in worker.moved { size += 8 + 4 + Self.nameSize(moved.to) }
            }
            return size
        case .jobNotice(let notice):
            return 8 + Self.textSize(notice.message)
        case .breaker(let command):
            return 8 + 1 + Self.nameSize(command.path)
        case .breakerReply(let reply):
            return 8 + 1 + Self.textSize(reply.message)
        case .resultsRequest:
            return 8 + 8
        case .inspect(let request):
            return 8 + (request.job == nil ? 1 : 9)
        case .health(let report):
            return 1 + Self.textSize(report.reason)
        case .inspectReply(let reply):
            var size = 8 + 4
            for job in reply.jobs {
                size += 8 + Self.nameSize(job.group) + Self.nameSize(job.kind) + 1 + 4 * 4 + 8
                size += Self.optionalDurationSize(job.elapsed) + 1 + (job.reason.map(Self.failureSize) ?? 0) + 4
                for subtask in job.subtasks {
                    size += 4 + 1 + 4 + Self.nameSize(subtask.worker) + Self.optionalDurationSize(subtask.elapsed)
                    size += 1 + (subtask.failure.map(Self.failureSize) ?? 0)
                }
            }
            return size
        case .resultsReply(let reply):
            return 8 + 8 + 1 + Self.bodySize(of: .jobResults(reply.results)) + 1
                + (reply.summary.map { Self.bodySize(of: .jobFinished($0)) } ?? 0)
        case .error(let error):
            return 1 + Self.textSize(error.message)
        }
    }

    /// Job u64 + index u32 + attempt u32.
    static let attemptRefSize = 16

    private static func nameSize(_ name: String) -> Int { 4 + name.utf8.count }

    private static func textSize(_ text: String) -> Int { 4 + min(text.utf8.count, Self.maxTextBytes) }

    private static func optionalDurationSize(_ duration: Duration?) -> Int { duration == nil ? 1 : 9 }

    private static func optionalAttemptRefSize(_ attempt: AttemptRef?) -> Int {
        attempt == nil ? 1 : 1 + Self.attemptRefSize
    }

    private static func policySize(_ policy: FanoutPolicy) -> Int {
        switch policy {
        case .all, .failFast, .first: 1
        case .quorum: 1 + 4
        }
    }

    private static func failureSize(_ failure: Failure) -> Int {
        var size = 1 + Self.textSize(failure.message) + Self.optionalDurationSize(failure.retryAfter) + 1
        for cause in failure.causes.suffix(Failure.maxCauses) {
            size += 1 + Self.textSize(cause.message) + Self.optionalDurationSize(cause.retryAfter)
        }
        return size
    }

    private static func outcomeSize(_ outcome: Outcome) -> Int {
        switch outcome {
        case .success(let bytes): 1 + 4 + bytes.count
        case .failure(let failure): 1 + Self.failureSize(failure)
        }
    }
}

// MARK: - Writing bodies

extension ByteWriter {
    /// Writes the body of `message` (nothing for commands without fields).
    mutating func body(_ message: Message) {
        switch message {
        case .register(let registration):
            self.name(registration.workerID)
            self.name(registration.group)
            self.name(registration.node)
            self.u32(registration.capacity)
            self.count(registration.kinds.count)
            for kind in registration.kinds { self.name(kind) }
            self.count(registration.holding.count)
            for attempt in registration.holding { self.attemptRef(attempt) }
            self.u64(registration.incarnation)
        case .results(let results):
            self.count(results.count)
            for result in results {
                self.attemptRef(result.attempt)
                self.outcome(result.outcome)
                self.u64(result.usage)
            }
        case .deregister, .heartbeat:
            break
        case .cancelled(let attempts), .cancel(let attempts):
            self.count(attempts.count)
            for attempt in attempts { self.attemptRef(attempt) }
        case .partial(let partial):
            self.attemptRef(partial.attempt)
            self.name(partial.worker)
            self.blob(partial.data)
            self.u64(partial.usage)
        case .welcome(let welcome):
            self.text(welcome.coordinatorID)
            self.duration(welcome.heartbeatInterval)
            self.duration(welcome.livenessWindow)
        case .dispatch(let assignments):
            self.count(assignments.count)
            for assignment in assignments {
                self.attemptRef(assignment.attempt)
                self.name(assignment.kind)
                self.blob(assignment.payload)
                self.optionalDuration(assignment.deadline)
            }
        case .submit(let submission):
            self.u64(submission.token)
            self.name(submission.group)
            self.name(submission.kind)
            self.payloadSource(submission.payloads)
            self.optionalDuration(submission.timeout)
            self.policy(submission.policy)
            self.optionalU64(submission.budget)
            self.optionalAttemptRef(submission.parent)
        case .statusRequest(let token):
            self.u64(token)
        case .cancelJob(let request):
            self.u64(request.token)
            self.u64(request.job.rawValue)
            self.text(request.reason)
        case .accepted(let accepted):
            self.u64(accepted.token)
            self.u64(accepted.job.rawValue)
            self.u32(accepted.subtasks)
        case .rejected(let rejection):
            self.u64(rejection.token)
            self.failure(rejection.failure)
        case .jobResults(let results):
            self.count(results.count)
            for result in results {
                self.u64(result.subtask.job.rawValue)
                self.u32(result.subtask.index)
                self.u32(result.attempts)
                self.name(result.worker)
                self.outcome(result.outcome)
                self.name(result.fallback?.wireName ?? "")
            }
        case .jobFinished(let summary):
            self.u64(summary.job.rawValue)
            self.u32(summary.succeeded)
            self.u32(summary.failed)
            self.u32(summary.cancelled)
            self.u64(summary.usage)
            if let reason = summary.reason {
                self.flag(true)
                self.failure(reason)
            } else {
                self.flag(false)
            }
        case .statusReply(let report):
            self.statusReport(report)
        case .cancelReply(let reply):
            self.u64(reply.token)
            self.u64(reply.job.rawValue)
            self.bool(reply.found)
            self.u32(reply.cancelled)
        case .drainWorker(let order):
            self.duration(order.grace)
        case .drain(let request):
            self.u64(request.token)
            self.drainTarget(request.target)
            self.duration(request.grace)
        case .drainReply(let report):
            self.u64(report.token)
            self.count(report.workers.count)
            for worker in report.workers {
                self.name(worker.worker)
                self.u32(worker.finished)
                self.count(worker.moved.count)
                for moved in worker.moved {
                    self.u64(moved.subtask.job.rawValue)
                    self.u32(moved.subtask.index)
                    self.name(moved.to)
                }
            }
        case .jobNotice(let notice):
            self.u64(notice.job.rawValue)
            self.text(notice.message)
        case .breaker(let command):
            self.u64(command.token)
            self.u8(command.action.rawValue)
            // An address, not free text: sent as is, like a name (the receiver enforces its limit).
            self.name(command.path)
        case .breakerReply(let reply):
            self.u64(reply.token)
            self.bool(reply.ok)
            self.text(reply.message)
        case .resultsRequest(let request):
            self.u64(request.token)
            self.u64(request.job.rawValue)
        case .health(let report):
            self.bool(report.healthy)
            self.text(report.reason)
        case .inspect(let request):
            self.u64(request.token)
            self.optionalU64(request.job?.rawValue)
        case .inspectReply(let reply):
            self.u64(reply.token)
            self.count(reply.jobs.count)
            for job in reply.jobs {
                self.u64(job.job.rawValue)
                self.name(job.group)
                self.name(job.kind)
                self.u8(job.state.rawValue)
                self.u32(job.total)
                self.u32(job.succeeded)
                self.u32(job.failed)
                self.u32(job.cancelled)
                self.duration(job.age)
                self.optionalDuration(job.elapsed)
                self.flag(job.reason != nil)
                if let reason = job.reason { self.failure(reason) }
                self.count(job.subtasks.count)
                for subtask in job.subtasks {
                    self.u32(subtask.index)
                    self.u8(subtask.phase.rawValue)
                    self.u32(subtask.attempts)
                    self.name(subtask.worker)
                    self.optionalDuration(subtask.elapsed)
                    self.flag(subtask.failure != nil)
                    if let failure = subtask.failure { self.failure(failure) }
                }
            }
        case .resultsReply(let reply):
            self.u64(reply.token)
            self.u64(reply.job.rawValue)
            self.u8(reply.state.rawValue)
            self.body(.jobResults(reply.results))
            self.flag(reply.summary != nil)
            if let summary = reply.summary { self.body(.jobFinished(summary)) }
        case .error(let error):
            self.u8(error.code.rawValue)
            self.text(error.message)
        }
    }

    private mutating func attemptRef(_ attempt: AttemptRef) {
        self.u64(attempt.subtask.job.rawValue)
        self.u32(attempt.subtask.index)
        self.u32(attempt.attempt)
    }

    private mutating func optionalAttemptRef(_ attempt: AttemptRef?) {
        if let attempt {
            self.flag(true)
            self.attemptRef(attempt)
        } else {
            self.flag(false)
        }
    }

    private mutating func policy(_ policy: FanoutPolicy) {
        switch policy {
        case .all: self.u8(WireCodec.PolicyTag.all)
        case .failFast: self.u8(WireCodec.PolicyTag.failFast)
        case .first: self.u8(WireCodec.PolicyTag.first)
        case .quorum(let k):
            self.u8(WireCodec.PolicyTag.quorum)
            self.u32(k)
        }
    }

    mutating func failure(_ failure: Failure) {
        self.u8(failure.category.rawValue)
        self.text(failure.message)
        self.optionalDuration(failure.retryAfter)
        // The chain is flat and bounded: causes of causes are not sent.
        let causes = failure.causes.suffix(Failure.maxCauses)
        self.u8(UInt8(causes.count))
        for cause in causes {
            self.u8(cause.category.rawValue)
            self.text(cause.message)
            self.optionalDuration(cause.retryAfter)
        }
    }

    private mutating func outcome(_ outcome: Outcome) {
        switch outcome {
        case .success(let bytes):
            self.u8(WireCodec.OutcomeTag.success)
            self.blob(bytes)
        case .failure(let failure):
            self.u8(WireCodec.OutcomeTag.failure)
            self.failure(failure)
        }
    }

    private mutating func drainTarget(_ target: DrainTarget) {
        switch target {
        case .worker: self.u8(WireCodec.DrainTargetTag.worker)
        case .node: self.u8(WireCodec.DrainTargetTag.node)
        case .group: self.u8(WireCodec.DrainTargetTag.group)
        }
        self.name(target.wireName)
    }

    private mutating func payloadSource(_ source: PayloadSource) {
        switch source {
        case .template(let template, let count):
            self.u8(WireCodec.PayloadSourceTag.template)
            self.blob(template)
            self.u32(count)
        case .list(let payloads):
            self.u8(WireCodec.PayloadSourceTag.list)
            self.count(payloads.count)
            for payload in payloads { self.blob(payload) }
        }
    }

    private mutating func statusReport(_ report: StatusReport) {
        self.u64(report.token)
        self.text(report.coordinatorID)
        self.count(report.workers.count)
        for worker in report.workers {
            self.name(worker.id)
            self.name(worker.group)
            self.name(worker.node)
            self.text(worker.state)
            self.u32(worker.inFlight)
            self.u32(worker.capacity)
            self.duration(worker.lastHeard)
            self.u32(worker.cancelling)
            self.u32(worker.overdue)
            self.text(worker.breaker)
        }
        self.count(report.groups.count)
        for group in report.groups {
            self.name(group.name)
            self.u32(group.queued)
            self.u32(group.workers)
            self.u32(group.inFlight)
            self.text(group.breaker)
            self.name(group.fallback)
        }
        self.count(report.jobs.count)
        for job in report.jobs {
            self.u64(job.job.rawValue)
            self.name(job.group)
            self.name(job.kind)
            self.u32(job.total)
            self.u32(job.finished)
            self.u32(job.running)
            self.u32(job.cancelling)
            self.optionalAttemptRef(job.parent)
        }
        self.text(report.clusterBreaker)
        self.u32(report.retryBudget.firstAttempts)
        self.u32(report.retryBudget.retries)
        self.u32(report.retryBudget.available)
        self.count(report.errors.count)
        for entry in report.errors {
            self.u8(entry.category.rawValue)
            self.u32(entry.count)
        }
        self.u32(report.recentCalls)
        self.text(report.journal)
    }
}

// MARK: - Tags

extension WireCodec {
    /// The `u8` tag that opens an ``Outcome`` on the wire.
    enum OutcomeTag {
        static let success: UInt8 = 0
        static let failure: UInt8 = 1
    }

    /// The `u8` tag that opens a ``PayloadSource`` on the wire.
    enum PayloadSourceTag {
        static let template: UInt8 = 0
        static let list: UInt8 = 1
    }

    /// The `u8` tag that opens a ``FanoutPolicy`` on the wire (``PolicyTag/quorum`` is followed by
    /// a `u32` k ≥ 1).
    enum PolicyTag {
        static let all: UInt8 = 0
        static let failFast: UInt8 = 1
        static let first: UInt8 = 2
        static let quorum: UInt8 = 3
    }

    /// The `u8` tag that opens a ``DrainTarget`` on the wire (always followed by a name).
    enum DrainTargetTag {
        static let worker: UInt8 = 0
        static let node: UInt8 = 1
        static let group: UInt8 = 2
    }
}

extension DrainTarget {
    /// The worker id, node label or group name: the name that follows the tag on the wire.
    fileprivate var wireName: String {
        switch self {
        case .worker(let name), .node(let name), .group(let name): name
        }
    }
}
