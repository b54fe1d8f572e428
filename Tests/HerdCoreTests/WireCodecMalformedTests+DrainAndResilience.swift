import Testing

@testable import HerdCore

/// Malformed drain, job-notice, breaker and resilience-status messages.
extension WireCodecMalformedTests {
    // MARK: Drain and job notices

    @Test(arguments: [3, 4, 0x80, 0xFF] as [UInt8])
    func test_decode_badDrainTargetTag_isMalformed(_ tag: UInt8) {
        var body = wireBody(WireCodecFixtures.drainNode)
        #expect(body[8] == WireCodec.DrainTargetTag.node)  // after the token
        body[8] = tag
        expectWireRejected(
            [wireHeader(.drain), body],
            .malformed,
            "drain: bad target tag \(tag) at byte 8; expected 0 (worker), 1 (node) or 2 (group)"
        )
    }

    @Test func test_decode_truncatedDrainCommands_sayWhereAndWhat() {
        let order = wireBody(WireCodecFixtures.drainWorker)
        expectWireRejected(
            [wireHeader(.drainWorker), Array(order[..<7])],
            .malformed,
            "drainWorker: truncated at byte 0 reading u64 grace"
        )

        let request = wireBody(WireCodecFixtures.drainNode)  // target "host.example", 12 bytes
        #expect(request.count == 8 + 1 + 4 + 12 + 8)
        expectWireRejected(
            [wireHeader(.drain), Array(request[..<8])],
            .malformed,
            "drain: truncated at byte 8 reading u8 target tag"
        )
        expectWireRejected(
            [wireHeader(.drain), Array(request[..<11])],
            .malformed,
            "drain: truncated at byte 9 reading u32 target"
        )
        expectWireRejected(
            [wireHeader(.drain), Array(request[..<18])],
            .malformed,
            "drain: truncated at byte 9 reading name target: length 12, only 5 left"
        )
        expectWireRejected(
            [wireHeader(.drain), Array(request[..<(request.count - 1)])],
            .malformed,
            "drain: truncated at byte 25 reading u64 grace"
        )

        // token, 2 workers: "w-1" (finished, no moved) at 12, "w-münchen-01" at 27 with 3 moved from 52.
        let reply = wireBody(WireCodecFixtures.drainReply)
        #expect(reply.count == 113)
        expectWireRejected(
            [wireHeader(.drainReply), Array(reply[..<20])],
            .malformed,
            "drainReply: truncated at byte 8 reading u32 workers: count 2 needs at least 2 × 12 bytes, only 8 left"
        )
        expectWireRejected(
            [wireHeader(.drainReply), Array(reply[..<62])],
            .malformed,
            "drainReply: truncated at byte 48 reading u32 moved: count 3 needs at least 3 × 16 bytes, only 10 left "
                + "of workers[1]"
        )
        expectWireRejected(
            [wireHeader(.drainReply), Array(reply[..<(reply.count - 1)])],
            .malformed,
            "drainReply: truncated at byte 99 reading name to: length 10, only 9 left of workers[1].moved[2]"
        )
        expectWireRejected(
            [wireHeader(.drainReply), Array(reply[..<46])],
            .malformed,
            "drainReply: truncated at byte 44 reading u32 finished of workers[1]"
        )

        let notice = wireBody(WireCodecFixtures.jobNotice)
        expectWireRejected(
            [wireHeader(.jobNotice), Array(notice[..<10])],
            .malformed,
            "jobNotice: truncated at byte 8 reading u32 message"
        )
        expectWireRejected(
            [wireHeader(.jobNotice), Array(notice[..<(notice.count - 1)])],
            .malformed,
            "jobNotice: truncated at byte 8 reading string message: length \(notice.count - 12), "
                + "only \(notice.count - 13) left"
        )
    }

    /// After a nested `moved` array, errors name the enclosing worker again, not its last moved subtask.
    @Test func test_decode_errorAfterANestedArray_namesTheRightElement() throws {
        let reply = Message.drainReply(
            DrainReport(
                token: 1,
                workers: [
                    DrainedWorker(
                        worker: "a",
                        finished: 0,
                        moved: [MovedSubtask(subtask: SubtaskRef(job: JobID(1), index: 0), to: "b")]
                    ),
                    DrainedWorker(worker: "b", finished: 1, moved: []),
                ]
            )
        )
        let body = wireBody(reply)
        // token 8 + count 4 + "a" 5 + finished 4 + moved count 4 + moved 17, then "b" 5, finished at byte 47.
        #expect(body.count == 47 + 4 + 4)
        do {
            _ = try WireCodec.decode([wireHeader(.drainReply), Array(body[..<49])])
            Issue.record("decoded a truncated DRAIN-REPLY")
        } catch {
            #expect(error.message == "drainReply: truncated at byte 47 reading u32 finished of workers[1]")
        }
        // And an error after the whole array names no element at all.
        do {
            _ = try WireCodec.decode([wireHeader(.drainReply), body + [0]])
            Issue.record("decoded a DRAIN-REPLY with a trailing byte")
        } catch {
            #expect(error.message == "drainReply: 1 trailing bytes at byte 55 after the last field")
        }
    }

    @Test func test_decode_hugeDrainReplyCounts_areRejectedBeforeAllocating() {
        var writer = ByteWriter(capacity: 64)
        writer.u64(1)  // token
        writer.u32(0xFFFF_FFFF)  // workers
        expectWireRejected(
            [wireHeader(.drainReply), writer.bytes],
            .malformed,
            "drainReply: truncated at byte 8 reading u32 workers: count 4294967295 needs at least 4294967295 × 12 "
                + "bytes, only 0 left"
        )

        var nested = ByteWriter(capacity: 64)
        nested.u64(1)  // token
        nested.u32(2)  // workers
        nested.name("w-1")
        nested.u32(0)  // finished
        nested.u32(0x7FFF_FFFF)  // moved
        nested.u64(7)
        nested.u32(3)
        nested.name("")
        expectWireRejected(
            [wireHeader(.drainReply), nested.bytes],
            .malformed,
            "drainReply: truncated at byte 23 reading u32 moved: count 2147483647 needs at least 2147483647 × 16 "
                + "bytes, only 16 left of workers[0]"
        )
    }

    @Test func test_decode_drainNamesOf256Bytes_areTooLarge() {
        let name = String(repeating: "x", count: 256)
        for target in [DrainTarget.worker(name), .node(name), .group(name)] {
            expectWireRejected(
                WireCodec.encode(.drain(DrainRequest(token: 1, target: target, grace: .zero))),
                .tooLarge,
                "drain: name target of 256 bytes at byte 9 exceeds the limit of 255"
            )
        }
        let longWorker = DrainedWorker(worker: name, finished: 0, moved: [])
        expectWireRejected(
            WireCodec.encode(.drainReply(DrainReport(token: 1, workers: [longWorker]))),
            .tooLarge,
            "drainReply: name worker of 256 bytes at byte 12 exceeds the limit of 255 of workers[0]"
        )
        let moved = [
            MovedSubtask(subtask: SubtaskRef(job: JobID(1), index: 0), to: "w-2"),
            MovedSubtask(subtask: SubtaskRef(job: JobID(1), index: 1), to: name),
        ]
        let longTo = DrainedWorker(worker: "w", finished: 0, moved: moved)
        expectWireRejected(
            WireCodec.encode(.drainReply(DrainReport(token: 1, workers: [longTo]))),
            .tooLarge,
            // token 8, count 4, "w" 5, finished 4, moved count 4, moved[0] 19, moved[1] job + index: to at byte 56.
            "drainReply: name to of 256 bytes at byte 56 exceeds the limit of 255 of workers[0].moved[1]"
        )
    }

    @Test func test_decode_badUTF8InDrainNames_isMalformed() {
        var request = ByteWriter(capacity: 32)
        request.u64(1)  // token
        request.u8(WireCodec.DrainTargetTag.group)
        request.blob([0x67, 0xFF])  // "g" + an invalid byte
        request.u64(0)  // grace
        expectWireRejected(
            [wireHeader(.drain), request.bytes],
            .malformed,
            "drain: bad UTF-8 in name target at byte 9"
        )

        var notice = ByteWriter(capacity: 32)
        notice.u64(1)  // job
        notice.blob([0xC0, 0xAF])  // overlong "/"
        expectWireRejected(
            [wireHeader(.jobNotice), notice.bytes],
            .malformed,
            "jobNotice: bad UTF-8 in string message at byte 8"
        )
    }

