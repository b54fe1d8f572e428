import HerdCore
import HerdZMQ

/// What a worker process needs to run.
public struct WorkerOptions: Sendable {
    /// The coordinator's endpoint.
    public var endpoint: String
    public var workerID: String
    public var group: String
    public var node: String
    /// Subtasks run at once.
    public var capacity: UInt32
    /// Swift handlers by kind (the built-ins are added unless replaced).
    public var handlers: [String: SubtaskHandler]
    /// Operator-declared exec kinds: each subtask runs the command as a child process.
    public var execCommands: [ExecCommand]
    /// How long an exec child has between SIGTERM and SIGKILL when cancelled.
    /// The default ``killGrace``: 2 s between SIGTERM and SIGKILL.
    public static let defaultKillGrace: Duration = .seconds(2)
    public var killGrace: Duration
    /// When the worker drains itself (SIGTERM, ``WorkerService/stop()``), how long in-flight
    /// subtasks may run before they are given back to be re-queued elsewhere.
    public var drainGrace: Duration = .seconds(10)
    /// A health probe run through `/bin/sh -c` every ``healthInterval``: exit status 0 is healthy
    /// (`herd worker --health`). `nil`: no probe.
    public var health: String?
    /// How often the health probe runs.
    public var healthInterval: Duration = .seconds(10)
    /// Record `herd_worker_*` metrics through swift-metrics (`herd worker --metrics` serves them).
    public var metrics = false
    public var maxMessageBytes: Int
    /// CURVE: the worker's key pair and the coordinator's public key; `nil` for a coordinator that
    /// runs without security (`--insecure`).
    public var security: CurveSecurity?

    public init(
        endpoint: String,
        workerID: String = WorkerOptions.defaultWorkerID(),
        group: String,
        node: String = WorkerOptions.hostName(),
        capacity: UInt32 = 4,
        handlers: [String: SubtaskHandler] = [:],
        execCommands: [ExecCommand] = [],
        killGrace: Duration = WorkerOptions.defaultKillGrace,
        maxMessageBytes: Int = WireCodec.defaultMaxMessageBytes
    ) {
        self.endpoint = endpoint
        self.workerID = workerID
        self.group = group
        self.node = node
        self.capacity = capacity
        self.handlers = handlers
        self.execCommands = execCommands
        self.killGrace = killGrace
        self.maxMessageBytes = maxMessageBytes
    }

    /// Every kind this worker runs, sorted.
    public var kinds: [String] { self.routes.kinds }

    /// Which code runs each kind (exec, then Swift handlers, then built-ins).
    var routes: KindRoutes { KindRoutes(handlers: self.handlers, execCommands: self.execCommands) }

    /// `<host>-<pid>-<4 hex>`: unique per process, stable across its reconnects.
    public static func defaultWorkerID() -> String {
        var rng = SystemRandomNumberGenerator()
        let suffix = String(UInt16.random(in: .min ... .max, using: &rng), radix: 16)
        return "\(Self.hostName())-\(getpid())-\(suffix)"
    }

    /// This machine's host name.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif
