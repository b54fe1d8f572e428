import Testing

@testable import HerdCore

/// Decodes `frames`, expecting a ``ProtocolError`` with `code` whose message contains `fragment`.
func expectWireRejected(
    _ frames: [[UInt8]],
    maxBytes: Int = WireCodec.defaultMaxMessageBytes,
    _ code: ProtocolError.Code,
    _ fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let message = try WireCodec.decode(frames, maxBytes: maxBytes)
        Issue.record("decoded \(message); expected \(code) containing \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}

/// Header of `command` for protocol version 1.
func wireHeader(_ command: WireCodec.Command) -> [UInt8] {
    [0x48, 0x44, herdProtocolVersion, command.rawValue]
}

/// The body frame of `message`.
func wireBody(_ message: Message) -> [UInt8] {
    WireCodec.encode(message)[1]
}

@Suite struct WireCodecMalformedTests {
    // MARK: Frames and header

    @Test func test_decode_noFrames_isMalformed() {
        expectWireRejected([], .malformed, "no frames")
    }

    @Test(arguments: [[], [0x48], [0x48, 0x44], [0x48, 0x44, herdProtocolVersion]] as [[UInt8]])
    func test_decode_shortHeader_isMalformed(_ header: [UInt8]) {
        expectWireRejected([header, []], .malformed, "header frame is \(header.count) bytes; expected 4")
    }

    @Test func test_decode_longHeader_isMalformed() {
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x20, 0x00]],
            .malformed,
            "header frame is 5 bytes; expected 4"
        )
    }

    @Test func test_decode_badMagic_isMalformed() {
        expectWireRejected([[0x48, 0x45, 0x01, 0x20]], .malformed, "bad magic 0x48 0x45")
        expectWireRejected([[0x4D, 0x44, 0x50, 0x57], [1, 2]], .malformed, "bad magic")
        expectWireRejected([[0x00, 0x00]], .malformed, "bad magic 0x00 0x00")
    }

    @Test(arguments: [0, 2, 7, 255] as [UInt8])
    func test_decode_otherVersion_isUnsupportedVersion(_ version: UInt8) {
        expectWireRejected(
            [[0x48, 0x44, version, 0x20]],
            .unsupportedVersion,
            "peer speaks protocol version \(version); this side speaks \(herdProtocolVersion)"
        )
        // A later version may change the header's length or the body: still reported as a version problem.
        expectWireRejected([[0x48, 0x44, version, 0x20, 0x00], [9, 9]], .unsupportedVersion, "version \(version)")
        expectWireRejected([[0x48, 0x44, version]], .unsupportedVersion, "version \(version)")
    }

    @Test func test_decode_unknownCommand_isMalformed() {
        expectWireRejected([[0x48, 0x44, herdProtocolVersion, 0x55], [1]], .malformed, "unknown command 0x55")
        expectWireRejected([[0x48, 0x44, herdProtocolVersion, 0x00]], .malformed, "unknown command 0x00")
    }

    @Test func test_decode_reservedCommand_isMalformedAndSaysReserved() {
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x13], []],
            .malformed,
            "unknown command 0x13 (reserved for a later"
        )
        // The codes revision 3 assigned to the drain commands are no longer reserved.
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x14], []],
            .malformed,
            "drainWorker: truncated at byte 0 reading u64 grace"
        )
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x33], []],
            .malformed,
            "drain: truncated at byte 0 reading u64 token"
        )
        // Revision 4 assigned 0x34 and 0x48 to the breaker commands; the next codes stay unknown.
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x34], []],
            .malformed,
            "breaker: truncated at byte 0 reading u64 token"
        )
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x48], []],
            .malformed,
            "breakerReply: truncated at byte 0 reading u64 token"
        )
        // Revision 6 assigned 0x35 and 0x49 to RESULTS-REQUEST and RESULTS-REPLY.
        expectWireRejected(
            [[0x48, 0x44, herdProtocolVersion, 0x35], []],
            .malformed,
            "resultsRequest: truncated at byte 0 reading u64 token"
        )
        // Revision 9 assigned 0x36 and 0x4A to INSPECT and INSPECT-REPLY.
        for code: UInt8 in [0x37, 0x4B] {
            do {
                _ = try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, code], []])
                Issue.record("decoded command \(code)")
            } catch {
                #expect(error.message == "unknown command 0x\(String(code, radix: 16))")
            }
        }
    }

    @Test func test_decode_extraFrames_isMalformed() {
        let frames = WireCodec.encode(WireCodecFixtures.accepted)
        expectWireRejected(frames + [[]], .malformed, "accepted: 3 frames")
        expectWireRejected([wireHeader(.heartbeat), [], []], .malformed, "heartbeat: 3 frames")
    }

    @Test(arguments: WireCodec.Command.allCases.filter(\.hasBody))
    func test_decode_missingBody_isMalformed(_ command: WireCodec.Command) {
        expectWireRejected([wireHeader(command)], .malformed, "\(command.label): missing body frame")
    }

    @Test func test_decode_oversizeMessage_isTooLarge() {
        let frames = WireCodec.encode(WireCodecFixtures.results)
        let size = frames[0].count + frames[1].count
        expectWireRejected(
            frames,
            maxBytes: size - 1,
            .tooLarge,
            "message of \(size) bytes exceeds the limit of \(size - 1)"
        )
        #expect(throws: Never.self) { try WireCodec.decode(frames, maxBytes: size) }
        // Checked before anything else, even the header.
        expectWireRejected([[0xFF], [UInt8](repeating: 0, count: 100)], maxBytes: 64, .tooLarge, "exceeds the limit")
    }

    @Test func test_decode_oversizeDefault_isTooLarge() {
        let big = [UInt8](repeating: 0, count: WireCodec.defaultMaxMessageBytes)
        expectWireRejected([wireHeader(.results), big], .tooLarge, "exceeds the limit of 67108864 bytes")
    }

    // MARK: Truncation and trailing bytes

    @Test(arguments: WireCodecFixtures.all.filter { WireCodec.Command($0).hasBody })
    func test_decode_everyTruncatedBody_isMalformed(_ message: Message) {
        let frames = WireCodec.encode(message)
        let body = frames[1]
        for length in 0 ..< body.count {
            expectWireRejected([frames[0], Array(body[..<length])], .malformed, "truncated at byte")
        }
        // The full body decodes: the loop above really covered every proper prefix.
        #expect(throws: Never.self) { try WireCodec.decode([frames[0], body]) }
    }

    @Test func test_decode_truncatedResults_saysWhereAndWhat() {
        let body = wireBody(
            .results([SubtaskResult(attempt: WireCodecFixtures.attempt, outcome: .success([1, 2, 3, 4]))])
        )
        #expect(body.count == 4 + 16 + 1 + 4 + 4 + 8)
        expectWireRejected(
            [wireHeader(.results), Array(body[..<2])],
            .malformed,
            "results: truncated at byte 0 reading u32 results"
        )
        expectWireRejected(
            [wireHeader(.results), Array(body[..<28])],
            .malformed,
            "results: truncated at byte 0 reading u32 results: count 1 needs at least 1 × 29 bytes, only 24 left"
        )
        expectWireRejected(
            [wireHeader(.results), Array(body[..<36])],
            .malformed,
            "results: truncated at byte 29 reading u64 usage of results[0]"
        )
    }

    @Test(arguments: WireCodecFixtures.all)
    func test_decode_trailingGarbage_isMalformed(_ message: Message) {
        let frames = WireCodec.encode(message)
        let body = frames.count == 2 ? frames[1] : []
        expectWireRejected([frames[0], body + [0xAB]], .malformed, "1 trailing bytes at byte \(body.count)")
        expectWireRejected([frames[0], body + [0, 0, 0, 0]], .malformed, "4 trailing bytes")
    }

    // MARK: Bad values

    @Test func test_decode_badUTF8_isMalformed() {
        var writer = ByteWriter(capacity: 64)
        writer.u64(1)  // token
        writer.blob([0x67, 0xC3, 0x28])  // group: invalid 2-byte sequence
        writer.name("kind")
        writer.u8(0)
        writer.blob([])
        writer.u32(1)
        writer.flag(false)
        expectWireRejected(
            [wireHeader(.submit), writer.bytes],
            .malformed,
            "submit: bad UTF-8 in name group at byte 8"
        )

        var text = ByteWriter(capacity: 16)
        text.u8(ProtocolError.Code.malformed.rawValue)
        text.blob([0xED, 0xA0, 0x80])  // an encoded UTF-16 surrogate is not UTF-8
        expectWireRejected(
            [wireHeader(.error), text.bytes],
            .malformed,
            "error: bad UTF-8 in string message at byte 1"
        )

        var overlong = ByteWriter(capacity: 16)
        overlong.u8(1)
        overlong.blob([0xC0, 0xAF])  // overlong "/"
        expectWireRejected([wireHeader(.error), overlong.bytes], .malformed, "bad UTF-8")
    }

    @Test func test_decode_unknownCategory_isMalformed() {
        var writer = ByteWriter(capacity: 32)
        writer.u64(1)  // token
        writer.u8(200)  // category
        writer.text("x")
        writer.flag(false)
        expectWireRejected(
            [wireHeader(.rejected), writer.bytes],
            .malformed,
            "rejected: unknown error category 200 at byte 8"
        )
        var zero = writer.bytes
        zero[8] = 0
        expectWireRejected([wireHeader(.rejected), zero], .malformed, "unknown error category 0")
    }

    @Test func test_decode_badOutcomeTag_isMalformed() {
        var body = wireBody(WireCodecFixtures.results)
        #expect(body[20] == WireCodec.OutcomeTag.success)  // count u32 + attempt (16 bytes) → first outcome tag
        body[20] = 2
        expectWireRejected(
            [wireHeader(.results), body],
            .malformed,
            "results: bad outcome tag 2 at byte 20; expected 0"
        )
        expectWireRejected([wireHeader(.results), body], .malformed, "of results[0]")
    }

    @Test func test_decode_badPayloadsTag_isMalformed() {
        var body = wireBody(WireCodecFixtures.submitList)
        let tagOffset = 8 + (4 + "grüppe".utf8.count) + (4 + "exec:wc".utf8.count)
        #expect(body[tagOffset] == WireCodec.PayloadSourceTag.list)
        body[tagOffset] = 9
        expectWireRejected([wireHeader(.submit), body], .malformed, "submit: bad payloads tag 9 at byte \(tagOffset)")
    }

    @Test func test_decode_badPresenceFlag_isMalformed() {
        var body = wireBody(WireCodecFixtures.submitTemplate)
        // timeout flag + u64, then policy `all` (1), budget flag (1), parent flag (1).
        let timeoutFlag = body.count - 12
        #expect(body[timeoutFlag] == 1)
        body[timeoutFlag] = 2
        expectWireRejected(
            [wireHeader(.submit), body],
            .malformed,
            "bad presence flag 2 at byte \(timeoutFlag) for timeout"
        )
    }

    @Test func test_decode_badPresenceFlagOfNewOptionals_isMalformed() {
        // SUBMIT: … policy, budget flag, parent flag (both absent) at the very end.
        let submit = wireBody(WireCodecFixtures.submitTemplate)
        var budget = submit
        budget[submit.count - 2] = 7
        expectWireRejected(
            [wireHeader(.submit), budget],
            .malformed,
            "submit: bad presence flag 7 at byte \(submit.count - 2) for budget"
        )
        var parent = submit
        parent[submit.count - 1] = 0xFF
        expectWireRejected(
            [wireHeader(.submit), parent],
            .malformed,
            "submit: bad presence flag 255 at byte \(submit.count - 1) for parent"
        )

        // JOB-FINISHED: job u64, 3 × u32, usage u64, then the reason flag at byte 28.
        var finished = wireBody(WireCodecFixtures.jobFinished)
        #expect(finished.count == 29)
        finished[28] = 2
        expectWireRejected(
            [wireHeader(.jobFinished), finished],
            .malformed,
            "jobFinished: bad presence flag 2 at byte 28 for reason"
        )

        // STATUS-REPLY: a job-status's parent flag is its last byte, followed by the cluster's
        // breaker "closed" (10 bytes), the retry budget (12), an empty errors array (4), recentCalls (4)
        // and the journal "" (4).
        let report = StatusReport(
            token: 0,
            coordinatorID: "",
            workers: [],
            groups: [],
            jobs: [JobStatus(job: JobID(1), group: "", kind: "", total: 0, finished: 0, running: 0)]
        )
        var status = wireBody(.statusReply(report))
        let parentFlag = status.count - 34 - 1
        #expect(status[parentFlag] == 0)
        status[parentFlag] = 3
        expectWireRejected(
            [wireHeader(.statusReply), status],
            .malformed,
            "statusReply: bad presence flag 3 at byte \(parentFlag) for parent of jobs[0]"
        )
    }

    // MARK: Fan-out policy and booleans

    /// The offset of the policy tag in the body of `submission` (just after the timeout).
    static func policyOffset(_ submission: Submission) -> Int {
        let body = wireBody(.submit(submission))
        let parent = submission.parent == nil ? 1 : 17
        let budget = submission.budget == nil ? 1 : 9
        let policy = if case .quorum = submission.policy { 5 } else { 1 }
        return body.count - parent - budget - policy
    }

    @Test(arguments: [4, 5, 0x80, 0xFF] as [UInt8])
    func test_decode_badPolicyTag_isMalformed(_ tag: UInt8) {
        let submission = Submission(
            token: 1,
            group: "g",
            kind: "k",
            payloads: .list([[1]]),
            timeout: .seconds(1),
            policy: .first,
            budget: 10
        )
        var body = wireBody(.submit(submission))
        let offset = Self.policyOffset(submission)
        #expect(body[offset] == WireCodec.PolicyTag.first)
        body[offset] = tag
        expectWireRejected(
            [wireHeader(.submit), body],
            .malformed,
            "submit: bad policy tag \(tag) at byte \(offset); expected 0 (all), 1 (fail-fast), 2 (first) or 3 (quorum)"
        )
    }

    @Test func test_decode_quorumOfZero_isMalformed() {
        // The encoder sends `.quorum(0)` as is (it never traps); the receiver refuses it.
        let submission = Submission(
            token: 1,
            group: "g",
            kind: "k",
            payloads: .template([], count: 1),
            policy: .quorum(0),
            parent: WireCodecFixtures.attempt
        )
        let offset = Self.policyOffset(submission)
        let frames = WireCodec.encode(.submit(submission))
        #expect(Array(frames[1][offset ..< (offset + 5)]) == [3, 0, 0, 0, 0])
        expectWireRejected(frames, .malformed, "submit: quorum of 0 at byte \(offset + 1); a quorum must be at least 1")
        // And the policy parser never produces one.
        #expect(FanoutPolicy(parsing: "quorum:0") == nil)
        #expect(FanoutPolicy(parsing: "quorum:3") == .quorum(3))
    }

    @Test func test_decode_quorumTagAtTheEnd_isTruncated() {
        let submission = Submission(token: 1, group: "g", kind: "k", payloads: .list([]), policy: .quorum(9))
        let body = wireBody(.submit(submission))
        let offset = Self.policyOffset(submission)
        expectWireRejected(
            [wireHeader(.submit), Array(body[...offset])],
            .malformed,
            "submit: truncated at byte \(offset + 1) reading u32 quorum"
        )
    }

    @Test(arguments: [2, 0x10, 0xFF] as [UInt8])
    func test_decode_badBoolean_isMalformed(_ value: UInt8) {
        var body = wireBody(WireCodecFixtures.cancelReply)
        #expect(body[16] == 1)  // token u64, job u64, found
        body[16] = value
        expectWireRejected(
            [wireHeader(.cancelReply), body],
            .malformed,
            "cancelReply: bad boolean \(value) at byte 16 for found; expected 0 or 1"
        )
    }

    @Test func test_decode_unknownCategoryOfReason_isMalformed() {
        var body = wireBody(WireCodecFixtures.jobFinishedWithReason)
        #expect(body[28] == 1)  // reason present
        #expect(body[29] == ErrorCategory.budgetExhausted.rawValue)
        body[29] = 13
        expectWireRejected(
            [wireHeader(.jobFinished), body],
            .malformed,
            "jobFinished: unknown error category 13 at byte 29"
        )
    }

    // MARK: Truncation of the new commands, precisely

    @Test func test_decode_truncatedNewCommands_sayWhereAndWhat() {
        let cancel = wireBody(WireCodecFixtures.cancel)  // 3 attempts
        expectWireRejected(
            [wireHeader(.cancel), Array(cancel[..<40])],
            .malformed,
            "cancel: truncated at byte 0 reading u32 attempts: count 3 needs at least 3 × 16 bytes, only 36 left"
        )
        let cancelled = wireBody(WireCodecFixtures.cancelled)  // 2 attempts
        expectWireRejected(
            [wireHeader(.cancelled), cancelled + [0]],
            .malformed,
            "cancelled: 1 trailing bytes at byte 36"
        )

        let partial = wireBody(WireCodecFixtures.partial)
        expectWireRejected(
            [wireHeader(.partial), Array(partial[..<10])],
            .malformed,
            "partial: truncated at byte 8 reading u32 index"
        )
        expectWireRejected(
            [wireHeader(.partial), Array(partial[..<(partial.count - 1)])],
            .malformed,
            "partial: truncated at byte \(partial.count - 8) reading u64 usage"
        )
        expectWireRejected(
            [wireHeader(.partial), Array(partial[..<22])],
            .malformed,
            "partial: truncated at byte 20 reading u32 data"
        )

        let submit = wireBody(WireCodecFixtures.submitNested)  // ends with parent flag + 16 bytes
        expectWireRejected(
            [wireHeader(.submit), Array(submit[..<(submit.count - 16)])],
            .malformed,
            "submit: truncated at byte \(submit.count - 16) reading u64 parent.job"
        )
        expectWireRejected(
            [wireHeader(.submit), Array(submit[..<(submit.count - 1)])],
            .malformed,
            "submit: truncated at byte \(submit.count - 4) reading u32 parent.attempt"
        )
        expectWireRejected(
            [wireHeader(.submit), Array(submit[..<(submit.count - 20)])],
            .malformed,
            "submit: truncated at byte \(submit.count - 25) reading u64 budget"
        )

        let cancelJob = wireBody(WireCodecFixtures.cancelJob)
        expectWireRejected(
            [wireHeader(.cancelJob), Array(cancelJob[..<(cancelJob.count - 1)])],
            .malformed,
            "cancelJob: truncated at byte 16 reading string reason: length \(cancelJob.count - 20), "
                + "only \(cancelJob.count - 21) left"
        )

        let reply = wireBody(WireCodecFixtures.cancelReply)
        expectWireRejected(
            [wireHeader(.cancelReply), Array(reply[..<17])],
            .malformed,
            "cancelReply: truncated at byte 17 reading u32 cancelled"
        )

        let finished = wireBody(WireCodecFixtures.jobFinishedWithReason)
        expectWireRejected(
            [wireHeader(.jobFinished), Array(finished[..<24])],
            .malformed,
            "jobFinished: truncated at byte 20 reading u64 usage"
        )
        expectWireRejected(
            [wireHeader(.jobFinished), Array(finished[..<29])],
            .malformed,
            "jobFinished: truncated at byte 29 reading u8 category"
        )
        expectWireRejected(
            [wireHeader(.jobFinished), Array(finished[..<(finished.count - 1)])],
            .malformed,
            "jobFinished: truncated at byte \(finished.count - 1) reading u8 cause count"
        )

        let worker = WorkerStatus(
            id: "w",
            group: "g",
            node: "n",
            state: "live",
            inFlight: 1,
            capacity: 2,
            lastHeard: .zero,
            cancelling: 1,
            overdue: 1
        )
        let status = wireBody(
            .statusReply(StatusReport(token: 0, coordinatorID: "", workers: [worker], groups: [], jobs: []))
        )
        // …, cancelling u32, overdue u32, breaker "closed" (10 bytes), then the groups and jobs counts
        // (4 bytes each), the cluster's breaker "closed" (10), the retry budget (12), errors (4), calls (4),
        // journal "" (4). Cut 2 bytes into overdue (a shorter body fails the workers count check first).
        let overdue = status.count - 4 - 52
        let noOverdue = Array(status[..<(overdue + 2)])
        expectWireRejected(
            [wireHeader(.statusReply), noOverdue],
            .malformed,
            "statusReply: truncated at byte \(overdue) reading u32 overdue of workers[0]"
        )
    }
}
