import HerdCore
import HerdZMQ
import Logging

/// A fan-out job to submit.
public struct JobSpec: Sendable, Hashable {
    public var group: String
    public var kind: String
    public var payloads: PayloadSource
    /// Each subtask's time limit from acceptance (enforced by worker and coordinator).
    public var timeout: Duration?
    /// When the job is done: all, fail-fast, first, quorum:K.
    public var policy: FanoutPolicy
    /// Units (e.g. tokens) the whole job may consume.
    public var budget: UInt64?

    public init(
        group: String,
        kind: String,
        payloads: PayloadSource,
        timeout: Duration? = nil,
        policy: FanoutPolicy = .all,
        budget: UInt64? = nil
    ) {
        self.group = group
        self.kind = kind
        self.payloads = payloads
        self.timeout = timeout
        self.policy = policy
        self.budget = budget
    }

    /// `count` subtasks whose payload is `template` with `{index}` replaced by the subtask's index.
    public init(
        group: String,
        kind: String,
        template: String,
        count: Int,
        timeout: Duration? = nil,
        policy: FanoutPolicy = .all,
        budget: UInt64? = nil
    ) {
        self.init(
            group: group,
            kind: kind,
            payloads: .template(Array(template.utf8), count: UInt32(clamping: count)),
            timeout: timeout,
            policy: policy,
            budget: budget
        )
    }
}

extension JobSpec {
    /// The SUBMIT of this spec, under `token` (and, for a nested job, its parent attempt).
    func submission(token: UInt64, parent: AttemptRef? = nil) -> Submission {
        Submission(
            token: token,
            group: self.group,
            kind: self.kind,
            payloads: self.payloads,
            timeout: self.timeout,
            policy: self.policy,
            budget: self.budget,
            parent: parent
        )
    }
}

/// What happens to a submitted job, in order: accepted, results (in batches), finished.
public enum JobUpdate: Sendable, Hashable {
    case accepted(Accepted)
    /// Committed results; each subtask appears exactly once over the whole run.
    case results([JobResult])
    /// Output of a running subtask, ahead of its result.
    case partial(PartialOutput)
    /// Why the job waits (e.g. its group has no live worker).
    case notice(String)
    case finished(JobSummary)
}

/// Talks to a coordinator: submits jobs and asks for status.
///
/// ```swift
/// let client = HerdClient(endpoint: "tcp://127.0.0.1:5555")
/// let run = client.submit(JobSpec(group: "agents", kind: "echo", template: "hello {index}", count: 10))
/// for try await result in run.results { print(result.subtask.index, result.outcome) }
/// ```
public struct HerdClient: Sendable {
    public let endpoint: String
    public let logger: Logger
    /// How long to wait for the coordinator to answer before failing with a `network` error.
    public var connectTimeout: Duration

    /// How long a running job's coordinator may stay silent (a restart on its journal, a network
    /// cut) before the job fails with a `network` error; within it the client re-attaches.
    public var reconnectWindow: Duration

    /// CURVE: this client's key pair and the coordinator's public key; `nil` for a coordinator
    /// that runs without security (`--insecure`).
    public var security: CurveSecurity?

    /// The connections this client's jobs share (copies of the client share them too).
    private let connections = ClientConnections()

    public init(
        endpoint: String,
        logger: Logger = Logger(label: "herd.client"),
        connectTimeout: Duration = .seconds(5),
        reconnectWindow: Duration = .seconds(30),
        security: CurveSecurity? = nil
    ) {
        self.security = security
        self.endpoint = endpoint
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.reconnectWindow = reconnectWindow
    }

    /// Submits a job. Iterate the returned run to drive it. If the iterating task is cancelled
    /// (or stops iterating), the job is cancelled on the coordinator and on every worker.
    ///
    /// Every job of a client (and of its copies) shares one connection to the coordinator, made by
    /// the first submission (``ClientConnections``).
    public func submit(_ spec: JobSpec) -> JobRun {
        let (stream, continuation) = AsyncThrowingStream<JobUpdate, any Error>.makeStream()
        let connection: ClientConnection
        do {
            connection = try self.connections.connection(
                endpoint: self.endpoint,
                security: self.security,
                logger: self.logger
            )
        } catch {
            continuation.finish(throwing: error)
            return JobRun(stream: stream, cancel: { _ in })
        }
        let token = RequestReply.newToken()
        let connections = self.connections
        continuation.onTermination = { termination in
            if case .cancelled = termination {
                connection.post(.cancelAndForget(token: token, reason: "the client stopped listening"))
            }
            withExtendedLifetime(connections) {}  // the connection lives while a run does
        }
        let job = ClientConnection.Job(
            submission: spec.submission(token: token),
            connectTimeout: self.connectTimeout,
            reconnectWindow: self.reconnectWindow,
            continuation: continuation
        )
        if !connection.post(.submit(job)) {
            continuation.finish(
                throwing: Failure(.transient, "too many submissions waiting for the connection to \(self.endpoint)")
            )
        }
        return JobRun(stream: stream, cancel: { reason in connection.post(.cancel(token: token, reason: reason)) })
    }

