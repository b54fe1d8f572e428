/// Which of a connection's jobs a message from the coordinator is about, when one connection
/// carries many jobs (``ClientStateMachine`` runs one job; HerdRuntime's `ClientConnection` runs
/// one machine per job and routes with this).
///
/// ACCEPTED and REJECTED name the submission's token; results, notices, partial output and
/// JOB-FINISHED name the job, known from its ACCEPTED. Anything else (HEARTBEAT, ERROR) is about
/// the connection as a whole and goes to every job.
public struct ClientJobRouter: Sendable {
    private var tokens: [JobID: UInt64] = [:]

    public init() {}

    /// Notes the job a submission became (on its ACCEPTED).
    public mutating func accepted(_ job: JobID, token: UInt64) { self.tokens[job] = token }

    /// Forgets a job that ended.
    public mutating func forget(_ job: JobID) { self.tokens[job] = nil }

    /// The submission tokens of the jobs `message` is about, each once, in order; an empty list for
    /// a job this connection does not run (late, or foreign); `nil` for a message about the
    /// connection as a whole.
    public func tokens(of message: Message) -> [UInt64]? {
        switch message {
        case .accepted(let accepted): return [accepted.token]
        case .rejected(let rejection): return [rejection.token]
        case .jobResults(let results):
            var tokens: [UInt64] = []
            for result in results {
                if let token = self.tokens[result.subtask.job], !tokens.contains(token) { tokens.append(token) }
            }
            return tokens
        case .jobFinished(let summary): return self.token(of: summary.job)
        case .jobNotice(let notice): return self.token(of: notice.job)
        case .partial(let partial): return self.token(of: partial.attempt.subtask.job)
        default: return nil
        }
    }

    private func token(of job: JobID) -> [UInt64] { self.tokens[job].map { [$0] } ?? [] }

    /// Whether one job's HEARTBEAT should go out on a connection that last sent at `lastSent`: the
    /// coordinator's liveness of a client counts any message from it, so a connection that sent
    /// anything within half a heartbeat interval needs none (with many jobs, one would go per job).
    public static func heartbeatNeeded(lastSent: Instant, now: Instant, interval: Duration) -> Bool {
        lastSent.duration(to: now) >= interval / 2
    }
}
