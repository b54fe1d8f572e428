import Testing

@testable import HerdCore

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
                token: 1,
                coordinatorID: "c",
                workers: [],
                groups: [],
                jobs: [],
                errors: [CategoryCount(category: category, count: UInt32(category.rawValue))],
                recentCalls: 3
            )
        )
        #expect(try wireRoundTrip(status) == status)
        let result = Message.jobResults([
            JobResult(
                subtask: SubtaskRef(job: JobID(1), index: 0),
                attempts: 1,
                worker: "w",
                outcome: .failure(failure)
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
                token: 0,
                group: "",
                kind: "",
                payloads: .list([]),
                timeout: nil,
                policy: policy,
                budget: budget,
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
        let attempts = (0 ..< 1000).map { index in
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
            (0 ..< 1000).map { index in
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
            (0 ..< 1000).map { index in
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
            Registration(
                workerID: "w-1",
                group: "g",
                node: "n",
                capacity: 4,
                kinds: ["echo"],
                holding: [],
                incarnation: 0x0102_0304_0506_0708
            )
        )
        let registerBody = wireBytes(
            hex: "03 00 00 00 77 2d 31 01 00 00 00 67 01 00 00 00 6e 04 00 00 00 01 00 00 00 "
                + "04 00 00 00 65 63 68 6f 00 00 00 00 08 07 06 05 04 03 02 01"
        )
        #expect(registerBody.count == 45)
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
                "RESULTS-REQUEST": 0x35, "RESULTS-REPLY": 0x49, "INSPECT": 0x36, "INSPECT-REPLY": 0x4A, "HEALTH": 0x06, "WELCOME": 0x10,
                "DISPATCH": 0x11, "CANCEL": 0x12,
                "HEARTBEAT": 0x20, "SUBMIT": 0x30, "STATUS": 0x31,
                "CANCEL-JOB": 0x32, "ACCEPTED": 0x40, "REJECTED": 0x41, "JOB-RESULTS": 0x42, "JOB-FINISHED": 0x43,
                "STATUS-REPLY": 0x44, "CANCEL-REPLY": 0x45, "ERROR": 0x7F, "DRAIN": 0x14, "DRAIN-REQUEST": 0x33,
                "DRAIN-REPLY": 0x46, "JOB-NOTICE": 0x47, "BREAKER": 0x34, "BREAKER-REPLY": 0x48,
            ]
        )
        // Only 0x13 stays reserved; revision 3 assigned 0x14 and 0x33 to the drain commands.
        #expect(WireCodec.Command.isReserved(0x13))
        #expect(WireCodec.Command(rawValue: 0x13) == nil)
        #expect((0 ... UInt8.max).filter(WireCodec.Command.isReserved) == [0x13])
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
            id: "",
            group: "",
            node: "",
            state: "",
            inFlight: 0,
            capacity: 0,
            lastHeard: .zero,
            breaker: ""
        )
        let group = GroupStatus(name: "", queued: 0, workers: 0, inFlight: 0, breaker: "", fallback: "")
        let job = JobStatus(job: JobID(0), group: "", kind: "", total: 0, finished: 0, running: 0)
        let empty = wireBody(.statusReply(StatusReport(token: 0, coordinatorID: "", workers: [], groups: [], jobs: [])))
        let report = StatusReport(token: 0, coordinatorID: "", workers: [worker], groups: [group], jobs: [job])
        #expect(
            wireBody(.statusReply(report)).count - empty.count == Size.workerStatus + Size.groupStatus + Size.jobStatus
        )
        let oneError = StatusReport(
            token: 0,
            coordinatorID: "",
            workers: [],
            groups: [],
            jobs: [],
            errors: [CategoryCount(category: .transient, count: 0)]
        )
        #expect(wireBody(.statusReply(oneError)).count - empty.count == Size.categoryCount)
        // The smallest STATUS-REPLY: token, "", three empty arrays, "" cluster breaker, budget, no errors, calls,
        // "" journal.
        let smallest = StatusReport(token: 0, coordinatorID: "", workers: [], groups: [], jobs: [], clusterBreaker: "")
        #expect(wireBody(.statusReply(smallest)).count == 8 + 4 + 3 * 4 + 4 + 3 * 4 + 4 + 4 + 4)
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
