import HerdCore

/// What an exec child is told about the attempt it runs, through `HERD_*` environment variables.
///
/// | variable           | from          | example          |
/// |--------------------|---------------|------------------|
/// | `HERD_JOB`         | ``job``       | `42`             |
/// | `HERD_SUBTASK`     | ``subtask``   | `7`              |
/// | `HERD_ATTEMPT`     | ``attempt``   | `1`              |
/// | `HERD_KIND`        | ``kind``      | `shout`          |
/// | `HERD_WORKER`      | ``worker``    | `w1`             |
/// | `HERD_GROUP`       | ``group``     | `default`        |
/// | `HERD_DEADLINE_MS` | ``deadline``  | `29950` (absent without a deadline) |
public struct ExecContext: Sendable, Hashable {
    /// The job's number.
    public var job: UInt64
    /// The subtask's index in its job (0-based).
    public var subtask: UInt32
    /// The attempt's number (1 for the first try).
    public var attempt: UInt32
    /// The subtask kind.
    public var kind: String
    /// The worker's id.
    public var worker: String
    /// The worker's group.
    public var group: String
    /// The time left until the attempt's deadline, or `nil` when it has none.
    ///
    /// Only shown to the child (`HERD_DEADLINE_MS`, whole milliseconds, never negative): the runner
    /// does not enforce it. The caller enforces a deadline by cancelling the task that runs
    /// ``ExecRunner``.
    public var deadline: Duration?

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - job: The job's number.
    ///   - subtask: The subtask's index in its job.
    ///   - attempt: The attempt's number.
    ///   - kind: The subtask kind.
    ///   - worker: The worker's id.
    ///   - group: The worker's group.
    ///   - deadline: The time left until the deadline, if any.
    public init(
        job: UInt64,
        subtask: UInt32,
        attempt: UInt32,
        kind: String,
        worker: String,
        group: String,
        deadline: Duration? = nil
    ) {
        self.job = job
        self.subtask = subtask
        self.attempt = attempt
        self.kind = kind
        self.worker = worker
        self.group = group
        self.deadline = deadline
    }

    /// The `HERD_*` variables, in the order of the table above.
    var environment: [(name: String, value: String)] {
        var variables: [(name: String, value: String)] = [
            ("HERD_JOB", String(self.job)),
            ("HERD_SUBTASK", String(self.subtask)),
            ("HERD_ATTEMPT", String(self.attempt)),
            ("HERD_KIND", self.kind),
            ("HERD_WORKER", self.worker),
            ("HERD_GROUP", self.group),
        ]
        if let deadline = self.deadline {
            variables.append(("HERD_DEADLINE_MS", String(Self.wholeMilliseconds(deadline))))
        }
        return variables
    }

    /// The names of every variable the runner sets or removes.
    static let variableNames: Set<String> = [
        "HERD_JOB", "HERD_SUBTASK", "HERD_ATTEMPT", "HERD_KIND", "HERD_WORKER", "HERD_GROUP", "HERD_DEADLINE_MS",
    ]

    /// `duration` in whole milliseconds, rounded down, and 0 when it is negative.
    static func wholeMilliseconds(_ duration: Duration) -> Int64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Int64.max }
        return max(0, millis + attoseconds / 1_000_000_000_000_000)
    }
}

/// How an exec subtask ended: the outcome to report, the usage it declared and the child's pid.
public struct ExecOutcome: Sendable, Hashable {
    /// `.success(stdout)` or a failure with its category (see ``ExecRunner/category(forExitStatus:)``).
    public var outcome: Outcome
    /// The sum of the child's `herd: usage=N` directives (0 when it declared none), also on failure.
    public var usage: UInt64
    /// The child's pid (also its process group id), or `nil` when no child was started.
    public var pid: Int32?

    /// Creates an outcome.
    ///
    /// - Parameters:
    ///   - outcome: The outcome to report.
    ///   - usage: The declared usage.
    ///   - pid: The child's pid, if one was started.
    public init(outcome: Outcome, usage: UInt64 = 0, pid: Int32? = nil) {
        self.outcome = outcome
        self.usage = usage
        self.pid = pid
    }
}