    @Test func test_decode_jobNoticeOver1MiB_isTooLarge() {
        var writer = ByteWriter(capacity: WireCodec.maxTextBytes + 16)
        writer.u64(1)  // job
        writer.blob([UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1))
        expectWireRejected(
            [wireHeader(.jobNotice), writer.bytes],
            .tooLarge,
            "jobNotice: string message of 1048577 bytes at byte 8 exceeds the limit of 1048576"
        )
    }

    // MARK: Breakers, fallbacks and resilience status

    @Test(arguments: [4, 5, 0x80, 0xFF] as [UInt8])
    func test_decode_badBreakerActionTag_isMalformed(_ tag: UInt8) {
        var body = wireBody(WireCodecFixtures.breakerOpenWorker)
        #expect(body[8] == BreakerCommand.Action.open.rawValue)  // after the token
        body[8] = tag
        expectWireRejected(
            [wireHeader(.breaker), body],
            .malformed,
            "breaker: bad action tag \(tag) at byte 8; expected 0 (open), 1 (close), 2 (reset) or 3 (disable)"
        )
    }

    @Test(arguments: [2, 0x10, 0xFF] as [UInt8])
    func test_decode_badBreakerReplyBoolean_isMalformed(_ value: UInt8) {
        var body = wireBody(WireCodecFixtures.breakerReply)
        #expect(body[8] == 1)  // ok, after the token
        body[8] = value
        expectWireRejected(
            [wireHeader(.breakerReply), body],
            .malformed,
            "breakerReply: bad boolean \(value) at byte 8 for ok; expected 0 or 1"
        )
    }

    @Test func test_decode_truncatedBreakerCommands_sayWhereAndWhat() {
        let command = wireBody(WireCodecFixtures.breakerOpenWorker)  // path "gpu-🚀/w-münchen-01", 22 bytes
        #expect(command.count == 8 + 1 + 4 + 22)
        expectWireRejected(
            [wireHeader(.breaker), Array(command[..<5])],
            .malformed,
            "breaker: truncated at byte 0 reading u64 token"
        )
        expectWireRejected(
            [wireHeader(.breaker), Array(command[..<8])],
            .malformed,
            "breaker: truncated at byte 8 reading u8 action"
        )
        expectWireRejected(
            [wireHeader(.breaker), Array(command[..<12])],
            .malformed,
            "breaker: truncated at byte 9 reading u32 path"
        )
        expectWireRejected(
            [wireHeader(.breaker), Array(command[..<(command.count - 1)])],
            .malformed,
            "breaker: truncated at byte 9 reading string path: length 22, only 21 left"
        )

        let reply = wireBody(WireCodecFixtures.breakerReply)  // message of 35 bytes
        #expect(reply.count == 8 + 1 + 4 + 35)
        expectWireRejected(
            [wireHeader(.breakerReply), Array(reply[..<8])],
            .malformed,
            "breakerReply: truncated at byte 8 reading u8 ok"
        )
        expectWireRejected(
            [wireHeader(.breakerReply), Array(reply[..<10])],
            .malformed,
            "breakerReply: truncated at byte 9 reading u32 message"
        )
        expectWireRejected(
            [wireHeader(.breakerReply), Array(reply[..<(reply.count - 1)])],
            .malformed,
            "breakerReply: truncated at byte 9 reading string message: length 35, only 34 left"
        )
    }

