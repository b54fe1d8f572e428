import HerdCore
import Synchronization

/// The nested jobs that running handlers submitted through their ``SubtaskContext``, and the
/// streams their updates go to. The worker's loop thread delivers; handlers' tasks register.
final class ChildJobs: Sendable {
    private struct Entry {
        var continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
        var job: JobID?
    }

    private let entries = Mutex<[UInt64: Entry]>([:])

    /// Tracks a submission until its job finishes.
    func register(token: UInt64, continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation) {
        self.entries.withLock { $0[token] = Entry(continuation: continuation) }
    }

    func remove(token: UInt64) { _ = self.entries.withLock { $0.removeValue(forKey: token) } }

    /// The job id of a submission, once accepted.
    func job(for token: UInt64) -> JobID? { self.entries.withLock { $0[token]?.job } }

    /// Routes a message about a nested job to the handler waiting on it.
    func deliver(_ message: Message) {
        switch message {
        case .accepted(let accepted):
            let continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation? = self.entries.withLock { entries in
                entries[accepted.token]?.job = accepted.job
                return entries[accepted.token]?.continuation
            }
            continuation?.yield(.accepted(accepted))
        case .rejected(let rejection):
            let entry = self.entries.withLock { $0.removeValue(forKey: rejection.token) }
            entry?.continuation.finish(throwing: rejection.failure)
        case .jobResults(let results):
            guard let job = results.first?.subtask.job else { return }
            self.continuation(for: job)?.yield(.results(results))
        case .partial(let partial):
            self.continuation(for: partial.attempt.subtask.job)?.yield(.partial(partial))
        case .jobNotice(let notice):
            self.continuation(for: notice.job)?.yield(.notice(notice.message))
        case .jobFinished(let summary):
            let entry = self.entries.withLock { entries -> Entry? in
                guard let token = entries.first(where: { $0.value.job == summary.job })?.key else { return nil }
                return entries.removeValue(forKey: token)
            }
            entry?.continuation.yield(.finished(summary))
            entry?.continuation.finish()
        default:
            break
        }
    }

    /// Fails every nested job (the worker lost its coordinator, or is stopping).
    func failAll(_ failure: Failure) {
        let all = self.entries.withLock { entries -> [Entry] in
            defer { entries.removeAll() }
            return Array(entries.values)
        }
        for entry in all { entry.continuation.finish(throwing: failure) }
    }

    private func continuation(for job: JobID) -> AsyncThrowingStream<JobUpdate, any Error>.Continuation? {
        self.entries.withLock { $0.values.first { $0.job == job }?.continuation }
    }
}
