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

    public init(group: String, kind: String, payloads: PayloadSource, timeout: Duration? = nil) {
        self.group = group
        self.kind = kind
        self.payloads = payloads
        self.timeout = timeout
    }

    /// `count` subtasks whose payload is `template` with `{index}` replaced by the subtask's index.
    public init(group: String, kind: String, template: String, count: Int, timeout: Duration? = nil) {
        self.init(group: group, kind: kind, payloads: .template(Array(template.utf8), count: UInt32(clamping: count)), timeout: timeout)
    }
}

/// What happens to a submitted job, in order: accepted, results (in batches), finished.
public enum JobUpdate: Sendable, Hashable {
    case accepted(Accepted)
    /// Committed results; each subtask appears exactly once over the whole run.
    case results([JobResult])
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

    public init(endpoint: String, logger: Logger = Logger(label: "herd.client"), connectTimeout: Duration = .seconds(5)) {
        self.endpoint = endpoint
        self.logger = logger
        self.connectTimeout = connectTimeout
    }

    /// Submits a job. Iterate the returned run to drive it; stopping the iteration stops listening.
    public func submit(_ spec: JobSpec) -> JobRun {
        JobRun(client: self, spec: spec)
    }

    /// Asks the coordinator for a snapshot of workers, groups and jobs.
    public func status() async throws -> StatusReport {
        try await StatusRequest.run(endpoint: self.endpoint, timeout: self.connectTimeout)
    }
}

/// A submitted job: an `AsyncSequence` of ``JobUpdate``s that ends after `.finished`, or throws a
/// ``HerdCore/Failure`` if the job was rejected or the coordinator was lost.
public struct JobRun: AsyncSequence, Sendable {
    public typealias Element = JobUpdate
    private let stream: AsyncThrowingStream<JobUpdate, any Error>

    init(client: HerdClient, spec: JobSpec) {
        let (stream, continuation) = AsyncThrowingStream<JobUpdate, any Error>.makeStream()
        self.stream = stream
        ClientJobLoop.start(client: client, spec: spec, continuation: continuation)
    }

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