    @Test func test_decode_breakerPathOf512Bytes_isTooLarge() {
        let path = String(repeating: "g", count: 256) + "/" + String(repeating: "w", count: 255)
        #expect(path.utf8.count == 512)
        expectWireRejected(
            WireCodec.encode(.breaker(BreakerCommand(token: 1, action: .open, path: path))),
            .tooLarge,
            "breaker: string path of 512 bytes at byte 9 exceeds the limit of 511"
        )
        // A huge declared length is refused for its size before the bytes left are even looked at.
        var writer = ByteWriter(capacity: 16)
        writer.u64(1)
        writer.u8(BreakerCommand.Action.reset.rawValue)
        writer.u32(0xFFFF_FFFF)
        expectWireRejected(
            [wireHeader(.breaker), writer.bytes],
            .tooLarge,
            "breaker: string path of 4294967295 bytes at byte 9 exceeds the limit of 511"
        )
        // Within the limit but longer than the body: truncated.
        var short = ByteWriter(capacity: 16)
        short.u64(1)
        short.u8(BreakerCommand.Action.reset.rawValue)
        short.u32(511)
        short.u8(0x2F)
        expectWireRejected(
            [wireHeader(.breaker), short.bytes],
            .malformed,
            "breaker: truncated at byte 9 reading string path: length 511, only 1 left"
        )
    }

    @Test func test_decode_badUTF8InBreakerCommands_isMalformed() {
        var command = ByteWriter(capacity: 32)
        command.u64(1)  // token
        command.u8(BreakerCommand.Action.disable.rawValue)
        command.blob([0x67, 0x2F, 0xFF])  // "g/" + an invalid byte
        expectWireRejected(
            [wireHeader(.breaker), command.bytes],
            .malformed,
            "breaker: bad UTF-8 in string path at byte 9"
        )

        var reply = ByteWriter(capacity: 32)
        reply.u64(1)  // token
        reply.bool(false)
        reply.blob([0xED, 0xA0, 0x80])  // a UTF-16 surrogate
        expectWireRejected(
            [wireHeader(.breakerReply), reply.bytes],
            .malformed,
            "breakerReply: bad UTF-8 in string message at byte 9"
        )
    }

    @Test func test_decode_breakerReplyOver1MiB_isTooLarge() {
        var writer = ByteWriter(capacity: WireCodec.maxTextBytes + 16)
        writer.u64(1)  // token
        writer.bool(true)
        writer.blob([UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1))
        expectWireRejected(
            [wireHeader(.breakerReply), writer.bytes],
            .tooLarge,
            "breakerReply: string message of 1048577 bytes at byte 9 exceeds the limit of 1048576"
        )
    }

    @Test func test_decode_truncatedJobResultFallback_saysWhereAndWhat() {
        let result = JobResult(
            subtask: SubtaskRef(job: JobID(9), index: 0),
            attempts: 2,
            worker: "w-1",
            outcome: .success(Array("ok".utf8)),
            fallback: .group("cpu")
        )
        // count 4, job 8, index 4, attempts 4, "w-1" 7, success tag + "ok" 7: fallback at byte 34.
        let body = wireBody(.jobResults([result]))
        #expect(body.count == 41)
        expectWireRejected(
            [wireHeader(.jobResults), Array(body[..<36])],
            .malformed,
            "jobResults: truncated at byte 34 reading u32 fallback of results[0]"
        )
        expectWireRejected(
            [wireHeader(.jobResults), Array(body[..<40])],
            .malformed,
            "jobResults: truncated at byte 34 reading name fallback: length 3, only 2 left of results[0]"
        )
        // One entry needs at least 29 bytes now that it ends with a fallback.
        expectWireRejected(
            [wireHeader(.jobResults), Array(body[..<28])],
            .malformed,
            "jobResults: truncated at byte 0 reading u32 results: count 1 needs at least 1 × 29 bytes, only 24 left"
        )
        // A last entry cut just before its fallback (as a revision-3 peer would send it) is truncated.
        let cut = wireBody(.jobResults([result, result])).dropLast(7)
        expectWireRejected(
            [wireHeader(.jobResults), Array(cut)],
            .malformed,
            "jobResults: truncated at byte 71 reading u32 fallback of results[1]"
        )
    }

