import Testing

@testable import HerdCore

/// INSPECT (0x36) and INSPECT-REPLY (0x4A), revision 9: the bytes docs/PROTOCOL.md §5.26c/d gives.
@Suite struct WireCodecInspectTests {
    @Test func test_encode_inspect_isTokenThenAnOptionalJob() {
        #expect(
            WireCodec.encode(WireCodecFixtures.inspectAll)
                == [[0x48, 0x44, herdProtocolVersion, 0x36], wireBytes(hex: "07 00 00 00 00 00 00 00 00")]
        )
        #expect(
            WireCodec.encode(WireCodecFixtures.inspectOne)
                == [
                    [0x48, 0x44, herdProtocolVersion, 0x36],
                    wireBytes(hex: "07 00 00 00 00 00 00 00 01 09 00 00 00 00 00 00 00"),
                ]
        )
    }

    @Test func test_encode_inspectReply_isTheDocumentedBytes() throws {
        let reply = Message.inspectReply(
            InspectReply(
                token: 7,
                jobs: [
                    JobDetail(
                        job: JobID(9),
                        group: "g",
                        kind: "k",
                        state: .finished,
                        total: 1,
                        succeeded: 0,
                        failed: 1,
                        cancelled: 0,
                        age: .milliseconds(5),
                        elapsed: .milliseconds(5),
                        subtasks: [
                            SubtaskDetail(
                                index: 0,
                                phase: .failed,
                                attempts: 2,
                                worker: "w",
                                elapsed: .milliseconds(2),
                                failure: Failure(.server, "x").causedBy([Failure(.transient, "y")])
                            )
                        ]
                    )
                ]
            )
        )
        let body = wireBytes(
            hex: "07 00 00 00 00 00 00 00 "  // token
                + "01 00 00 00 "  // one job
                + "09 00 00 00 00 00 00 00 01 00 00 00 67 01 00 00 00 6b "  // job 9, group g, kind k
                + "03 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 "  // finished, total 1, 0 ok, 1 failed, 0 cancelled
                + "05 00 00 00 00 00 00 00 01 05 00 00 00 00 00 00 00 00 "  // age 5 ms, elapsed 5 ms, no reason
                + "01 00 00 00 "  // one subtask
                + "00 00 00 00 04 02 00 00 00 01 00 00 00 77 01 02 00 00 00 00 00 00 00 "  // 0 failed ×2 on w, 2 ms
                + "01 06 01 00 00 00 78 00 01 01 01 00 00 00 79 00"  // server "x", caused by transient "y"
        )
        #expect(WireCodec.encode(reply) == [[0x48, 0x44, herdProtocolVersion, 0x4A], body])
        #expect(try wireRoundTrip(reply) == reply)
    }

    @Test func test_encode_health_isABoolThenTheReason() {
        #expect(
            WireCodec.encode(.health(HealthReport(healthy: false, reason: "no")))
                == [[0x48, 0x44, herdProtocolVersion, 0x06], wireBytes(hex: "00 02 00 00 00 6e 6f")]
        )
    }

    @Test func test_decode_inspectReply_unknownStateOrPhase_isMalformed() {
        var body = wireBody(WireCodecFixtures.inspectReply)
        // The first job's state byte: token 8, count 4, job 8, group (4 + 6 bytes "gpu-ü"), kind (4 + 5).
        let stateOffset = 8 + 4 + 8 + 4 + "gpu-ü".utf8.count + 4 + 5
        #expect(body[stateOffset] == 2)
        body[stateOffset] = 9
        #expect(throws: ProtocolError.self) {
            try WireCodec.decode([[0x48, 0x44, herdProtocolVersion, 0x4A], body])
        }
    }
}
