import HerdCore
import HerdZMQ
import Synchronization

/// The nested jobs that running handlers submitted through their ``SubtaskContext``, each driven by
/// a ``ClientStateMachine`` of its own exactly as a top-level client's job is (a subtask's result
/// is delivered once even if the coordinator repeats it; a cancel asked before the job has an id
/// is sent once it has one), over the worker's own connection.
///
/// The machines' timers are not driven: the worker's liveness check of its coordinator stands in
/// for them (a lost coordinator fails every nested job through ``failAll(_:)``). Handlers' tasks
/// submit and cancel; the worker's loop thread delivers. Actions are performed outside the lock.
final class ChildJobs: Sendable {
    private struct Entry {
        var machine: ClientStateMachine
        var continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
        /// The job's id, once the coordinator accepted it.
        var job: JobID?
    }

    private struct Table {
        var entries: [UInt64: Entry] = [:]
        /// Accepted nested jobs' submission tokens, to route the messages that name the job.
        var tokens: [JobID: UInt64] = [:]
    }

    private let table = Mutex(Table())
    private let clock = LoopClock()
    private let configuration: ClientStateMachine.Configuration
    private let mailbox: Mailbox<WorkerEvent>

    init(endpoint: String, mailbox: Mailbox<WorkerEvent>) {
        self.configuration = ClientStateMachine.Configuration(endpoint: endpoint)
        self.mailbox = mailbox
    }

    /// Submits `submission` (a nested job); its updates go to `continuation` until it finishes.
    func submit(_ submission: Submission, continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation) {
        let token = submission.token
        self.table.withLock { table in
            table.entries[token] = Entry(
                machine: ClientStateMachine(configuration: self.configuration),
                continuation: continuation
            )
        }
        self.handle(.submit(submission), token: token)
    }

    /// Cancels a nested job: at once if the coordinator accepted it, else as soon as it does.
    func cancel(token: UInt64, reason: String) { self.handle(.cancel(reason: reason), token: token) }

    /// Forgets a nested job whose consumer stopped listening without cancelling it.
    func remove(token: UInt64) {
        self.table.withLock { table in
            guard let job = table.entries.removeValue(forKey: token)?.job else { return }
            table.tokens[job] = nil
        }
    }

    /// Routes a message about a nested job to its machine (worker's loop thread).
    func deliver(_ message: Message) {
        let token: UInt64?
        switch message {
        case .accepted(let accepted): token = accepted.token
        case .rejected(let rejection): token = rejection.token
        case .jobResults(let results): token = results.first.flatMap { self.token(of: $0.subtask.job) }
        case .partial(let partial): token = self.token(of: partial.attempt.subtask.job)
        case .jobNotice(let notice): token = self.token(of: notice.job)
        case .jobFinished(let summary): token = self.token(of: summary.job)
        default: token = nil
        }
        if let token { self.handle(.message(message), token: token) }
    }

    /// Fails every nested job (the worker lost its coordinator, or is stopping).
    func failAll(_ failure: Failure) {
        let all = self.table.withLock { table -> [Entry] in
            defer { table = Table() }
            return Array(table.entries.values)
        }
        for entry in all { entry.continuation.finish(throwing: failure) }
    }

    private func token(of job: JobID) -> UInt64? { self.table.withLock { $0.tokens[job] } }

    /// Runs `event` through the nested job's machine under the lock, then performs its actions.
    private func handle(_ event: ClientStateMachine.Event, token: UInt64) {
        let now = self.clock.now()
        let step = self.table.withLock { table -> (Entry, [ClientStateMachine.Action])? in
            guard var entry = table.entries.removeValue(forKey: token) else { return nil }
            let actions = entry.machine.handle(event, now: now)
            for action in actions {
                if case .accepted(let accepted) = action {
                    entry.job = accepted.job
                    table.tokens[accepted.job] = token
                }
            }
            if entry.machine.isDone {
                if let job = entry.job { table.tokens[job] = nil }
            } else {
                table.entries[token] = entry
            }
            return (entry, actions)
        }
        guard let (entry, actions) = step else { return }
        for action in actions { self.perform(action, continuation: entry.continuation) }
    }

    private func perform(
        _ action: ClientStateMachine.Action,
        continuation: AsyncThrowingStream<JobUpdate, any Error>.Continuation
    ) {
        switch action {
        case .send(.submit(let submission)):
            if !self.mailbox.post(.submitChild(submission)) {
                self.remove(token: submission.token)
                continuation.finish(throwing: Failure(.rateLimited, "the worker's queue to the coordinator is full"))
            }
        case .send(.cancelJob(let request)):
            self.mailbox.post(.cancelChild(request))
        case .send, .schedule, .log:
            break  // heartbeats and liveness are the worker connection's (see the type's comment)
        case .accepted(let accepted):
            continuation.yield(.accepted(accepted))
        case .deliver(let results):
            continuation.yield(.results(results))
        case .partial(let partial):
            continuation.yield(.partial(partial))
        case .notice(let notice):
            continuation.yield(.notice(notice.message))
        case .finished(let summary):
            continuation.yield(.finished(summary))
            continuation.finish()
        case .failed(let failure):
            continuation.finish(throwing: failure)
        }
    }
}
