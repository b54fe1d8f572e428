import Testing

@testable import HerdCore

/// Limits: sizes, counts and strings over what a receiver accepts are refused before allocating.
extension WireCodecMalformedTests {
    @Test(arguments: [
        (WireCodec.Command.results, [] as [UInt8]),
        (.dispatch, []),
        (.jobResults, []),
        (.register, [1, 0, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),  // "w", "", "", capacity 0
        (.statusReply, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),  // token, coordinatorID ""
        (.submit, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x67, 1, 0, 0, 0, 0x6B, 1]),  // token, "g", "k", list tag
        (.cancel, []),
        (.cancelled, []),
        (.drainReply, [0, 0, 0, 0, 0, 0, 0, 0]),  // token
        // token, 1 worker: "", finished 0, then the moved count.
        (.drainReply, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        // token, coordinatorID "", no workers, groups or jobs, cluster breaker "", retry budget: the errors count.
        (.statusReply, [UInt8](repeating: 0, count: 8 + 4 + 3 * 4 + 4 + 3 * 4)),
    ])
    func test_decode_hugeCountWithTinyBody_isRejectedBeforeAllocating(_ command: WireCodec.Command, _ prefix: [UInt8]) {
        let body = prefix + [0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02]
        expectWireRejected([wireHeader(command), body], .malformed, "truncated at byte \(prefix.count) reading u32 ")
    }

    @Test func test_decode_hugeBlobLength_isRejectedBeforeAllocating() {
        var writer = ByteWriter(capacity: 32)
        writer.u32(1)  // count
        writer.u64(1)
        writer.u32(0)
        writer.u32(1)  // attempt
        writer.u8(WireCodec.OutcomeTag.success)
        writer.u32(0xFFFF_FFFF)  // output length
        writer.u64(0)
        expectWireRejected(
            [wireHeader(.results), writer.bytes],
            .malformed,
            "results: truncated at byte 21 reading bytes output: length 4294967295, only 8 left of results[0]"
        )
    }

    @Test func test_decode_nameOf256Bytes_isTooLarge() {
        let name = String(repeating: "x", count: 256)
        let message = Message.register(Registration(workerID: "w", group: name, node: "n", capacity: 1, kinds: []))
        expectWireRejected(
            WireCodec.encode(message),
            .tooLarge,
            "register: name group of 256 bytes at byte 5 exceeds the limit of 255"
        )
        let kinds = Message.register(
            Registration(workerID: "w", group: "g", node: "n", capacity: 1, kinds: ["a", name])
        )
        expectWireRejected(
            WireCodec.encode(kinds),
            .tooLarge,
            "name kind of 256 bytes at byte 28 exceeds the limit of 255 of kinds[1]"
        )
        let worker = Message.jobResults([
            JobResult(subtask: SubtaskRef(job: JobID(1), index: 0), attempts: 1, worker: name, outcome: .success([]))
        ])
        expectWireRejected(WireCodec.encode(worker), .tooLarge, "jobResults: name worker of 256 bytes")
        let partial = Message.partial(PartialOutput(attempt: WireCodecFixtures.attempt, worker: name, data: [1]))
        expectWireRejected(
            WireCodec.encode(partial),
            .tooLarge,
            "partial: name worker of 256 bytes at byte 16 exceeds the limit of 255"
        )
    }

    @Test func test_cancelJobReasonOver1MiB_isCutBySenderAndRefusedByReceiver() throws {
        let long = String(repeating: "é", count: WireCodec.maxTextBytes)  // 2 MiB of UTF-8
        let message = Message.cancelJob(CancelJob(token: 1, job: JobID(2), reason: long))
        guard case .cancelJob(let decoded) = try WireCodec.decode(WireCodec.encode(message)) else {
            Issue.record("not a cancelJob")
            return
        }
        #expect(decoded.reason.utf8.count == WireCodec.maxTextBytes)
        #expect(long.hasPrefix(decoded.reason))

        var writer = ByteWriter(capacity: WireCodec.maxTextBytes + 32)
        writer.u64(1)
        writer.u64(2)
        writer.blob([UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1))
        expectWireRejected(
            [wireHeader(.cancelJob), writer.bytes],
            .tooLarge,
            "cancelJob: string reason of 1048577 bytes at byte 16 exceeds the limit of 1048576"
        )
    }

    @Test func test_decode_textOver1MiB_isTooLarge() {
        var writer = ByteWriter(capacity: WireCodec.maxTextBytes + 16)
        writer.u8(ProtocolError.Code.malformed.rawValue)
        writer.blob([UInt8](repeating: 0x61, count: WireCodec.maxTextBytes + 1))
        expectWireRejected(
            [wireHeader(.error), writer.bytes],
            .tooLarge,
            "string message of 1048577 bytes at byte 1 exceeds"
        )
    }

    @Test func test_decode_moreThan16Causes_isMalformed() throws {
        let attempt = AttemptRef(subtask: SubtaskRef(job: JobID(7), index: 3), attempt: 1)
        var frames = WireCodec.encode(
            .results([SubtaskResult(attempt: attempt, outcome: .failure(Failure(.server, "x")), usage: 0)])
        )
        // The cause count is the byte before the 8-byte usage.
        frames[1][frames[1].count - 9] = 17
        expectWireRejected(frames, .malformed, "17 causes")
        // Sixteen is the limit, and is accepted.
        let sixteen = Failure(.server, "x", causes: Array(repeating: Failure(.timeout, "t"), count: 16))
        let message = Message.results([SubtaskResult(attempt: attempt, outcome: .failure(sixteen), usage: 0)])
        #expect(try WireCodec.decode(WireCodec.encode(message)) == message)
    }
}
