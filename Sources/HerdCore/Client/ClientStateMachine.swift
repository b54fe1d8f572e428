/// A client's side of one job: submit, wait for acceptance, collect results, finish.
///
/// Pure like the coordinator and worker machines. It fails the job with a clear reason when the
/// coordinator does not answer the submission within `connectTimeout`, or goes silent for longer
/// than `coordinatorLiveness` while the job runs.
public struct ClientStateMachine: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// The endpoint, for error messages.
        public var endpoint: String
        /// How long to wait for ACCEPTED/REJECTED.
        public var connectTimeout: Duration
        public var heartbeatInterval: Duration
        /// Coordinator silence tolerated while the job runs.
        public var coordinatorLiveness: Duration
        /// How often SUBMIT is sent again, with the same token, while neither ACCEPTED nor REJECTED
        /// came back: a coordinator that crashed before it journaled the job never saw it, one that
        /// crashed after journaling it answers ACCEPTED for the job it has (it deduplicates by
        /// client and token, docs/PROTOCOL.md §5.9). Not more often: a SUBMIT can be large.
        public var submitRetry: Duration

        public init(
            endpoint: String,
            connectTimeout: Duration = .seconds(5),
            heartbeatInterval: Duration = .milliseconds(250),
            coordinatorLiveness: Duration = .seconds(5),
            submitRetry: Duration = .seconds(1)
        ) {
            self.endpoint = endpoint
            self.connectTimeout = connectTimeout
            self.heartbeatInterval = heartbeatInterval
            self.coordinatorLiveness = coordinatorLiveness
            self.submitRetry = submitRetry
        }
    }

    public enum Timer: Hashable, Sendable { case tick }

    public enum Event: Hashable, Sendable {
        case submit(Submission)
        case message(Message)
        case undecodable(ProtocolError)
        case timer(Timer)
        /// Cancel the job (Ctrl-C, the consumer stopped listening): CANCEL-JOB is sent as soon as
        /// the job has an id, and the run ends with JOB-FINISHED once every attempt has stopped.
        case cancel(reason: String)
    }

    public enum Action: Hashable, Sendable {
        case send(Message)
        case schedule(Timer, at: Instant)
        case accepted(Accepted)
        case deliver([JobResult])
        /// Partial output of a running subtask.
        case partial(PartialOutput)
        /// Something the coordinator wants the client to know while the job waits.
        case notice(JobNotice)
        /// The job ended normally; no more actions follow.
        case finished(JobSummary)
        /// The job could not run or lost its coordinator; no more actions follow.
        case failed(Failure)
        case log(LogLine)
    }

    enum State: Hashable {
        /// Nothing submitted yet. Can transition to: submitting.
        case idle
        /// SUBMIT sent at `since`. Can transition to: running, done.
        case submitting(token: UInt64, since: Instant)
        /// ACCEPTED received. Can transition to: done.
        case running(Accepted)
        /// Finished or failed. Terminal.
        case done
    }

    public let configuration: Configuration
    var state: State = .idle
    var lastHeard: Instant = .zero
    var lastSent: Instant = .zero
    var received: Set<UInt32> = []
    /// Set once the client asked to cancel; sent when the job id is known.
    var cancelReason: String?
    var cancelSent = false
    /// When CANCEL-JOB was last sent: it is sent again every `submitRetry` until JOB-FINISHED, since
    /// a coordinator that crashed before journaling it restarts with the job still running (found
    /// by the simulator, seed 686). The coordinator answers each requester once.
    var cancelSentAt: Instant?
    /// The SUBMIT, kept until it is answered (it is sent again every `submitRetry`).
    var submission: Submission?

    public init(configuration: Configuration) { self.configuration = configuration }

    public var isDone: Bool { self.state == .done }

    public mutating func handle(_ event: Event, now: Instant) -> [Action] {
        var actions: [Action] = []
        switch (self.state, event) {
        case (.idle, .submit(let submission)):
            self.state = .submitting(token: submission.token, since: now)
            self.submission = submission
            self.lastHeard = now
            self.send(.submit(submission), now: now, into: &actions)
            actions.append(.schedule(.tick, at: now + self.configuration.heartbeatInterval))
        case (.done, _), (.idle, _):
            break
        case (_, .submit):
            preconditionFailure("a ClientStateMachine runs one job")
        case (_, .message(let message)):
            self.lastHeard = now
            self.received(message, now: now, into: &actions)
        case (_, .undecodable(let error)):
            actions.append(
                .log(LogLine(.warning, "undecodable message from coordinator", ["error": error.description]))
            )
        case (_, .timer(.tick)):
            self.tick(now: now, into: &actions)
        case (_, .cancel(let reason)):
            self.cancelReason = self.cancelReason ?? reason
            self.sendCancelIfReady(now: now, into: &actions)
        }
        return actions
    }

    mutating func received(_ message: Message, now: Instant, into actions: inout [Action]) {
        switch (self.state, message) {
        case (.submitting(let token, _), .accepted(let accepted)) where accepted.token == token:
            self.state = .running(accepted)
            self.submission = nil
            actions.append(.accepted(accepted))
            self.sendCancelIfReady(now: now, into: &actions)
        case (.submitting(let token, _), .rejected(let rejection)) where rejection.token == token:
            self.state = .done
            self.submission = nil
            actions.append(.failed(rejection.failure))
        case (.running(let accepted), .jobResults(let results)):
            // Deliver each subtask once even if the coordinator misbehaved.
            let fresh = results.filter {
                $0.subtask.job == accepted.job && self.received.insert($0.subtask.index).inserted
            }
            if !fresh.isEmpty { actions.append(.deliver(fresh)) }
        case (.running(let accepted), .jobNotice(let notice)) where notice.job == accepted.job:
            actions.append(.notice(notice))
        case (.running(let accepted), .partial(let partial)) where partial.attempt.subtask.job == accepted.job:
            if !self.received.contains(partial.attempt.subtask.index) { actions.append(.partial(partial)) }
        case (.running(let accepted), .jobFinished(let summary)) where summary.job == accepted.job:
            self.state = .done
            actions.append(.finished(summary))
        case (.running, .error(let error)) where error.code == .unknownPeer:
            self.state = .done
            actions.append(
                .failed(
                    Failure(
                        .network,
                        "the coordinator at \(self.configuration.endpoint) no longer knows this job (it restarted?)"
                    )
                )
            )
        case (.submitting, .error(let error)) where error.code == .notAllowed,
            (.running, .error(let error)) where error.code == .notAllowed:
            self.state = .done
            actions.append(.failed(Failure(.auth, error.message)))
        case (_, .error(let error)):
            actions.append(.log(LogLine(.warning, "coordinator reported an error", ["error": error.description])))
        default:
            break  // heartbeats, and late or foreign messages
        }
    }

    mutating func tick(now: Instant, into actions: inout [Action]) {
        let config = self.configuration
        switch self.state {
        case .submitting(_, let since) where since.duration(to: now) >= config.connectTimeout:
            self.state = .done
            actions.append(
                .failed(
                    Failure(
                        .network,
                        "no coordinator at \(config.endpoint) after \(Self.seconds(config.connectTimeout))"
                    )
                )
            )
            return
        case .submitting where self.lastSent.duration(to: now) >= config.submitRetry:
            if let submission = self.submission { self.send(.submit(submission), now: now, into: &actions) }
        case .running where self.lastHeard.duration(to: now) > config.coordinatorLiveness:
            self.state = .done
            actions.append(
                .failed(
                    Failure(
                        .network,
                        "lost the coordinator at \(config.endpoint): silent for \(Self.seconds(config.coordinatorLiveness))"
                    )
                )
            )
            return
        case .running:
            if self.cancelSent { self.sendCancelIfReady(now: now, into: &actions) }
            if self.lastSent.duration(to: now) + config.heartbeatInterval / 2 >= config.heartbeatInterval {
                self.send(.heartbeat, now: now, into: &actions)
            }
        default:
            break
        }
        actions.append(.schedule(.tick, at: now + config.heartbeatInterval))
    }

    mutating func sendCancelIfReady(now: Instant, into actions: inout [Action]) {
        guard let reason = self.cancelReason, case .running(let accepted) = self.state else { return }
        if self.cancelSent, let at = self.cancelSentAt, at.duration(to: now) < self.configuration.submitRetry { return }
        self.cancelSent = true
        self.cancelSentAt = now
        self.send(
            .cancelJob(CancelJob(token: accepted.token, job: accepted.job, reason: reason)),
            now: now,
            into: &actions
        )
    }

    mutating func send(_ message: Message, now: Instant, into actions: inout [Action]) {
        self.lastSent = now
        actions.append(.send(message))
    }

    /// "5 s", "1.5 s": how durations read in user-facing messages.
    public static func seconds(_ duration: Duration) -> String {
        let ms = duration.nanosecondsClamped / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
    }
}
