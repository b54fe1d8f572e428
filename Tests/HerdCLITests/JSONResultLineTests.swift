import HerdCore
import Testing

@testable import herd

/// `herd submit --json`'s hand-written success lines are byte for byte what `JSONEncoder` writes.
@Suite struct JSONResultLineTests {
    static let outputs: [[UInt8]] = [
        Array("hello".utf8), [], Array(#"quote " and back\slash / slash"#.utf8),
        Array("line\nbreak\r\ttab\u{08}\u{0C}\u{01}\u{1F}\u{7F}".utf8), Array("héllo wörld ✓ 🐑".utf8),
        [0xFF, 0xFE, 0x41, 0xC3], Array(repeating: UInt8(ascii: "x"), count: 300),
    ]

    @Test(arguments: outputs)
    func matchesJSONEncoder(_ output: [UInt8]) {
        let output0 = SubmitOutput(json: true, quiet: false, total: 1)
        for (attempts, worker, fallback, job, index) in [
            (UInt32(1), "w1", FallbackSource?.none, UInt64(1), UInt32(0)),
            (12, "wörker \"9\"", .group("backup"), 1_234_567_890_123, 4_000_000_000),
            (3, "", .lastGood, 10, 9), (1, "n/a", .staticValue, 99, 100),
        ] {
            let result = JobResult(
                subtask: SubtaskRef(job: JobID(job), index: index),
                attempts: attempts,
                worker: worker,
                outcome: .success(output),
                fallback: fallback
            )
            var line: [UInt8] = []
            JSONResultLine.appendSuccess(result, output: output, to: &line)
            #expect(String(decoding: line, as: UTF8.self) == output0.jsonLine(result))
        }
    }
}
