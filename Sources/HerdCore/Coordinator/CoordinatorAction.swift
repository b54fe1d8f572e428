/// A timer the coordinator machine asks its shell for. Timers are one-shot values: the shell fires
/// ``CoordinatorEvent/timer(_:)`` with the same value to ``CoordinatorStateMachine/handle(_:now:into:)`` at (or after) the instant.
public enum CoordinatorTimer: Hashable, Sendable {
    /// The periodic housekeeping pass: heartbeats out, liveness checks, purging of dead records.
    /// Re-armed by the machine each time it fires (never a repeating timer).
    case tick
    /// A job's deadline plus the coordinator's slack: whatever is unfinished then fails with
    /// `timeout` (the worker enforces the deadline first; this covers a stalled or lost worker).
    case deadline(JobID)
    /// The earliest delayed retry is due.
    case retryDue
    /// The shutdown grace is over: cancel what still runs.
    case shutdownGraceEnded
    /// Stop waiting for cancel confirmations and stop.
    case shutdownDeadline
}

/// An effect the coordinator machine decided on; the shell performs it.
public enum CoordinatorAction: Hashable, Sendable {
    /// Send `message` to the peer with this routing id.
    case send(PeerID, Message)
    /// Hand ``CoordinatorEvent/timer(_:)`` with `timer` to the machine at `instant`.
    case schedule(CoordinatorTimer, at: Instant)
    /// Write a log line.
    case log(LogLine)
    /// The coordinator has shut down: the shell stops its loop and exits.
    case stop
    /// Make `batch` durable (journaling coordinators): write-ahead, the shell commits it in one
    /// transaction before it performs any send of the same batch of actions.
    case journal(JournalBatch)
}
