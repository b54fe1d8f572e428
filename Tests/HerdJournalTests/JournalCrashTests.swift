import Foundation
import HerdJournal
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of a process in the middle of writing loses no committed batch and tears none.
@Suite struct JournalCrashTests {
    /// The `HerdJournalCrashWriter` executable built beside the test runner.
    static let writer: String = {
        let runner =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent("HerdJournalCrashWriter")
            .path
    }()

    /// What the writer's journal holds after its batch `last` (see its `main.swift`): batch `n`
    /// appends `n % 5 + 1` entries of job `n`; batch `n` (a multiple of 3 above 10) forgets job `n - 10`.
    static func expected(afterBatch last: UInt64) -> [JournalEntry] {
        guard last > 0 else { return [] }
        return (1 ... last).flatMap { batch -> [JournalEntry] in
            let forgetter = batch + 10
            if forgetter <= last && forgetter % 3 == 0 { return [] }
            return (0 ..< (batch % 5 + 1)).map { JournalEntry(job: batch, body: bytes("batch \(batch) entry \($0)")) }
        }
    }

    /// Three times: start the writer (on the same journal each time, so later runs also recover
    /// and continue a killed one), let it report a random number of commits (≥ 200), `kill -9`
    /// it at once or after a short random delay, then reopen. Every reported batch is there, and
    /// the journal is exactly the state after one whole batch: the last reported, or the next one
    /// (committed, killed before it was printed).
    @Test func test_kill9_whileWriting_keepsEveryCommittedBatchAndTearsNone() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("crash.journal")
            var generator = SystemRandomNumberGenerator()
            for round in 1 ... 3 {
                // Each run starts again at batch 1: clear what the previous one left.
                if round > 1 {
                    let store = try JournalStore(path: path)
                    try store.write([], forgetting: try Set(store.readAll().map(\.job)).sorted())
                    store.close()
                }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Self.writer)
                process.arguments = [path]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.standardError
                try process.run()

                let threshold = Int.random(in: 200 ... 2_000, using: &generator)
                var text = ""
                while text.split(separator: "\n").count < threshold {
                    let chunk = output.fileHandleForReading.availableData
                    guard !chunk.isEmpty else { break }  // the writer died on its own
                    text += String(decoding: chunk, as: UTF8.self)
                }
                usleep(UInt32.random(in: 0 ... 20_000, using: &generator))
                kill(process.processIdentifier, SIGKILL)
                text += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(
                    process.terminationReason == .uncaughtSignal,
                    "round \(round): the writer exited by itself (\(process.terminationStatus))"
                )

                // Only whole lines were reported (a line cut by the kill was never finished).
                let reported = text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { UInt64($0) }
                let lastReported = reported.last ?? 0
                #expect(reported == Array((0 ..< lastReported).map { $0 + 1 }))
                #expect(reported.count >= threshold, "round \(round)")

                let store = try JournalStore(path: path)
                defer { store.close() }
                let entries = try store.readAll()
                let lastInJournal = entries.map(\.job).max() ?? 0
                #expect(
                    lastInJournal == lastReported || lastInJournal == lastReported + 1,
                    "round \(round): reported \(lastReported), journal ends at batch \(lastInJournal)"
                )
                #expect(
                    entries == Self.expected(afterBatch: lastInJournal),
                    "round \(round): not the state after batch \(lastInJournal)"
                )
                #expect(store.size().entries == entries.count)
            }
        }
    }

    /// The oracle itself, on a small case.
    @Test func test_expected_smallCase() {
        #expect(Self.expected(afterBatch: 0) == [])
        #expect(Self.expected(afterBatch: 1).count == 2)
        // Batch 12 forgets job 2; batch 15 forgets job 5.
        #expect(Set(Self.expected(afterBatch: 15).map(\.job)) == Set(1 ... 15).subtracting([2, 5]))
    }
}
