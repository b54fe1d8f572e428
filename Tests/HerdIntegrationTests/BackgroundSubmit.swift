import HerdTestKit

/// What a `herd submit --json` printed, as plain values (a task can hand them over).
struct SubmitOutcome: Sendable {
    var status: Int32
    /// Each result line's subtask index, in the order printed.
    var indexes: [Int]
    /// Each result line's status (`ok`, `error`, `cancelled`), in the same order.
    var statuses: [String]
    /// The summary's counts (`succeeded`, `failed`, `cancelled`, …); empty if none was printed.
    var summary: [String: Int]

    /// Results printed with status `ok`.
    var ok: Int { self.statuses.count { $0 == "ok" } }

    /// Whether every subtask of `total` was printed, each exactly once.
    func everyResultOnce(of total: Int) -> Bool {
        self.indexes.count == total && Set(self.indexes) == Set(0 ..< total)
    }
}

/// `herd submit --json ARGUMENTS` running in the background while a test does something to the
/// cluster at a chosen moment: ``waitForResults(_:)`` returns once that many results were printed.
final class BackgroundSubmit: Sendable {
    private let task: Task<SubmitOutcome, any Error>
    private let printed: AsyncStream<Int>

    init(_ cluster: TestCluster, _ arguments: [String]) {
        let (printed, continuation) = AsyncStream<Int>.makeStream()
        self.printed = printed
        self.task = Task {
            var count = 0
            defer { continuation.finish() }
            let run = try await cluster.submit(arguments) { _ in
                count += 1
                continuation.yield(count)
            }
            return SubmitOutcome(
                status: run.status,
                indexes: run.results.indexes,
                statuses: run.results.compactMap { $0["status"] as? String },
                summary: (run.summary ?? [:]).compactMapValues { $0 as? Int }
            )
        }
    }

    /// Returns once `count` results were printed (or the submit ended before that).
    func waitForResults(_ count: Int) async {
        for await printed in self.printed where printed >= count { return }
    }

    /// The outcome, once `herd submit` exited.
    var outcome: SubmitOutcome {
        get async throws { try await self.task.value }
    }
}