    /// Cancels a job by id (any job, not only this client's) and waits until every one of its
    /// attempts, nested jobs included, has stopped. Returns `nil` if no such job is running.
    public func cancel(
        job: JobID,
        reason: String = "cancelled on request",
        timeout: Duration = .seconds(60)
    ) async throws -> CancelReply? {
        let token = RequestReply.newToken()
        let reply = try await RequestReply.run(
            endpoint: self.endpoint,
            security: self.security,
            request: .cancelJob(CancelJob(token: token, job: job, reason: reason)),
            timeout: timeout
        ) { message -> CancelReply? in
            if case .cancelReply(let reply) = message, reply.token == token { return reply }
            return nil
        }
        return reply.found ? reply : nil
    }

    /// Sends an operator command to a circuit breaker (`/`, `GROUP` or `GROUP/WORKER`).
    public func breaker(_ action: BreakerCommand.Action, path: String) async throws -> BreakerReply {
        let token = RequestReply.newToken()
        return try await RequestReply.run(
            endpoint: self.endpoint,
            security: self.security,
            request: .breaker(BreakerCommand(token: token, action: action, path: path)),
            timeout: self.connectTimeout
        ) { message -> BreakerReply? in
            if case .breakerReply(let reply) = message, reply.token == token { return reply }
            return nil
        }
    }

    /// A job's committed results as the coordinator keeps them (a journaling coordinator keeps
    /// every job's, a finished one's for its retention): for a client that was killed, or any other.
    public func results(job: JobID) async throws -> ResultsReply {
        let token = RequestReply.newToken()
        return try await RequestReply.run(
            endpoint: self.endpoint,
            security: self.security,
            request: .resultsRequest(ResultsRequest(token: token, job: job)),
            timeout: self.connectTimeout
        ) { message -> ResultsReply? in
            if case .resultsReply(let reply) = message, reply.token == token { return reply }
            return nil
        }
    }

    /// The coordinator's view of jobs (INSPECT): `job` in detail with its subtasks, or, for `nil`,
    /// every running and recently finished job.
    public func inspect(job: JobID?) async throws -> InspectReply {
        let token = RequestReply.newToken()
        return try await RequestReply.run(
            endpoint: self.endpoint,
            security: self.security,
            request: .inspect(InspectRequest(token: token, job: job)),
            timeout: self.connectTimeout
        ) { message -> InspectReply? in
            if case .inspectReply(let reply) = message, reply.token == token { return reply }
            return nil
        }
    }

    /// Drains workers (one, a node's, or a group's) and waits until every one of them has left.
    /// In-flight subtasks may finish within `grace`; the rest are cancelled and re-queued elsewhere.
    public func drain(_ target: DrainTarget, grace: Duration, timeout: Duration? = nil) async throws -> DrainReport {
        let token = RequestReply.newToken()
        return try await RequestReply.run(
            endpoint: self.endpoint,
            security: self.security,
            request: .drain(DrainRequest(token: token, target: target, grace: grace)),
            timeout: timeout ?? grace + .seconds(30)
        ) { message -> DrainReport? in
            if case .drainReply(let report) = message, report.token == token { return report }
            return nil
        }
    }

}

/// A submitted job: an `AsyncSequence` of ``JobUpdate``s that ends after `.finished`, or throws a
/// ``HerdCore/Failure`` if the job was rejected or the coordinator was lost.
public struct JobRun: AsyncSequence, Sendable {
    public typealias Element = JobUpdate
    private let stream: AsyncThrowingStream<JobUpdate, any Error>

    private let canceller: @Sendable (String) -> Void

    init(stream: AsyncThrowingStream<JobUpdate, any Error>, cancel: @escaping @Sendable (String) -> Void) {
        self.stream = stream
        self.canceller = cancel
    }

    /// Cancels the job everywhere. The run goes on to deliver what was already committed and ends
    /// with `.finished` (reason `cancelled`) once every attempt has confirmed it stopped.
    public func cancel(reason: String = "cancelled by the client") { self.canceller(reason) }

    public func makeAsyncIterator() -> AsyncThrowingStream<JobUpdate, any Error>.AsyncIterator {
        self.stream.makeAsyncIterator()
    }

    /// The results alone, one element per subtask.
    public var results: AsyncThrowingFlatMapSequence<JobRun, AsyncThrowingStream<JobResult, any Error>> {
        self.flatMap { update in
            AsyncThrowingStream<JobResult, any Error> { continuation in
                if case .results(let results) = update { for result in results { continuation.yield(result) } }
                continuation.finish()
            }
        }
    }
}

/// A random routing id for a client socket.
func clientRoutingID() -> [UInt8] {
    var rng = SystemRandomNumberGenerator()
    return Array("client-\(String(UInt64.random(in: 0 ... .max, using: &rng), radix: 16))".utf8)
}