    /// worker "w" (breaker "open" at 63), group "gpu-🚀" (breaker "open" at 99, fallback "cpu" at
    /// 107), no jobs, cluster breaker "closed" at 118, budget at 128, errors (timeout 3, server 1) at
    /// 140, recentCalls at 154: 158 bytes.
    static let smallResilienceStatus = StatusReport(
        token: 0,
        coordinatorID: "",
        workers: [
            WorkerStatus(
                id: "w",
                group: "g",
                node: "n",
                state: "live",
                inFlight: 1,
                capacity: 2,
                lastHeard: .zero,
                cancelling: 1,
                overdue: 1,
                breaker: "open"
            )
        ],
        groups: [GroupStatus(name: "gpu-🚀", queued: 1, workers: 1, inFlight: 1, breaker: "open", fallback: "cpu")],
        jobs: [],
        clusterBreaker: "closed",
        retryBudget: RetryBudgetStatus(firstAttempts: 10, retries: 2, available: 8),
        errors: [CategoryCount(category: .timeout, count: 3), CategoryCount(category: .server, count: 1)],
        recentCalls: 14
    )

    @Test func test_decode_truncatedStatusResilienceFields_sayWhereAndWhat() throws {
        let body = wireBody(.statusReply(Self.smallResilienceStatus))
        #expect(body.count == 162)
        #expect(try WireCodec.decode([wireHeader(.statusReply), body]) == .statusReply(Self.smallResilienceStatus))
        let cases: [(Int, String)] = [
            (65, "truncated at byte 63 reading u32 breaker of workers[0]"),
            (70, "truncated at byte 63 reading string breaker: length 4, only 3 left of workers[0]"),
            (101, "truncated at byte 99 reading u32 breaker of groups[0]"),
            (106, "truncated at byte 99 reading string breaker: length 4, only 3 left of groups[0]"),
            (109, "truncated at byte 107 reading u32 fallback of groups[0]"),
            (111, "truncated at byte 107 reading name fallback: length 3, only 0 left of groups[0]"),
            (122, "truncated at byte 118 reading string clusterBreaker: length 6, only 0 left"),
            (130, "truncated at byte 128 reading u32 retryBudget.firstAttempts"),
            (134, "truncated at byte 132 reading u32 retryBudget.retries"),
            (139, "truncated at byte 136 reading u32 retryBudget.available"),
            (142, "truncated at byte 140 reading u32 errors"),
            (147, "truncated at byte 140 reading u32 errors: count 2 needs at least 2 × 5 bytes, only 3 left"),
            (157, "truncated at byte 154 reading u32 recentCalls"),
            (161, "truncated at byte 158 reading u32 journal"),
        ]
        for (length, message) in cases {
            let cut = Array(body[..<length])
            expectWireRejected([wireHeader(.statusReply), cut], .malformed, "statusReply: \(message)")
        }
        // The last field read is the journal: an error after it names no element.
        expectWireRejected(
            [wireHeader(.statusReply), body + [0]],
            .malformed,
            "statusReply: 1 trailing bytes at byte 162 after the last field"
        )
    }

    @Test(arguments: [0, 13, 200, 0xFF] as [UInt8])
    func test_decode_unknownCategoryInStatusErrors_isMalformed(_ raw: UInt8) {
        var body = wireBody(.statusReply(Self.smallResilienceStatus))
        #expect(body[144] == ErrorCategory.timeout.rawValue)
        #expect(body[149] == ErrorCategory.server.rawValue)
        var first = body
        first[144] = raw
        expectWireRejected(
            [wireHeader(.statusReply), first],
            .malformed,
            "statusReply: unknown error category \(raw) at byte 144 of errors[0]"
        )
        body[149] = raw
        expectWireRejected(
            [wireHeader(.statusReply), body],
            .malformed,
            "statusReply: unknown error category \(raw) at byte 149 of errors[1]"
        )
    }

