/// Where the coordinator is in its life: the one place its shutdown progress is kept.
enum CoordinatorLifeCycle: Hashable {
    /// Made, not started yet. Can transition to: running, shuttingDown.
    case created
    /// Accepting jobs. Can transition to: shuttingDown.
    case running
    /// A shutdown was requested: new jobs are refused, in-flight work finishes within the grace,
    /// then is cancelled. Can transition to: stopped.
    case shuttingDown
    /// The machine emitted ``CoordinatorAction/stop``. Terminal.
    case stopped

    /// Whether a new job may be accepted.
    var acceptsJobs: Bool { self == .created || self == .running }
}
