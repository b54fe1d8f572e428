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
            holding: [attempt, AttemptRef(subtask: SubtaskRef(job: JobID(1), index: 0), attempt: 1)]
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
            fallback: "cpu"
        ),
        JobResult(
            subtask: SubtaskRef(job: JobID(9), index: 1),
            attempts: 3,
            worker: "w-münchen-01",
            outcome: .failure(
                Failure(
                    .budgetExhausted, "retry budget exhausted; last attempt failed with timeout: slow — 遅い",
                    causes: [Failure(.rateLimited, "429", retryAfter: .milliseconds(1_500)), Failure(.timeout, "slow — 遅い")]
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
            fallback: "gpu-🚀-spare"
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
        statusReplyResilience, statusReplyBudgetMax,
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
        let groupNames = (0..<max(groups, 1)).map { "group-\($0)" }
        return .statusReply(
            StatusReport(
                token: 5,
                coordinatorID: "coord-big",
                workers: (0..<workers).map { index in
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
                groups: (0..<groups).map { index in
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
        for index in 0..<workers {
            var moved: [MovedSubtask] = []
            for subtask in 0..<index {
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
            (0..<count).map { index in
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

// MARK: - Round trips

@Suite struct WireCodecTests {
    @Test(arguments: WireCodecFixtures.all)
    func test_roundTrip_everyCase_decodesToTheSameMessage(_ message: Message) throws {
        let frames = WireCodec.encode(message)
        #expect(try WireCodec.decode(frames) == message)
        #expect(frames[0] == [0x48, 0x44, herdProtocolVersion, WireCodec.Command(message).rawValue])
        #expect(frames.reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
    }

    @Test func test_roundTrip_everyCommand_isCovered() {
        let covered = Set(WireCodecFixtures.all.map(WireCodec.Command.init))
        #expect(covered == Set(WireCodec.Command.allCases))
    }

    @Test(arguments: ErrorCategory.allCases)
    func test_roundTrip_everyErrorCategory_survives(_ category: ErrorCategory) throws {
        let failure = Failure(category, "category \(category)", retryAfter: .milliseconds(UInt64(category.rawValue)))
        let rejected = Message.rejected(Rejection(token: 1, failure: failure))
        #expect(try wireRoundTrip(rejected) == rejected)
        let results = Message.results([
            SubtaskResult(attempt: WireCodecFixtures.attempt, outcome: .failure(failure), usage: 1)
        ])
        #expect(try wireRoundTrip(results) == results)
        let finished = Message.jobFinished(
            JobSummary(job: JobID(1), succeeded: 0, failed: 1, cancelled: 0, usage: 5, reason: failure)
        )
        #expect(try wireRoundTrip(finished) == finished)
        let status = Message.statusReply(
            StatusReport(
                token: 1, coordinatorID: "c", workers: [], groups: [], jobs: [],
                errors: [CategoryCount(category: category, count: UInt32(category.rawValue))], recentCalls: 3
            )
        )
        #expect(try wireRoundTrip(status) == status)
        let result = Message.jobResults([
            JobResult(
                subtask: SubtaskRef(job: JobID(1), index: 0), attempts: 1, worker: "w", outcome: .failure(failure)
            )
        ])
        #expect(try wireRoundTrip(result) == result)
    }

    // MARK: Fan-out policies, budgets, nested jobs

    @Test(arguments: WireCodecFixtures.policies, [nil, 0, 1, 1_000_000, .max] as [UInt64?])
    func test_roundTrip_everyPolicyAndBudget_withAndWithoutParent_survives(
        _ policy: FanoutPolicy,
        _ budget: UInt64?
    ) throws {
        for parent in [nil, WireCodecFixtures.attempt] as [AttemptRef?] {
            let message = Message.submit(
                Submission(
                    token: 1,
                    group: "g",
                    kind: "k",
                    payloads: .template(Array("{index}".utf8), count: 2),
                    timeout: .seconds(5),
                    policy: policy,
                    budget: budget,
                    parent: parent
                )
            )
            #expect(try wireRoundTrip(message) == message)
            #expect(WireCodec.encode(message).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
        }
    }

    /// The tail of a SUBMIT body after the timeout: policy, budget, parent.
    @Test func test_encode_policyBudgetAndParent_areTheDocumentedBytes() {
        func tail(_ policy: FanoutPolicy, budget: UInt64? = nil, parent: AttemptRef? = nil) -> [UInt8] {
            let submission = Submission(
                token: 0, group: "", kind: "", payloads: .list([]), timeout: nil, policy: policy, budget: budget,
                parent: parent
            )
            // token 8 + group 4 + kind 4 + list tag 1 + count 4 + absent timeout 1
            return Array(wireBody(.submit(submission)).dropFirst(22))
        }
        #expect(tail(.all) == [0x00, 0x00, 0x00])
        #expect(tail(.failFast) == [0x01, 0x00, 0x00])
        #expect(tail(.first) == [0x02, 0x00, 0x00])
        #expect(tail(.quorum(1)) == [0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])
        #expect(tail(.quorum(0x0102_0304)) == [0x03, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00])
        #expect(tail(.all, budget: 0x0201) == [0x00, 0x01, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x00])
        let parent = AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 3), attempt: 1)
        #expect(
            tail(.all, parent: parent)
                == [0x00, 0x00, 0x01] + wireBytes(hex: "07 00 00 00 00 00 00 00 03 00 00 00 01 00 00 00")
        )
    }

    @Test func test_submission_defaults_areAllNoBudgetNoParent() throws {
        let message = Message.submit(Submission(token: 1, group: "g", kind: "k", payloads: .list([[1]])))
        guard case .submit(let decoded) = try wireRoundTrip(message) else {
            Issue.record("not a submit")
            return
        }
        #expect(decoded.policy == .all)
        #expect(decoded.budget == nil)
        #expect(decoded.parent == nil)
    }

    @Test func test_roundTrip_batchOf1000CancelsAndConfirmations_survives() throws {
        let attempts = (0..<1000).map { index in
            AttemptRef(
                subtask: SubtaskRef(job: JobID(UInt64(index % 3)), index: UInt32(index)),
                attempt: UInt32(index % 5)
            )
        }
        for message in [Message.cancel(attempts), .cancelled(attempts)] {
            #expect(try wireRoundTrip(message) == message)
            #expect(WireCodec.encodedSize(of: message) == 4 + 4 + 1000 * 16)
        }
    }

    @Test(arguments: [ProtocolError.Code.malformed, .unsupportedVersion, .tooLarge, .unknownPeer, .unexpected])
    func test_roundTrip_everyProtocolErrorCode_survives(_ code: ProtocolError.Code) throws {
        let message = Message.error(ProtocolError(code, "code \(code) ✗"))
        #expect(try wireRoundTrip(message) == message)
    }

    @Test func test_roundTrip_batchOf1000Results_survives() throws {
        let message = WireCodecFixtures.bigResults(1000)
        #expect(try wireRoundTrip(message) == message)
    }

    @Test func test_roundTrip_batchOf1000AssignmentsAndJobResults_survives() throws {
        let dispatch = Message.dispatch(
            (0..<1000).map { index in
                Assignment(
                    attempt: AttemptRef(subtask: SubtaskRef(job: JobID(2), index: UInt32(index)), attempt: 1),
                    kind: "echo",
                    payload: Array("payload \(index)".utf8),
                    deadline: index % 2 == 0 ? nil : .milliseconds(index)
                )
            }
        )
        #expect(try wireRoundTrip(dispatch) == dispatch)
        let jobResults = Message.jobResults(
            (0..<1000).map { index in
                JobResult(
                    subtask: SubtaskRef(job: JobID(2), index: UInt32(index)),
                    attempts: 1,
                    worker: "w-\(index % 7)",
                    outcome: .success([UInt8(truncatingIfNeeded: index)])
                )
            }
        )
        #expect(try wireRoundTrip(jobResults) == jobResults)
    }

    @Test func test_encode_commandsWithoutFields_haveNoBodyFrame() {
        #expect(WireCodec.encode(.heartbeat) == [[0x48, 0x44, herdProtocolVersion, 0x20]])
        #expect(WireCodec.encode(.deregister) == [[0x48, 0x44, herdProtocolVersion, 0x03]])
    }

    @Test func test_decode_commandsWithoutFields_acceptAnEmptyBodyFrame() throws {
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x20], []]) == .heartbeat)
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x03], []]) == .deregister)
    }

    /// The worked example of docs/PROTOCOL.md, byte for byte.
    @Test func test_encode_smallDispatch_matchesTheDocumentedBytes() throws {
        let message = Message.dispatch([
            Assignment(
                attempt: AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 3), attempt: 1),
                kind: "echo",
                payload: Array("hi".utf8),
                deadline: .seconds(30)
            )
        ])
        let body = wireBytes(
            hex: "01 00 00 00 07 00 00 00 00 00 00 00 03 00 00 00 01 00 00 00 04 00 00 00 65 63 68 6f "
                + "02 00 00 00 68 69 01 30 75 00 00 00 00 00 00"
        )
        #expect(WireCodec.encode(message) == [[0x48, 0x44, herdProtocolVersion, 0x11], body])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x11], body]) == message)
    }

    /// The worked examples of docs/PROTOCOL.md §11.3 and §11.4, byte for byte.
    @Test func test_encode_documentedResultsAndRegister_matchTheDocumentedBytes() throws {
        let attempt = AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 3), attempt: 1)
        let results = Message.results([SubtaskResult(attempt: attempt, outcome: .success(Array("HI".utf8)), usage: 2)])
        let resultsBody = wireBytes(
            hex: "01 00 00 00 07 00 00 00 00 00 00 00 03 00 00 00 01 00 00 00 00 02 00 00 00 48 49 "
                + "02 00 00 00 00 00 00 00"
        )
        #expect(resultsBody.count == 35)
        #expect(WireCodec.encode(results) == [[0x48, 0x44, herdProtocolVersion, 0x02], resultsBody])

        let failed = Message.results([
            SubtaskResult(
                attempt: attempt,
                outcome: .failure(Failure(.rateLimited, "slow", retryAfter: .milliseconds(1500))),
                usage: 2
            )
        ])
        let outcome = wireBytes(hex: "01 02 04 00 00 00 73 6c 6f 77 01 dc 05 00 00 00 00 00 00 00")
        #expect(WireCodec.encode(failed)[1] == Array(resultsBody[..<20]) + outcome + Array(resultsBody[27...]))

        let register = Message.register(
            Registration(workerID: "w-1", group: "g", node: "n", capacity: 4, kinds: ["echo"], holding: [])
        )
        let registerBody = wireBytes(
            hex: "03 00 00 00 77 2d 31 01 00 00 00 67 01 00 00 00 6e 04 00 00 00 01 00 00 00 "
                + "04 00 00 00 65 63 68 6f 00 00 00 00"
        )
        #expect(registerBody.count == 37)
        #expect(WireCodec.encode(register) == [[0x48, 0x44, herdProtocolVersion, 0x01], registerBody])
    }

    /// The worked examples of docs/PROTOCOL.md §11.5 to §11.8, byte for byte.
    @Test func test_encode_documentedCancellationExamples_matchTheDocumentedBytes() throws {
        let attempt = AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 3), attempt: 1)
        let attemptBytes = wireBytes(hex: "07 00 00 00 00 00 00 00 03 00 00 00 01 00 00 00")

        // §11.5 CANCEL and the CANCELLED that confirms it.
        let cancelBody = wireBytes(hex: "01 00 00 00") + attemptBytes
        #expect(cancelBody.count == 20)
        #expect(WireCodec.encode(.cancel([attempt])) == [[0x48, 0x44, herdProtocolVersion, 0x12], cancelBody])
        #expect(WireCodec.encode(.cancelled([attempt])) == [[0x48, 0x44, herdProtocolVersion, 0x04], cancelBody])

        // §11.6 PARTIAL, from the worker and as forwarded to the client.
        let fromWorker = Message.partial(PartialOutput(attempt: attempt, data: Array("He".utf8), usage: 1))
        let partialBody = attemptBytes + wireBytes(hex: "00 00 00 00 02 00 00 00 48 65 01 00 00 00 00 00 00 00")
        #expect(partialBody.count == 34)
        #expect(WireCodec.encode(fromWorker) == [[0x48, 0x44, herdProtocolVersion, 0x05], partialBody])
        let forwarded = Message.partial(
            PartialOutput(attempt: attempt, worker: "w-1", data: Array("He".utf8), usage: 1)
        )
        let forwardedBody =
            attemptBytes + wireBytes(hex: "03 00 00 00 77 2d 31 02 00 00 00 48 65 01 00 00 00 00 00 00 00")
        #expect(WireCodec.encode(forwarded) == [[0x48, 0x44, herdProtocolVersion, 0x05], forwardedBody])

        // §11.7 A nested SUBMIT: quorum 2, budget 1000, parent j7/3#1.
        let submit = Message.submit(
            Submission(
                token: 1,
                group: "g",
                kind: "echo",
                payloads: .template(Array("hi".utf8), count: 3),
                timeout: nil,
                policy: .quorum(2),
                budget: 1000,
                parent: attempt
            )
        )
        let submitBody =
            wireBytes(
                hex: "01 00 00 00 00 00 00 00 01 00 00 00 67 04 00 00 00 65 63 68 6f "
                    + "00 02 00 00 00 68 69 03 00 00 00 00 03 02 00 00 00 01 e8 03 00 00 00 00 00 00 01"
            ) + attemptBytes
        #expect(submitBody.count == 64)
        #expect(WireCodec.encode(submit) == [[0x48, 0x44, herdProtocolVersion, 0x30], submitBody])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x30], submitBody]) == submit)

        // §11.8 CANCEL-JOB, CANCEL-REPLY and the JOB-FINISHED of a cancelled job.
        let cancelJob = Message.cancelJob(CancelJob(token: 2, job: JobID(8), reason: "stop"))
        let cancelJobBody = wireBytes(
            hex: "02 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00 04 00 00 00 73 74 6f 70"
        )
        #expect(WireCodec.encode(cancelJob) == [[0x48, 0x44, herdProtocolVersion, 0x32], cancelJobBody])
        let reply = Message.cancelReply(CancelReply(token: 2, job: JobID(8), found: true, cancelled: 5))
        let replyBody = wireBytes(hex: "02 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00 01 05 00 00 00")
        #expect(replyBody.count == 21)
        #expect(WireCodec.encode(reply) == [[0x48, 0x44, herdProtocolVersion, 0x45], replyBody])
        let finished = Message.jobFinished(
            JobSummary(
                job: JobID(8),
                succeeded: 1,
                failed: 0,
                cancelled: 5,
                usage: 300,
                reason: Failure(.cancelled, "stop", retryAfter: nil)
            )
        )
        let finishedBody = wireBytes(
            hex: "08 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 05 00 00 00 2c 01 00 00 00 00 00 00 "
                + "01 09 04 00 00 00 73 74 6f 70 00 00"
        )
        #expect(finishedBody.count == 40)
        #expect(WireCodec.encode(finished) == [[0x48, 0x44, herdProtocolVersion, 0x43], finishedBody])
        let plain = Message.jobFinished(JobSummary(job: JobID(8), succeeded: 6, failed: 0, cancelled: 0, usage: 0))
        #expect(wireBody(plain).count == 29)
        #expect(wireBody(plain).last == 0x00)
    }

    @Test func test_encode_commandCodes_areTheDocumentedOnes() {
        let codes = Dictionary(uniqueKeysWithValues: WireCodec.Command.allCases.map { ($0.description, $0.rawValue) })
        #expect(
            codes == [
                "REGISTER": 0x01, "RESULTS": 0x02, "DEREGISTER": 0x03, "CANCELLED": 0x04, "PARTIAL": 0x05,
                "WELCOME": 0x10, "DISPATCH": 0x11, "CANCEL": 0x12, "HEARTBEAT": 0x20, "SUBMIT": 0x30, "STATUS": 0x31,
                "CANCEL-JOB": 0x32, "ACCEPTED": 0x40, "REJECTED": 0x41, "JOB-RESULTS": 0x42, "JOB-FINISHED": 0x43,
                "STATUS-REPLY": 0x44, "CANCEL-REPLY": 0x45, "ERROR": 0x7F, "DRAIN": 0x14, "DRAIN-REQUEST": 0x33,
                "DRAIN-REPLY": 0x46, "JOB-NOTICE": 0x47, "BREAKER": 0x34, "BREAKER-REPLY": 0x48,
            ]
        )
        // Only 0x13 stays reserved; revision 3 assigned 0x14 and 0x33 to the drain commands.
        #expect(WireCodec.Command.isReserved(0x13))
        #expect(WireCodec.Command(rawValue: 0x13) == nil)
        #expect((0...UInt8.max).filter(WireCodec.Command.isReserved) == [0x13])
        for command in WireCodec.Command.allCases {
            #expect(!WireCodec.Command.isReserved(command.rawValue))
        }
        // DRAIN is the drainWorker case, in both directions; DRAIN-REQUEST is the client's drain.
        #expect(WireCodec.Command(WireCodecFixtures.drainWorker) == .drainWorker)
        #expect(WireCodec.Command.drainWorker.rawValue == 0x14)
        #expect(WireCodec.Command(WireCodecFixtures.drainNode) == .drain)
        #expect(WireCodec.Command.drain.rawValue == 0x33)
        #expect(WireCodec.Command(WireCodecFixtures.drainReply).description == "DRAIN-REPLY")
        #expect(WireCodec.Command(WireCodecFixtures.jobNotice).description == "JOB-NOTICE")
        #expect("\(WireCodec.Command.drainWorker.label)" == "drainWorker")
        #expect("\(WireCodec.Command.drain.label)" == "drain")
        #expect("\(WireCodec.Command.drainReply.label)" == "drainReply")
        #expect("\(WireCodec.Command.jobNotice.label)" == "jobNotice")
        #expect(WireCodec.Command(WireCodecFixtures.breakerOpenWorker) == .breaker)
        #expect(WireCodec.Command(WireCodecFixtures.breakerReply) == .breakerReply)
        #expect("\(WireCodec.Command.breaker.label)" == "breaker")
        #expect("\(WireCodec.Command.breakerReply.label)" == "breakerReply")
    }

    /// The count check rejects counts the remaining bytes cannot hold; an overestimated minimum
    /// would reject valid messages, so each must equal the smallest real encoding.
    @Test func test_minimumSizes_equalTheSmallestEncodings() {
        let attempt = WireCodecFixtures.attempt
        func bodySize(_ message: Message, less header: Int) -> Int { wireBody(message).count - header }
        typealias Size = WireCodec.MinimumSize
        let result = SubtaskResult(attempt: attempt, outcome: .success([]))
        #expect(bodySize(.results([result]), less: 4) == Size.subtaskResult)
        #expect(
            bodySize(.dispatch([Assignment(attempt: attempt, kind: "", payload: [], deadline: nil)]), less: 4)
                == Size.assignment
        )
        let jobResult = JobResult(subtask: attempt.subtask, attempts: 0, worker: "", outcome: .success([]))
        #expect(bodySize(.jobResults([jobResult]), less: 4) == Size.jobResult)
        let worker = WorkerStatus(
            id: "", group: "", node: "", state: "", inFlight: 0, capacity: 0, lastHeard: .zero, breaker: ""
        )
        let group = GroupStatus(name: "", queued: 0, workers: 0, inFlight: 0, breaker: "", fallback: "")
        let job = JobStatus(job: JobID(0), group: "", kind: "", total: 0, finished: 0, running: 0)
        let empty = wireBody(.statusReply(StatusReport(token: 0, coordinatorID: "", workers: [], groups: [], jobs: [])))
        let report = StatusReport(token: 0, coordinatorID: "", workers: [worker], groups: [group], jobs: [job])
        #expect(
            wireBody(.statusReply(report)).count - empty.count == Size.workerStatus + Size.groupStatus + Size.jobStatus
        )
        let oneError = StatusReport(
            token: 0, coordinatorID: "", workers: [], groups: [], jobs: [],
            errors: [CategoryCount(category: .transient, count: 0)]
        )
        #expect(wireBody(.statusReply(oneError)).count - empty.count == Size.categoryCount)
        // The smallest STATUS-REPLY: token, "", three empty arrays, "" cluster breaker, budget, no errors, calls.
        let smallest = StatusReport(token: 0, coordinatorID: "", workers: [], groups: [], jobs: [], clusterBreaker: "")
        #expect(wireBody(.statusReply(smallest)).count == 8 + 4 + 3 * 4 + 4 + 3 * 4 + 4 + 4)
        #expect(WireCodec.attemptRefSize == Size.attemptRef)
        #expect(bodySize(.cancel([attempt]), less: 4) == Size.attemptRef)
        #expect(bodySize(.cancelled([attempt]), less: 4) == Size.attemptRef)
        // DRAIN-REPLY: token u64 + workers count, then each worker; a moved subtask inside one.
        let bare = DrainedWorker(worker: "", finished: 0, moved: [])
        #expect(bodySize(.drainReply(DrainReport(token: 0, workers: [bare])), less: 8 + 4) == Size.drainedWorker)
        let moved = DrainedWorker(worker: "", finished: 0, moved: [MovedSubtask(subtask: attempt.subtask, to: "")])
        #expect(
            bodySize(.drainReply(DrainReport(token: 0, workers: [moved])), less: 8 + 4 + Size.drainedWorker)
                == Size.movedSubtask
        )
    }

    // MARK: Drain and job notices

    @Test(
        arguments: WireCodecFixtures.drainTargets,
        [.zero, .milliseconds(1), .seconds(30), .milliseconds(UInt64.max)] as [Duration]
    )
    func test_roundTrip_everyDrainTargetAndGrace_survives(_ target: DrainTarget, _ grace: Duration) throws {
        let request = Message.drain(DrainRequest(token: 7, target: target, grace: grace))
        #expect(try wireRoundTrip(request) == request)
        #expect(WireCodec.encode(request).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: request))
        let order = Message.drainWorker(DrainOrder(grace: grace))
        #expect(try wireRoundTrip(order) == order)
        #expect(WireCodec.encodedSize(of: order) == 4 + 8)
    }

    /// The tag that follows the token, then the name: worker 0, node 1, group 2.
    @Test func test_encode_drainTargets_areTheDocumentedBytes() {
        func target(_ target: DrainTarget) -> [UInt8] {
            Array(wireBody(.drain(DrainRequest(token: 0, target: target, grace: .zero))).dropFirst(8).dropLast(8))
        }
        #expect(target(.worker("w")) == [0x00, 0x01, 0x00, 0x00, 0x00, 0x77])
        #expect(target(.node("n")) == [0x01, 0x01, 0x00, 0x00, 0x00, 0x6E])
        #expect(target(.group("")) == [0x02, 0x00, 0x00, 0x00, 0x00])
    }

    @Test(arguments: [0, 1, 2, 50])
    func test_roundTrip_drainReplyOfManyWorkers_survivesWithAnExactSize(_ workers: Int) throws {
        let message = WireCodecFixtures.bigDrainReply(workers: workers)
        #expect(try wireRoundTrip(message) == message)
        #expect(WireCodec.encode(message).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
    }

    @Test func test_roundTrip_drainNamesOf255Bytes_areAccepted() throws {
        let name = String(repeating: "n", count: 255)
        for target in [DrainTarget.worker(name), .node(name), .group(name)] {
            let message = Message.drain(DrainRequest(token: 1, target: target, grace: .seconds(1)))
            #expect(try wireRoundTrip(message) == message)
        }
        let reply = Message.drainReply(
            DrainReport(
                token: 1,
                workers: [
                    DrainedWorker(
                        worker: name,
                        finished: 1,
                        moved: [MovedSubtask(subtask: WireCodecFixtures.attempt.subtask, to: name)]
                    )
                ]
            )
        )
        #expect(try wireRoundTrip(reply) == reply)
    }

    @Test func test_encode_jobNoticeOver1MiB_isCutAtAScalarBoundary() throws {
        let long = String(repeating: "€", count: (WireCodec.maxTextBytes / 3) + 10)
        let message = Message.jobNotice(JobNotice(job: JobID(3), message: long))
        guard case .jobNotice(let decoded) = try wireRoundTrip(message) else {
            Issue.record("not a jobNotice")
            return
        }
        #expect(decoded.job == JobID(3))
        #expect(decoded.message.utf8.count <= WireCodec.maxTextBytes)
        #expect(decoded.message.utf8.count > WireCodec.maxTextBytes - 3)
        #expect(long.hasPrefix(decoded.message))
        #expect(WireCodec.encodedSize(of: message) >= WireCodec.encode(message).reduce(0) { $0 + $1.count })
    }

    /// The worked examples of docs/PROTOCOL.md §11.9 and §11.10, byte for byte.
    @Test func test_encode_documentedDrainExamples_matchTheDocumentedBytes() throws {
        // DRAIN-REQUEST: token 3, node "n1", grace 30 s.
        let request = Message.drain(DrainRequest(token: 3, target: .node("n1"), grace: .seconds(30)))
        let requestBody = wireBytes(hex: "03 00 00 00 00 00 00 00 01 02 00 00 00 6e 31 30 75 00 00 00 00 00 00")
        #expect(requestBody.count == 23)
        #expect(WireCodec.encode(request) == [[0x48, 0x44, herdProtocolVersion, 0x33], requestBody])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x33], requestBody]) == request)

        // DRAIN: the same body both ways, coordinator → worker and a worker's own after SIGTERM.
        let order = Message.drainWorker(DrainOrder(grace: .seconds(30)))
        #expect(WireCodec.encode(order) == [[0x48, 0x44, herdProtocolVersion, 0x14], wireBytes(hex: "30 75 00 00 00 00 00 00")])

        // DRAIN-REPLY: w-1 finished 2 subtasks; j7/3 moved to w-2, j7/4 still queued.
        let reply = Message.drainReply(
            DrainReport(
                token: 3,
                workers: [
                    DrainedWorker(
                        worker: "w-1",
                        finished: 2,
                        moved: [
                            MovedSubtask(subtask: SubtaskRef(job: JobID(7), index: 3), to: "w-2"),
                            MovedSubtask(subtask: SubtaskRef(job: JobID(7), index: 4), to: ""),
                        ]
                    )
                ]
            )
        )
        let replyBody = wireBytes(
            hex: "03 00 00 00 00 00 00 00 01 00 00 00 03 00 00 00 77 2d 31 02 00 00 00 02 00 00 00 "
                + "07 00 00 00 00 00 00 00 03 00 00 00 03 00 00 00 77 2d 32 "
                + "07 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00"
        )
        #expect(replyBody.count == 62)
        #expect(WireCodec.encode(reply) == [[0x48, 0x44, herdProtocolVersion, 0x46], replyBody])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x46], replyBody]) == reply)
        // A drain that matched no worker.
        let empty = wireBody(.drainReply(DrainReport(token: 3, workers: [])))
        #expect(empty == wireBytes(hex: "03 00 00 00 00 00 00 00 00 00 00 00"))

        // §11.10 JOB-NOTICE: job 7 waits because its group has no live worker.
        let notice = Message.jobNotice(JobNotice(job: JobID(7), message: "no live worker in group g"))
        let noticeBody =
            wireBytes(hex: "07 00 00 00 00 00 00 00 19 00 00 00") + Array("no live worker in group g".utf8)
        #expect(noticeBody.count == 37)
        #expect(WireCodec.encode(notice) == [[0x48, 0x44, herdProtocolVersion, 0x47], noticeBody])
    }

    // MARK: Breakers, fallbacks and resilience status

    @Test(arguments: BreakerCommand.Action.allCases, WireCodecFixtures.breakerPaths)
    func test_roundTrip_everyBreakerActionAndPath_survives(_ action: BreakerCommand.Action, _ path: String) throws {
        let command = Message.breaker(BreakerCommand(token: 9, action: action, path: path))
        #expect(try wireRoundTrip(command) == command)
        #expect(WireCodec.encode(command).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: command))
        #expect(wireBody(command)[8] == action.rawValue)
        for ok in [true, false] {
            let reply = Message.breakerReply(BreakerReply(token: 9, ok: ok, message: "\(path): \(action)"))
            #expect(try wireRoundTrip(reply) == reply)
            #expect(WireCodec.encode(reply).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: reply))
        }
    }

    /// The action follows the token: open 0, close 1, reset 2, disable 3; then the path, as is.
    @Test func test_encode_breakerActions_areTheDocumentedBytes() {
        func tail(_ action: BreakerCommand.Action) -> [UInt8] {
            Array(wireBody(.breaker(BreakerCommand(token: 0, action: action, path: "g"))).dropFirst(8))
        }
        #expect(tail(.open) == [0x00, 0x01, 0x00, 0x00, 0x00, 0x67])
        #expect(tail(.close) == [0x01, 0x01, 0x00, 0x00, 0x00, 0x67])
        #expect(tail(.reset) == [0x02, 0x01, 0x00, 0x00, 0x00, 0x67])
        #expect(tail(.disable) == [0x03, 0x01, 0x00, 0x00, 0x00, 0x67])
        #expect(BreakerCommand.Action.allCases.map(\.rawValue) == [0, 1, 2, 3])
    }

    @Test func test_roundTrip_breakerPathOf511Bytes_isAccepted() throws {
        #expect(WireCodec.maxBreakerPathBytes == 511)
        let path = String(repeating: "g", count: 255) + "/" + String(repeating: "w", count: 255)
        #expect(path.utf8.count == 511)
        let message = Message.breaker(BreakerCommand(token: 1, action: .open, path: path))
        #expect(try wireRoundTrip(message) == message)
        #expect(WireCodec.encodedSize(of: message) == 4 + 8 + 1 + 4 + 511)
    }

    /// A breaker path is an address, not free text: it is sent as is, never cut, whatever its length.
    @Test func test_encode_longBreakerPath_isSentAsIs() {
        let path = String(repeating: "é", count: WireCodec.maxTextBytes)  // 2 MiB of UTF-8
        let message = Message.breaker(BreakerCommand(token: 1, action: .close, path: path))
        let body = wireBody(message)
        #expect(body.count == 8 + 1 + 4 + 2 * WireCodec.maxTextBytes)
        #expect(WireCodec.encodedSize(of: message) == 4 + body.count)
    }

    @Test func test_encode_breakerReplyOver1MiB_isCutAtAScalarBoundary() throws {
        let long = String(repeating: "€", count: (WireCodec.maxTextBytes / 3) + 10)
        let message = Message.breakerReply(BreakerReply(token: 3, ok: true, message: long))
        guard case .breakerReply(let decoded) = try wireRoundTrip(message) else {
            Issue.record("not a breakerReply")
            return
        }
        #expect(decoded.token == 3)
        #expect(decoded.ok)
        #expect(decoded.message.utf8.count <= WireCodec.maxTextBytes)
        #expect(decoded.message.utf8.count > WireCodec.maxTextBytes - 3)
        #expect(long.hasPrefix(decoded.message))
        #expect(WireCodec.encodedSize(of: message) >= WireCodec.encode(message).reduce(0) { $0 + $1.count })
    }

    /// The fallback follows the outcome, in every entry.
    @Test func test_encode_jobResultFallback_followsTheOutcome() throws {
        let result = JobResult(
            subtask: SubtaskRef(job: JobID(7), index: 3),
            attempts: 2,
            worker: "w",
            outcome: .success([]),
            fallback: "cpu"
        )
        let body = wireBody(.jobResults([result]))
        // count 4, job 8, index 4, attempts 4, "w" 5, success tag + empty output 5, then "cpu".
        #expect(body.count == 4 + 8 + 4 + 4 + 5 + 5 + 7)
        #expect(Array(body.suffix(7)) == [0x03, 0x00, 0x00, 0x00, 0x63, 0x70, 0x75])
        // Without a fallback the entry ends in an empty name.
        var none = result
        none.fallback = ""
        #expect(Array(wireBody(.jobResults([none])).suffix(4)) == [0x00, 0x00, 0x00, 0x00])
        #expect(try wireRoundTrip(.jobResults([result, none])) == .jobResults([result, none]))
    }

    /// The resilience fields of STATUS-REPLY come after the jobs, in this order.
    @Test func test_encode_statusResilienceFields_areTheDocumentedBytes() {
        let report = StatusReport(
            token: 0,
            coordinatorID: "",
            workers: [],
            groups: [],
            jobs: [],
            clusterBreaker: "open",
            retryBudget: RetryBudgetStatus(firstAttempts: 100, retries: 2, available: 18),
            errors: [CategoryCount(category: .timeout, count: 5)],
            recentCalls: 300
        )
        let tail = Array(wireBody(.statusReply(report)).dropFirst(8 + 4 + 3 * 4))
        #expect(
            tail
                == wireBytes(
                    hex: "04 00 00 00 6f 70 65 6e 64 00 00 00 02 00 00 00 12 00 00 00 01 00 00 00 07 05 00 00 00 "
                        + "2c 01 00 00"
                )
        )
        // A worker-status ends with its breaker; a group-status with its breaker and fallback.
        let worker = WorkerStatus(
            id: "w", group: "g", node: "", state: "live", inFlight: 0, capacity: 1, lastHeard: .zero, breaker: "open"
        )
        let group = GroupStatus(name: "g", queued: 0, workers: 1, inFlight: 0, breaker: "open", fallback: "h")
        let withBoth = wireBody(
            .statusReply(StatusReport(token: 0, coordinatorID: "", workers: [worker], groups: [group], jobs: []))
        )
        // token 8, "" 4, count 4, "w" 5, "g" 5, "" 4, "live" 8, 2 × u32, ms, 2 × u32: breaker at 62.
        #expect(Array(withBoth[62..<70]) == [0x04, 0x00, 0x00, 0x00, 0x6F, 0x70, 0x65, 0x6E])
        // groups count 4, "g" 5, 3 × u32: breaker at 91, fallback at 99.
        #expect(Array(withBoth[91..<104]) == wireBytes(hex: "04 00 00 00 6f 70 65 6e 01 00 00 00 68"))
    }

    @Test(arguments: [(0, 0), (1, 1), (3, 2), (200, 17)])
    func test_roundTrip_bigStatusReply_survivesWithAnExactSize(_ workers: Int, _ groups: Int) throws {
        let message = WireCodecFixtures.bigStatusReply(workers: workers, groups: groups)
        #expect(try wireRoundTrip(message) == message)
        #expect(WireCodec.encode(message).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
    }

    @Test func test_roundTrip_fallbackNamesOf255Bytes_areAccepted() throws {
        let name = String(repeating: "f", count: 255)
        let results = Message.jobResults([
            JobResult(
                subtask: SubtaskRef(job: JobID(1), index: 0),
                attempts: 1,
                worker: name,
                outcome: .success([]),
                fallback: name
            )
        ])
        #expect(try wireRoundTrip(results) == results)
        let status = Message.statusReply(
            StatusReport(
                token: 1, coordinatorID: "", workers: [],
                groups: [GroupStatus(name: name, queued: 0, workers: 0, inFlight: 0, fallback: name)], jobs: []
            )
        )
        #expect(try wireRoundTrip(status) == status)
    }

    /// The defaults of the new fields, as a coordinator that has seen no failure reports them.
    @Test func test_statusAndResultDefaults_areClosedAndEmpty() throws {
        let report = StatusReport(token: 1, coordinatorID: "c", workers: [], groups: [], jobs: [])
        guard case .statusReply(let decoded) = try wireRoundTrip(.statusReply(report)) else {
            Issue.record("not a statusReply")
            return
        }
        #expect(decoded.clusterBreaker == "closed")
        #expect(decoded.retryBudget == RetryBudgetStatus(firstAttempts: 0, retries: 0, available: 0))
        #expect(decoded.errors.isEmpty)
        #expect(decoded.recentCalls == 0)
        let result = JobResult(
            subtask: SubtaskRef(job: JobID(1), index: 0), attempts: 1, worker: "w", outcome: .success([])
        )
        #expect(result.fallback == "")
    }

    /// The worked examples of docs/PROTOCOL.md §11.11 and §11.12, byte for byte.
    @Test func test_encode_documentedBreakerExamples_matchTheDocumentedBytes() throws {
        // BREAKER: token 5, open, "g/w-9" (a worker that has not registered yet).
        let command = Message.breaker(BreakerCommand(token: 5, action: .open, path: "g/w-9"))
        let commandBody = wireBytes(hex: "05 00 00 00 00 00 00 00 00 05 00 00 00 67 2f 77 2d 39")
        #expect(commandBody.count == 18)
        #expect(WireCodec.encode(command) == [[0x48, 0x44, herdProtocolVersion, 0x34], commandBody])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x34], commandBody]) == command)

        // BREAKER-REPLY: ok, "g/w-9: forced-open".
        let reply = Message.breakerReply(BreakerReply(token: 5, ok: true, message: "g/w-9: forced-open"))
        let replyBody = wireBytes(hex: "05 00 00 00 00 00 00 00 01 12 00 00 00") + Array("g/w-9: forced-open".utf8)
        #expect(replyBody.count == 31)
        #expect(WireCodec.encode(reply) == [[0x48, 0x44, herdProtocolVersion, 0x48], replyBody])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x48], replyBody]) == reply)

        // A malformed path: ok = false.
        let refused = Message.breakerReply(BreakerReply(token: 6, ok: false, message: "bad"))
        #expect(wireBody(refused) == wireBytes(hex: "06 00 00 00 00 00 00 00 00 03 00 00 00 62 61 64"))

        // JOB-RESULTS: j7/3 served by fallback group "cpu" on worker "c-1", after 2 attempts.
        let served = Message.jobResults([
            JobResult(
                subtask: SubtaskRef(job: JobID(7), index: 3),
                attempts: 2,
                worker: "c-1",
                outcome: .success(Array("HI".utf8)),
                fallback: "cpu"
            )
        ])
        let servedBody = wireBytes(
            hex: "01 00 00 00 07 00 00 00 00 00 00 00 03 00 00 00 02 00 00 00 03 00 00 00 63 2d 31 "
                + "00 02 00 00 00 48 49 03 00 00 00 63 70 75"
        )
        #expect(servedBody.count == 41)
        #expect(WireCodec.encode(served) == [[0x48, 0x44, herdProtocolVersion, 0x42], servedBody])
        #expect(try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x42], servedBody]) == served)
    }

    // MARK: Durations

    @Test func test_encode_duration_isWholeMillisecondsClampedAtZero() throws {
        func decodedDeadline(_ deadline: Duration) throws -> Duration? {
            let message = Message.dispatch([
                Assignment(attempt: WireCodecFixtures.attempt, kind: "k", payload: [], deadline: deadline)
            ])
            guard case .dispatch(let assignments) = try wireRoundTrip(message) else { return nil }
            return assignments.first?.deadline
        }
        #expect(try decodedDeadline(.microseconds(1999)) == .milliseconds(1))
        #expect(try decodedDeadline(.nanoseconds(999_999)) == .zero)
        #expect(try decodedDeadline(.milliseconds(-5)) == .zero)
        #expect(try decodedDeadline(.seconds(-1.5)) == .zero)
        #expect(try decodedDeadline(.seconds(Int64.max)) == .milliseconds(UInt64.max))
        #expect(try decodedDeadline(.milliseconds(UInt64.max)) == .milliseconds(UInt64.max))
        #expect(try decodedDeadline(.milliseconds(123_456_789_012)) == .milliseconds(123_456_789_012))
    }

    // MARK: Limits on the sending side

    @Test func test_encode_textOver1MiB_isCutAtAScalarBoundary() throws {
        // 3-byte scalars: 1 MiB is not a multiple of 3, so a byte cut would split one.
        let long = String(repeating: "€", count: (WireCodec.maxTextBytes / 3) + 10)
        let message = Message.error(ProtocolError(.malformed, long))
        guard case .error(let decoded) = try wireRoundTrip(message) else {
            Issue.record("not an error")
            return
        }
        #expect(decoded.message.utf8.count <= WireCodec.maxTextBytes)
        #expect(decoded.message.utf8.count > WireCodec.maxTextBytes - 3)
        #expect(long.hasPrefix(decoded.message))
        #expect(WireCodec.encodedSize(of: message) >= WireCodec.encode(message).reduce(0) { $0 + $1.count })
    }

    @Test func test_encode_textOfExactly1MiB_isKept() throws {
        let text = String(repeating: "a", count: WireCodec.maxTextBytes)
        let message = Message.welcome(Welcome(coordinatorID: text, heartbeatInterval: .zero, livenessWindow: .zero))
        #expect(try wireRoundTrip(message) == message)
    }

    @Test func test_roundTrip_nameOf255Bytes_isAccepted() throws {
        let name = String(repeating: "n", count: 255)
        let message = Message.register(
            Registration(workerID: name, group: name, node: name, capacity: 1, kinds: [name])
        )
        #expect(try wireRoundTrip(message) == message)
    }
}
