import Testing

@testable import HerdCore

/// Round trips of the drain, job-notice, breaker and resilience-status messages.
extension WireCodecTests {
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
        #expect(
            WireCodec.encode(order) == [
                [0x48, 0x44, herdProtocolVersion, 0x14], wireBytes(hex: "30 75 00 00 00 00 00 00"),
            ]
        )

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
            fallback: .group("cpu")
        )
        let body = wireBody(.jobResults([result]))
        // count 4, job 8, index 4, attempts 4, "w" 5, success tag + empty output 5, then "cpu".
        #expect(body.count == 4 + 8 + 4 + 4 + 5 + 5 + 7)
        #expect(Array(body.suffix(7)) == [0x03, 0x00, 0x00, 0x00, 0x63, 0x70, 0x75])
        // Without a fallback the entry ends in an empty name.
        var none = result
        none.fallback = nil
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
                        + "2c 01 00 00 00 00 00 00"
                )
        )
        // A worker-status ends with its breaker; a group-status with its breaker and fallback.
        let worker = WorkerStatus(
            id: "w",
            group: "g",
            node: "",
            state: "live",
            inFlight: 0,
            capacity: 1,
            lastHeard: .zero,
            breaker: "open"
        )
        let group = GroupStatus(name: "g", queued: 0, workers: 1, inFlight: 0, breaker: "open", fallback: "h")
        let withBoth = wireBody(
            .statusReply(StatusReport(token: 0, coordinatorID: "", workers: [worker], groups: [group], jobs: []))
        )
        // token 8, "" 4, count 4, "w" 5, "g" 5, "" 4, "live" 8, 2 × u32, ms, 2 × u32: breaker at 62.
        #expect(Array(withBoth[62 ..< 70]) == [0x04, 0x00, 0x00, 0x00, 0x6F, 0x70, 0x65, 0x6E])
        // groups count 4, "g" 5, 3 × u32: breaker at 91, fallback at 99.
        #expect(Array(withBoth[91 ..< 104]) == wireBytes(hex: "04 00 00 00 6f 70 65 6e 01 00 00 00 68"))
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
                fallback: .group(name)
            )
        ])
        #expect(try wireRoundTrip(results) == results)
        let status = Message.statusReply(
            StatusReport(
                token: 1,
                coordinatorID: "",
                workers: [],
                groups: [GroupStatus(name: name, queued: 0, workers: 0, inFlight: 0, fallback: name)],
                jobs: []
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
            subtask: SubtaskRef(job: JobID(1), index: 0),
            attempts: 1,
            worker: "w",
            outcome: .success([])
        )
        #expect(result.fallback == nil)
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
                fallback: .group("cpu")
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
}