    @Test func test_decode_hugeStatusErrorsCount_isRejectedBeforeAllocating() {
        var body = wireBody(.statusReply(Self.smallResilienceStatus))
        body.replaceSubrange(140 ..< 144, with: [0xFF, 0xFF, 0xFF, 0xFF])
        expectWireRejected(
            [wireHeader(.statusReply), body],
            .malformed,
            "statusReply: truncated at byte 140 reading u32 errors: count 4294967295 needs at least 4294967295 × 5 "
                + "bytes, only 18 left"
        )
        // One more entry than the body holds (4 × 5 bytes, 18 left): refused by the same check.
        body.replaceSubrange(140 ..< 144, with: [0x04, 0x00, 0x00, 0x00])
        expectWireRejected(
            [wireHeader(.statusReply), body],
            .malformed,
            "statusReply: truncated at byte 140 reading u32 errors: count 4 needs at least 4 × 5 bytes, only 18 left"
        )
        // The worker and group counts are checked against their larger minimum sizes.
        var workers = ByteWriter(capacity: 64)
        workers.u64(0)
        workers.text("")
        workers.u32(1)
        workers.u8(0)
        for _ in 0 ..< 42 { workers.u8(0) }  // one byte short of a minimal worker-status (44)
        expectWireRejected(
            [wireHeader(.statusReply), workers.bytes],
            .malformed,
            "statusReply: truncated at byte 12 reading u32 workers: count 1 needs at least 1 × 44 bytes, only 43 left"
        )
        var groups = ByteWriter(capacity: 64)
        groups.u64(0)
        groups.text("")
        groups.u32(0)
        groups.u32(2)
        for _ in 0 ..< 47 { groups.u8(0) }  // one byte short of two minimal group-statuses (24 each)
        expectWireRejected(
            [wireHeader(.statusReply), groups.bytes],
            .malformed,
            "statusReply: truncated at byte 16 reading u32 groups: count 2 needs at least 2 × 24 bytes, only 47 left"
        )
    }

    @Test func test_decode_fallbackNamesOf256Bytes_areTooLarge() {
        let name = String(repeating: "x", count: 256)
        let results = Message.jobResults([
            JobResult(subtask: SubtaskRef(job: JobID(1), index: 0), attempts: 1, worker: "w", outcome: .success([])),
            JobResult(
                subtask: SubtaskRef(job: JobID(1), index: 1),
                attempts: 1,
                worker: "w",
                outcome: .success([]),
                fallback: .group(name)
            ),
        ])
        // count 4, results[0] 30 bytes, then job 8, index 4, attempts 4, "w" 5, success 5: fallback at 60.
        expectWireRejected(
            WireCodec.encode(results),
            .tooLarge,
            "jobResults: name fallback of 256 bytes at byte 60 exceeds the limit of 255 of results[1]"
        )
        var report = Self.smallResilienceStatus
        report.groups[0].fallback = name
        expectWireRejected(
            WireCodec.encode(.statusReply(report)),
            .tooLarge,
            "statusReply: name fallback of 256 bytes at byte 107 exceeds the limit of 255 of groups[0]"
        )
    }

    @Test func test_decode_breakerStatesOver1MiB_areTooLarge() {
        // A worker's breaker, then the cluster's, each one byte over the text limit.
        var worker = ByteWriter(capacity: WireCodec.maxTextBytes + 64)
        worker.u64(0)
        worker.text("")
        worker.u32(1)
        for name in ["w", "g", "n"] { worker.name(name) }
        worker.text("live")
        for _ in 0 ..< 2 { worker.u32(0) }
        worker.u64(0)
        for _ in 0 ..< 2 { worker.u32(0) }
        worker.blob([UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1))
        expectWireRejected(
            [wireHeader(.statusReply), worker.bytes],
            .tooLarge,
            "statusReply: string breaker of 1048577 bytes at byte 63 exceeds the limit of 1048576 of workers[0]"
        )
        var cluster = ByteWriter(capacity: WireCodec.maxTextBytes + 64)
        cluster.u64(0)
        cluster.text("")
        for _ in 0 ..< 3 { cluster.u32(0) }
        cluster.blob([UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1))
        expectWireRejected(
            [wireHeader(.statusReply), cluster.bytes],
            .tooLarge,
            "statusReply: string clusterBreaker of 1048577 bytes at byte 24 exceeds the limit of 1048576"
        )
    }

    @Test func test_decode_unknownErrorCode_isMalformed() {
        var body = wireBody(WireCodecFixtures.error)
        body[0] = 7  // 6 is notAllowed since revision 8
        expectWireRejected([wireHeader(.error), body], .malformed, "error: unknown error code 7 at byte 0")
    }
}
