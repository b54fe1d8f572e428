import HerdCore
import Synchronization

/// What a handler is given for one attempt at one subtask.
///
/// Cancellation arrives as Swift task cancellation: a cancelled job, a worker-side deadline or a
/// worker stop cancels the handler's task. Handlers should let `CancellationError` propagate (or
/// check `Task.isCancelled`) and return promptly.
public struct SubtaskContext: Sendable {
    public let job: JobID
    /// The subtask's index in its job.
    public let index: UInt32
    /// 1 for the first dispatch; higher after a re-dispatch.
    public let attempt: UInt32
    public let kind: String
    public let payload: [UInt8]
    /// When the subtask must be done, on this host's clock; `nil` if it has no deadline.
    public let deadline: ContinuousClock.Instant?
    /// The worker running it, and its group.
    public let worker: String
    public let group: String

    let meter: UsageMeter
    let partialSink: @Sendable ([UInt8], UInt64) async -> Void
    let submitter: @Sendable (JobSpec) -> JobRun

    /// The payload as UTF-8 text (invalid bytes replaced).
    public var payloadText: String { String(decoding: self.payload, as: UTF8.self) }

    /// Reports units consumed (e.g. LLM tokens); they travel with the result.
    public func reportUsage(_ units: UInt64) { self.meter.add(units) }

    /// Emits partial output (e.g. tokens as they stream) ahead of the result. It reaches the
    /// job's client while this attempt is current and not cancelled, with the usage reported
    /// since the previous emit. Suspends while the worker's queue to the coordinator is full.
    public func emit(_ partial: [UInt8]) async { await self.partialSink(partial, self.meter.take()) }

    /// Emits partial output as UTF-8 text.
    public func emit(_ text: String) async { await self.emit(Array(text.utf8)) }

    /// Submits a nested job on behalf of this attempt: a subtask fanning out subtasks of its own,
    /// to any group. Its deadline is at most this attempt's; when this attempt ends (result,
    /// failure, cancellation) the coordinator cancels whatever of it is unfinished: no orphans.
    public func submit(_ job: JobSpec) -> JobRun { self.submitter(job) }
}

/// Accumulates a handler's reported usage.
final class UsageMeter: Sendable {
    private let pending = Atomic<UInt64>(0)
    func add(_ units: UInt64) { self.pending.wrappingAdd(units, ordering: .relaxed) }
    /// The usage reported since the last call (each unit travels once: with a partial output or the result).
    func take() -> UInt64 { self.pending.exchange(0, ordering: .relaxed) }
}

/// A Swift subtask handler: returns the result bytes or throws.
///
/// Throw a ``HerdCore/Failure`` to choose the category (e.g. `Failure(.rateLimited, "429",
/// retryAfter: .seconds(2))`); any other error is classified by ``classify(_:)``.
public typealias SubtaskHandler = @Sendable (SubtaskContext) async throws -> [UInt8]

/// Classifies an error thrown by a handler.
///
/// - `Failure`: as thrown.
/// - `CancellationError`: `cancelled`.
/// - anything else: `unknown`, with the error's description as the message.
public func classify(_ error: any Error) -> Failure {
    switch error {
    case let failure as Failure: failure
    case is CancellationError: Failure(.cancelled, "cancelled")
    default: Failure(.unknown, String(describing: error))
    }
}
