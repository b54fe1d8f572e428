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
    let partialSink: @Sendable ([UInt8]) -> Void

    /// The payload as UTF-8 text (invalid bytes replaced).
    public var payloadText: String { String(decoding: self.payload, as: UTF8.self) }

    /// Reports units consumed (e.g. LLM tokens); they travel with the result.
    public func reportUsage(_ units: UInt64) { self.meter.add(units) }

    /// Emits partial output (e.g. tokens as they stream) ahead of the result.
    public func emit(_ partial: [UInt8]) { self.partialSink(partial) }

    /// Emits partial output as UTF-8 text.
    public func emit(_ text: String) { self.partialSink(Array(text.utf8)) }
}

/// Accumulates a handler's reported usage.
final class UsageMeter: Sendable {
    private let total = Atomic<UInt64>(0)
    func add(_ units: UInt64) { self.total.wrappingAdd(units, ordering: .relaxed) }
    var value: UInt64 { self.total.load(ordering: .relaxed) }
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
