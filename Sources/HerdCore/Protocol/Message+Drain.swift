// The payloads of the drain exchange (`herd drain`): DRAIN-REQUEST, DRAIN and DRAIN-REPLY.

/// Which workers a drain applies to.
public enum DrainTarget: Hashable, Sendable, CustomStringConvertible {
    case worker(String)
    case node(String)
    case group(String)

    public var description: String {
        switch self {
        case .worker(let id): "worker \(id)"
        case .node(let label): "node \(label)"
        case .group(let name): "group \(name)"
        }
    }
}

/// A request to drain workers.
public struct DrainRequest: Hashable, Sendable {
    public var token: UInt64
    public var target: DrainTarget
    /// How long in-flight subtasks may run before they are cancelled and re-queued elsewhere.
    public var grace: Duration

    public init(token: UInt64, target: DrainTarget, grace: Duration) {
        self.token = token
        self.target = target
        self.grace = grace
    }
}

/// The drain instruction to a worker, or a worker's notice that it drains itself.
public struct DrainOrder: Hashable, Sendable {
    public var grace: Duration

    public init(grace: Duration) { self.grace = grace }
}

/// What happened to one drained worker.
public struct DrainedWorker: Hashable, Sendable {
    public var worker: String
    /// Subtasks it finished after the drain began.
    public var finished: UInt32
    /// Subtasks it gave back (cancelled at the grace's end, or never started), re-queued elsewhere.
    public var moved: [MovedSubtask]

    public init(worker: String, finished: UInt32, moved: [MovedSubtask]) {
        self.worker = worker
        self.finished = finished
        self.moved = moved
    }
}

/// A subtask a drain moved, and the worker it went to ("" while it waits in the queue).
public struct MovedSubtask: Hashable, Sendable {
    public var subtask: SubtaskRef
    public var to: String

    public init(subtask: SubtaskRef, to: String) {
        self.subtask = subtask
        self.to = to
    }
}

/// The answer to a drain request.
public struct DrainReport: Hashable, Sendable {
    public var token: UInt64
    /// Every worker the drain applied to (empty if none matched).
    public var workers: [DrainedWorker]

    public init(token: UInt64, workers: [DrainedWorker]) {
        self.token = token
        self.workers = workers
    }
}
