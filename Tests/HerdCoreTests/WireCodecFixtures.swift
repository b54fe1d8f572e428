import Testing

@testable import HerdCore

// MARK: - Fixtures

/// Valid messages with non-trivial values, shared by the codec's test suites.
enum WireCodecFixtures {
    static let attempt = AttemptRef(subtask: SubtaskRef(job: JobID(0x0102_0304_0506_0708), index: 42), attempt: 3)

    static let register = Message.register(
        Registration(
            workerID: "w-münchen-01",
            group: "gpu-🚀",
            node: "host.example",
            capacity: 16,
            kinds: ["echo", "exec:resize", ""],
            holding: [attempt, AttemptRef(subtask: SubtaskRef(job: JobID(1), index: 0), attempt: 1)],
            incarnation: .max
        )
    )

    static let registerEmpty = Message.register(
        Registration(workerID: "w", group: "g", node: "", capacity: 0, kinds: [], holding: [])
    )

    static let results = Message.results([
        SubtaskResult(attempt: attempt, outcome: .success([0, 1, 2, 0xFF]), usage: 1234),
        SubtaskResult(
            attempt: AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 1), attempt: 1),
            outcome: .failure(Failure(.rateLimited, "slow down — 速度", retryAfter: .milliseconds(1500))),
            usage: 0
        ),
        SubtaskResult(
            attempt: AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 2), attempt: 2),
            outcome: .failure(Failure(.timeout, "", retryAfter: nil)),
            usage: .max
        ),
        SubtaskResult(attempt: attempt, outcome: .success([]), usage: 0),
    ])

    static let welcome = Message.welcome(
        Welcome(coordinatorID: "coord-ä1b2", heartbeatInterval: .milliseconds(250), livenessWindow: .seconds(1))
    )

    static let dispatch = Message.dispatch([
        Assignment(attempt: attempt, kind: "echo", payload: Array("hello {index}".utf8), deadline: .seconds(30)),
        Assignment(
            attempt: AttemptRef(subtask: SubtaskRef(job: JobID(9), index: .max), attempt: .max),
            kind: "ünïcode",
            payload: [],
            deadline: nil
        ),
    ])

    static let submitTemplate = Message.submit(
        Submission(
            token: .max,
            group: "default",
            kind: "echo",
            payloads: .template(Array("{\"i\": {index}}".utf8), count: 1_000_000),
            timeout: .milliseconds(2500)
        )
    )

    /// A nested submission: every optional present, a quorum policy.
    static let submitNested = Message.submit(
        Submission(
            token: 3,
            group: "gpu-🚀",
            kind: "llm",
            payloads: .list([Array("prompt ✓".utf8)]),
            timeout: .seconds(60),
            policy: .quorum(2),
            budget: 50_000,
            parent: attempt
        )
    )

    /// Budget of zero and a parent but no timeout; policy `first`.
    static let submitFirst = Message.submit(
        Submission(
            token: 4,
            group: "g",
            kind: "k",
            payloads: .template([], count: 3),
            timeout: nil,
            policy: .first,
            budget: 0,
            parent: AttemptRef(subtask: SubtaskRef(job: JobID(.max), index: .max), attempt: .max)
        )
    )

    /// Fail-fast with a budget and no parent.
    static let submitFailFast = Message.submit(
        Submission(
            token: 5,
            group: "g",
            kind: "k",
            payloads: .list([[0], [1]]),
            timeout: .milliseconds(1),
            policy: .failFast,
            budget: .max
        )
    )

    static let cancelled = Message.cancelled([
        attempt, AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 0), attempt: 1),
    ])

    static let cancel = Message.cancel([
        AttemptRef(subtask: SubtaskRef(job: JobID(.max), index: .max), attempt: .max), attempt,
        AttemptRef(subtask: SubtaskRef(job: JobID(0), index: 0), attempt: 0),
    ])

    /// As a worker sends it: no worker id.
    static let partial = Message.partial(PartialOutput(attempt: attempt, data: Array("tok ✓ ".utf8), usage: 17))

    /// As the coordinator forwards it to the client.
    static let partialForwarded = Message.partial(
        PartialOutput(attempt: attempt, worker: "w-münchen-01", data: [], usage: .max)
    )

    static let cancelJob = Message.cancelJob(CancelJob(token: 8, job: JobID(99), reason: "operator: stop — 停止"))

    static let cancelJobNoReason = Message.cancelJob(CancelJob(token: 0, job: JobID(.max), reason: ""))

    static let cancelReply = Message.cancelReply(CancelReply(token: 8, job: JobID(99), found: true, cancelled: 12))

    static let cancelReplyNotFound = Message.cancelReply(
        CancelReply(token: .max, job: JobID(12345), found: false, cancelled: 0)
    )

    static let submitList = Message.submit(
        Submission(
            token: 17,
            group: "grüppe",
            kind: "exec:wc",
            payloads: .list([[1, 2, 3], [], Array("ℌ𝔢𝔩𝔩𝔬".utf8)]),
            timeout: nil
        )
    )

    static let submitEmptyList = Message.submit(
        Submission(token: 0, group: "g", kind: "k", payloads: .list([]), timeout: nil)
    )

    static let accepted = Message.accepted(Accepted(token: 5, job: JobID(99), subtasks: 1_000_000))

    static let rejected = Message.rejected(
        Rejection(token: 6, failure: Failure(.notFound, "no group named “gpu”", retryAfter: nil))
    )

    static let jobResults = Message.jobResults([
        JobResult(
            subtask: SubtaskRef(job: JobID(99), index: 0),
            attempts: 1,
            worker: "w-1",
            outcome: .success(Array("out".utf8))
        ),
        JobResult(
            subtask: SubtaskRef(job: JobID(99), index: 1),
            attempts: 4,
            worker: "",
            outcome: .failure(Failure(.budgetExhausted, "gave up after 4 attempts", retryAfter: .zero))
        ),
    ])

    static let jobFinished = Message.jobFinished(JobSummary(job: JobID(99), succeeded: 10, failed: 2, cancelled: 1))

    static let jobFinishedWithReason = Message.jobFinished(
        JobSummary(
            job: JobID(100),
            succeeded: 3,
            failed: 0,
            cancelled: 97,
            usage: 1_000_123,
            reason: Failure(.budgetExhausted, "budget of 1000000 units exhausted — 予算", retryAfter: nil)
        )
    )

    static let jobFinishedCancelled = Message.jobFinished(
        JobSummary(
            job: JobID(101),
            succeeded: 0,
            failed: 0,
            cancelled: .max,
            usage: .max,
            reason: Failure(.cancelled, "", retryAfter: .milliseconds(42))
        )
    )

    static let statusReply = Message.statusReply(
        StatusReport(
            token: 77,
            coordinatorID: "coord-1",
            workers: [
                WorkerStatus(
                    id: "w-1",
                    group: "default",
                    node: "n1",
                    state: "live",
                    inFlight: 3,
                    capacity: 8,
                    lastHeard: .milliseconds(120),
                    cancelling: 2,
                    overdue: 1
                ),
                WorkerStatus(
                    id: "w-2",
                    group: "gpu",
                    node: "n2",
                    state: "dead",
                    inFlight: 0,
                    capacity: 1,
                    lastHeard: .seconds(86_400)
                ),
            ],
            groups: [GroupStatus(name: "default", queued: 100, workers: 1, inFlight: 3)],
            jobs: [
                JobStatus(job: JobID(99), group: "default", kind: "echo", total: 13, finished: 13, running: 0),
                JobStatus(
                    job: JobID(100),
                    group: "gpu",
                    kind: "llm",
                    total: .max,
                    finished: 1,
                    running: 2,
                    cancelling: .max,
                    parent: attempt
                ),
            ]
        )
    )

    static let statusReplyEmpty = Message.statusReply(
        StatusReport(token: 0, coordinatorID: "", workers: [], groups: [], jobs: [])
    )

    static let error = Message.error(ProtocolError(.unsupportedVersion, "peer speaks protocol version 7"))

    /// Coordinator → worker, or a worker's own notice after SIGTERM (same layout).
    static let drainWorker = Message.drainWorker(DrainOrder(grace: .seconds(30)))

    static let drainWorkerNoGrace = Message.drainWorker(DrainOrder(grace: .zero))

    static let drainOneWorker = Message.drain(
        DrainRequest(token: .max, target: .worker("w-münchen-01"), grace: .milliseconds(1500))
    )

    static let drainNode = Message.drain(DrainRequest(token: 11, target: .node("host.example"), grace: .seconds(600)))

    static let drainGroup = Message.drain(
        DrainRequest(token: 0, target: .group("gpu-🚀"), grace: .milliseconds(UInt64.max))
    )

    /// An empty target name (a node label may be empty) and no grace.
    static let drainEmptyNode = Message.drain(DrainRequest(token: 12, target: .node(""), grace: .zero))

    /// One worker that only finished work, one that moved subtasks (one re-dispatched, one still queued).
    static let drainReply = Message.drainReply(
        DrainReport(
            token: 11,
            workers: [
                DrainedWorker(worker: "w-1", finished: 3, moved: []),
                DrainedWorker(
                    worker: "w-münchen-01",
                    finished: .max,
                    moved: [
                        MovedSubtask(subtask: SubtaskRef(job: JobID(7), index: 3), to: "w-2"),
                        MovedSubtask(subtask: SubtaskRef(job: JobID(.max), index: .max), to: ""),
                        MovedSubtask(subtask: attempt.subtask, to: "gpu-🚀-w"),
                    ]
                ),
            ]
        )
    )

    /// The answer to a drain that matched no worker.
    static let drainReplyEmpty = Message.drainReply(DrainReport(token: 12, workers: []))

    static let jobNotice = Message.jobNotice(
        JobNotice(job: JobID(99), message: "group “gpu” has no live worker — waiting")
    )

    static let jobNoticeEmpty = Message.jobNotice(JobNotice(job: JobID(.max), message: ""))

    /// An operator forces open the breaker of a worker (perhaps before it has registered).
    static let breakerOpenWorker = Message.breaker(
        BreakerCommand(token: 21, action: .open, path: "gpu-🚀/w-münchen-01")
    )

    static let breakerCloseGroup = Message.breaker(BreakerCommand(token: .max, action: .close, path: "gpu-🚀"))

    static let breakerResetCluster = Message.breaker(BreakerCommand(token: 0, action: .reset, path: "/"))

    /// A malformed path still decodes: the coordinator, not the codec, refuses it (ok = false).
    static let breakerDisableBadPath = Message.breaker(BreakerCommand(token: 22, action: .disable, path: ""))

    static let breakerReply = Message.breakerReply(
        BreakerReply(token: 21, ok: true, message: "gpu-🚀/w-münchen-01: forced-open")
    )

    static let breakerReplyRefused = Message.breakerReply(
        BreakerReply(token: 22, ok: false, message: "bad breaker path '': use /, GROUP or GROUP/WORKER")
    )

    static let breakerReplyEmpty = Message.breakerReply(BreakerReply(token: .max, ok: true, message: ""))

    /// Results served by a fallback group, a retry refused by the budget, and a fail-fast refusal.
    static let jobResultsFallback = Message.jobResults([
        JobResult(
            subtask: SubtaskRef(job: JobID(9), index: 0),
            attempts: 2,
            worker: "cpu-w-1",
            outcome: .success(Array("ok ✓".utf8)),
            fallback: .group("cpu")
        ),
        JobResult(
            subtask: SubtaskRef(job: JobID(9), index: 1),
            attempts: 3,
            worker: "w-münchen-01",
            outcome: .failure(
                Failure(
                    .budgetExhausted,
                    "retry budget exhausted; last attempt failed with timeout: slow — 遅い",
                    causes: [
                        Failure(.rateLimited, "429", retryAfter: .milliseconds(1_500)), Failure(.timeout, "slow — 遅い"),
                    ]
                )
            )
        ),
        JobResult(
            subtask: SubtaskRef(job: JobID(9), index: .max),
            attempts: 0,
            worker: "",
            outcome: .failure(
                Failure(.circuitOpen, "the breaker of group 'gpu-🚀' is open", retryAfter: .seconds(30))
            ),
            fallback: .group("gpu-🚀-spare")
        ),
    ])

    /// Every resilience field set: breakers at each level, a fallback, the retry budget, errors.
    static let statusReplyResilience = Message.statusReply(
        StatusReport(
            token: 78,
            coordinatorID: "coord-2",
            workers: [
                WorkerStatus(
                    id: "w-1",
                    group: "gpu-🚀",
                    node: "n1",
                    state: "live",
                    inFlight: 1,
                    capacity: 4,
                    lastHeard: .milliseconds(80),
                    breaker: "half-open"
                ),
                WorkerStatus(
                    id: "w-2",
                    group: "gpu-🚀",
                    node: "n2",
                    state: "live",
                    inFlight: 0,
                    capacity: 4,
                    lastHeard: .zero,
                    breaker: "closed ramp 25%"
                ),
                WorkerStatus(
                    id: "cpu-w-1",
                    group: "cpu",
                    node: "",
                    state: "dead (silent)",
                    inFlight: 0,
                    capacity: 1,
                    lastHeard: .seconds(3),
                    breaker: ""
                ),
            ],
            groups: [
                GroupStatus(name: "cpu", queued: 0, workers: 0, inFlight: 0, breaker: "disabled"),
                GroupStatus(name: "gpu-🚀", queued: 7, workers: 2, inFlight: 1, breaker: "open", fallback: "cpu"),
            ],
            jobs: [JobStatus(job: JobID(9), group: "gpu-🚀", kind: "llm", total: 3, finished: 1, running: 1)],
            clusterBreaker: "forced-open",
            retryBudget: RetryBudgetStatus(firstAttempts: 1000, retries: 37, available: 173),
            errors: [
                CategoryCount(category: .transient, count: 1),
                CategoryCount(category: .timeout, count: 12),
                CategoryCount(category: .circuitOpen, count: .max),
            ],
            recentCalls: 1049
        )
    )

    /// Extremes of the status fields that are plain numbers; nothing else.
    static let statusReplyBudgetMax = Message.statusReply(
        StatusReport(
            token: .max,
            coordinatorID: "",
            workers: [],
            groups: [],
            jobs: [],
            clusterBreaker: "",
            retryBudget: RetryBudgetStatus(firstAttempts: .max, retries: .max, available: .max),
            errors: [CategoryCount(category: .unknown, count: 0)],
            recentCalls: .max
        )
    )

    /// `herd results 9`, and the answers: unknown, running with results, finished with its summary.
    static let resultsRequest = Message.resultsRequest(ResultsRequest(token: 11, job: JobID(9)))
    static let resultsReplyUnknown = Message.resultsReply(ResultsReply(token: 11, job: JobID(9), state: .unknown))
    static let resultsReplyFinished = Message.resultsReply(
        ResultsReply(
            token: .max,
            job: JobID(.max),
            state: .finished,
            results: [
                JobResult(
                    subtask: SubtaskRef(job: JobID(.max), index: 0),
                    attempts: 1,
                    worker: "w-ü",
                    outcome: .success(Array("ok".utf8)),
                    fallback: .staticValue
                )
            ],
            summary: JobSummary(
                job: JobID(.max),
                succeeded: 1,
                failed: 0,
                cancelled: 0,
                usage: 7,
                reason: Failure(.cancelled, "first: done")
            )
        )
    )

    /// One or more valid messages of every ``Message`` case.
    static let all: [Message] = [
        register, registerEmpty, results, .results([]), .deregister, cancelled, .cancelled([]), partial,
        partialForwarded, welcome, dispatch, .dispatch([]), cancel, .cancel([]), .heartbeat, submitTemplate,
        submitList, submitEmptyList, submitNested, submitFirst, submitFailFast, .statusRequest(token: 0xDEAD_BEEF),
        cancelJob, cancelJobNoReason, accepted, rejected, jobResults, .jobResults([]), jobFinished,
        jobFinishedWithReason, jobFinishedCancelled, statusReply, statusReplyEmpty, cancelReply, cancelReplyNotFound,
        error, drainWorker, drainWorkerNoGrace, drainOneWorker, drainNode, drainGroup, drainEmptyNode, drainReply,
        drainReplyEmpty, jobNotice, jobNoticeEmpty, breakerOpenWorker, breakerCloseGroup, breakerResetCluster,
        breakerDisableBadPath, breakerReply, breakerReplyRefused, breakerReplyEmpty, jobResultsFallback,
        statusReplyResilience, statusReplyBudgetMax, resultsRequest, resultsReplyUnknown, resultsReplyFinished,
        inspectAll, inspectOne, inspectReplyEmpty, inspectReply, healthBad, healthGood,
    ]

    /// Breaker paths of every level, at the limits, and ones only the coordinator refuses.
    static let breakerPaths: [String] = [
        "/", "gpu-🚀", "gpu-🚀/w-münchen-01",
        String(repeating: "g", count: 255) + "/" + String(repeating: "w", count: 255), "", "a/b/c", "/g", "g/",
    ]

    /// Breaker states as the coordinator reports them.
    static let breakerStates = ["closed", "open", "half-open", "closed ramp 10%", "forced-open", "disabled"]

    /// A status of `workers` workers spread over `groups` groups, with every error category.
    static func bigStatusReply(workers: Int, groups: Int) -> Message {
        let groupNames = (0 ..< max(groups, 1)).map { "group-\($0)" }
        return .statusReply(
            StatusReport(
                token: 5,
                coordinatorID: "coord-big",
                workers: (0 ..< workers).map { index in
                    WorkerStatus(
                        id: "w-\(index)",
                        group: groupNames[index % groupNames.count],
                        node: "n\(index % 3)",
                        state: index % 5 == 0 ? "draining" : "live",
                        inFlight: UInt32(index % 4),
                        capacity: 4,
                        lastHeard: .milliseconds(index),
                        cancelling: UInt32(index % 2),
                        overdue: 0,
                        breaker: Self.breakerStates[index % Self.breakerStates.count]
                    )
                },
                groups: (0 ..< groups).map { index in
                    GroupStatus(
                        name: groupNames[index],
                        queued: UInt32(index * 10),
                        workers: UInt32(index),
                        inFlight: UInt32(index),
                        breaker: index % 2 == 0 ? "closed" : "open",
                        fallback: index % 3 == 0 ? "" : groupNames[(index + 1) % groupNames.count]
                    )
                },
                jobs: [],
                clusterBreaker: "closed",
                retryBudget: RetryBudgetStatus(firstAttempts: UInt32(workers * 10), retries: 3, available: 100),
                errors: ErrorCategory.allCases.map { CategoryCount(category: $0, count: UInt32($0.rawValue) * 7) },
                recentCalls: UInt32(workers * 11)
            )
        )
    }

    /// Every drain target kind, with a non-empty and an empty name.
    static let drainTargets: [DrainTarget] = [
        .worker("w-1"), .worker(""), .node("host.example"), .node(""), .group("gpu-🚀"), .group(""),
    ]

    /// A drain report of `workers` workers, worker *i* having moved *i* subtasks.
    static func bigDrainReply(workers: Int) -> Message {
        var drained: [DrainedWorker] = []
        for index in 0 ..< workers {
            var moved: [MovedSubtask] = []
            for subtask in 0 ..< index {
                let ref = SubtaskRef(job: JobID(UInt64(index)), index: UInt32(subtask))
                moved.append(MovedSubtask(subtask: ref, to: subtask % 3 == 0 ? "" : "w-\(subtask)"))
            }
            drained.append(DrainedWorker(worker: "w-\(index)", finished: UInt32(index * 3), moved: moved))
        }
        return .drainReply(DrainReport(token: 1, workers: drained))
    }

    /// Every fan-out policy, with quorum at its bounds.
    static let policies: [FanoutPolicy] = [.all, .failFast, .first, .quorum(1), .quorum(2), .quorum(.max)]

    /// `count` results with varied outcomes, for batch tests.
    static func bigResults(_ count: Int) -> Message {
        .results(
            (0 ..< count).map { index in
                let attempt = AttemptRef(subtask: SubtaskRef(job: JobID(1), index: UInt32(index)), attempt: 1)
                let category = ErrorCategory.allCases[index % ErrorCategory.allCases.count]
                let outcome: Outcome =
                    index % 3 == 0
                    ? .failure(Failure(category, "failure #\(index)", retryAfter: index % 2 == 0 ? nil : .seconds(1)))
                    : .success(Array("result \(index) ✓".utf8))
                return SubtaskResult(attempt: attempt, outcome: outcome, usage: UInt64(index))
            }
        )
    }
}

/// Encodes then decodes `message`, returning the decoded message.
func wireRoundTrip(_ message: Message) throws -> Message {
    try WireCodec.decode(WireCodec.encode(message))
}

/// Parses `"48 44 01 20"` into bytes.
func wireBytes(hex: String) -> [UInt8] {
    hex.split(separator: " ").map { UInt8($0, radix: 16)! }
}
