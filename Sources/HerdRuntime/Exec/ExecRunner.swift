import HerdCore
import HerdSystem
import Logging

/// Runs `exec` subtasks: one child process per subtask, `/bin/sh -c -- COMMAND`.
///
/// The payload goes to the child's stdin, its stdout is the result, each stderr line goes to the
/// worker's log (or is a `herd:` directive), and its exit status picks the failure category
/// (``category(forExitStatus:)``). The child sees the worker's environment plus the `HERD_*`
/// variables of ``ExecContext``. docs/EXEC.md is the operator's version of all this.
///
/// ## Design: `posix_spawn` and a thread per child, not swift-subprocess
///
/// swift-subprocess 1.0.2 does put the child in a new group (`processGroupID = 0`) and does reset
/// the signal mask and dispositions. It is not used because of how it ends a child:
/// - its teardown stops as soon as the *leader* exits, so a grandchild that ignores SIGTERM
///   outlives it, and nothing kills what a command left running after a normal exit;
/// - it reaps the leader before returning, so a sweep of the group afterwards races with the
///   reuse of the group id;
/// - `run` returns normally when its task is cancelled, and its output sequences end early on
///   cancellation, so "the child is gone when we return" would rest on its internals;
/// - stdin is written from a pool thread with the process-wide SIGPIPE disposition, so a child
///   that does not read its stdin could kill the worker unless the worker ignored SIGPIPE globally.
///
/// So each run gets one dedicated thread (``ExecSession``) that calls `posix_spawn` with
/// `POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF` and then sleeps in a
/// single `poll(2)` over the control pipe, a pidfd of the child (or, without pidfds, a pipe
/// written by a helper thread blocked in `waitid`), and the three stdio pipes. No busy waiting,
/// no sleep loops: the one timeout is the grace between SIGTERM and SIGKILL. The leader is seen
/// to exit *without being reaped*, the whole group gets SIGKILL while the zombie still pins the
/// group id, then the leader is reaped and any member still dying is waited for on its pidfd.
///
/// ## A worker that dies
///
/// Beside each child runs an ``ExecGuard`` (`herd-exec-guard`, C): it watches the worker through a
/// pidfd and a pipe and SIGKILLs the child's group when the worker dies, even by `kill -9`. Without
/// the binary the children run unguarded, with one warning per process.
///
/// ## SIGPIPE
///
/// The session thread blocks SIGPIPE for itself only. A write to the stdin of a child that closed
/// it fails with `EPIPE`; the SIGPIPE that the kernel raises on the writing thread stays pending
/// there and is discarded. The worker's process-wide disposition is never changed, and the child
/// gets every signal back at its default.
public enum ExecRunner {
    /// Runs `command` for one subtask and returns when the child and its whole process group are gone.
    ///
    /// The child runs in its own process group with an empty signal mask and default signal
    /// dispositions. When it exits, anything still in its group is killed with SIGKILL (a command
    /// must `wait` for its background jobs). If the calling task is cancelled (also before or
    /// during the spawn): SIGTERM (and SIGCONT) to the child's process group, SIGKILL to the group
    /// after `killGrace`, wait until the child is reaped, and return `.failure(.cancelled)`.
    ///
    /// "Gone" means reaped for the child and exited for the rest of its group; an orphaned member's
    /// zombie is reaped by init (PID 1), which the runner does not control.
    ///
    /// - Parameters:
    ///   - command: The kind's command.
    ///   - payload: Written to the child's stdin, which is then closed.
    ///   - context: Shown to the child as `HERD_*` environment variables.
    ///   - killGrace: The time between SIGTERM and SIGKILL when tearing the child down.
    ///   - maxOutputBytes: The most stdout the child may produce; past it the child is torn down
    ///     and the outcome is `validation` "output exceeds N bytes".
    ///   - logger: Receives the child's stderr lines at `.info`, with `job`, `subtask`, `attempt`,
    ///     `kind` and `pid` metadata.
    ///   - onStart: Called with the child's pid (= its process group id) once it is running,
    ///     before this function returns. Not called when no child was started.
    /// - Returns: The outcome, the usage the child declared, and its pid.
    public static func run(
        _ command: ExecCommand,
        payload: [UInt8],
        context: ExecContext,
        killGrace: Duration,
        maxOutputBytes: Int = 16 << 20,
        logger: Logger,
        onStart: @Sendable (Int32) -> Void = { _ in }
    ) async -> ExecOutcome {
        var logger = logger
        logger[metadataKey: "job"] = "\(context.job)"
        logger[metadataKey: "subtask"] = "\(context.subtask)"
        logger[metadataKey: "attempt"] = "\(context.attempt)"
        logger[metadataKey: "kind"] = "\(context.kind)"
        if ExecGuard.executable == nil { ExecGuard.warnMissingOnce(logger) }
        let request = ExecSession.Request(
            command: command.command,
            environment: Spawn.environment(
                overriding: context.environment,
                removing: ExecContext.variableNames
            ),
            payload: payload,
            killGrace: killGrace,
            maxOutputBytes: max(0, maxOutputBytes),
            logger: logger
        )
        return await Self.run(request, onStart: onStart)
    }

    /// ``run(_:payload:context:killGrace:maxOutputBytes:logger:onStart:)`` from a prepared request.
    static func run(
        _ request: ExecSession.Request,
        onStart: @Sendable (Int32) -> Void = { _ in }
    ) async -> ExecOutcome {
        guard !Task.isCancelled else {
            return ExecOutcome(outcome: .failure(Failure(.cancelled, "cancelled before the command started")))
        }
        guard let run = ExecRun() else {
            return ExecOutcome(outcome: .failure(Failure(.transient, "cannot create a pipe: out of file descriptors")))
        }
        defer { run.close() }
        let report: ExecReport? = await withTaskCancellationHandler {
            guard ExecSession.start(request, reportingTo: run) else { return nil }
            if let pid = await run.started() { onStart(pid) }
            return await run.finished()
        } onCancel: {
            run.cancel()
        }
        guard let report else {
            return ExecOutcome(outcome: .failure(Failure(.transient, "cannot start a thread for the command")))
        }
        return Self.outcome(
            of: report,
            cancelled: run.isCancelled,
            maxOutputBytes: request.maxOutputBytes,
            killGrace: request.killGrace
        )
    }

    // MARK: - Outcomes

    /// The documented exit-status table (docs/EXEC.md), after `sysexits.h`.
    ///
    /// | status          | meaning (sysexits.h / shell)        | category       |
    /// |-----------------|-------------------------------------|----------------|
    /// | 0               | success                             | —              |
    /// | 64, 65          | EX_USAGE, EX_DATAERR                | `validation`   |
    /// | 66, 67, 68      | EX_NOINPUT, EX_NOUSER, EX_NOHOST    | `not-found`    |
    /// | 69              | EX_UNAVAILABLE                      | `server`       |
    /// | 70              | EX_SOFTWARE                         | `server`       |
    /// | 75              | EX_TEMPFAIL                         | `transient`    |
    /// | 76              | EX_PROTOCOL                         | `network`      |
    /// | 77              | EX_NOPERM                           | `auth`         |
    /// | 79              | Herd's own: rate limited            | `rate-limited` |
    /// | 124             | `timeout(1)` expired                | `timeout`      |
    /// | 126, 127        | not executable, command not found   | `not-found`    |
    /// | anything else   |                                     | `unknown`      |
    ///
    /// A child killed by a signal is `unknown` too ("killed by signal N"), unless Herd killed it
    /// for a cancellation or the output limit.
    ///
    /// - Parameter status: The exit status, 0...255.
    /// - Returns: The category, or `nil` for 0 (success).
    public static func category(forExitStatus status: Int32) -> ErrorCategory? {
        switch status {
        case 0: nil
        case 64, 65: .validation
        case 66, 67, 68: .notFound
        case 69, 70: .server
        case 75: .transient
        case 76: .network
        case 77: .auth
        case 79: .rateLimited
        case 124: .timeout
        case 126, 127: .notFound
        default: .unknown
        }
    }

    /// Turns what the session saw into the outcome to report.
    static func outcome(
        of report: ExecReport,
        cancelled: Bool,
        maxOutputBytes: Int,
        killGrace: Duration
    ) -> ExecOutcome {
        guard
            var failure = Self.failure(
                of: report,
                cancelled: cancelled,
                maxOutputBytes: maxOutputBytes,
                killGrace: killGrace
            )
        else {
            return ExecOutcome(outcome: .success(report.stdout), usage: report.usage, pid: report.pid)
        }
        if failure.category != .cancelled { failure.retryAfter = report.retryAfter }
        return ExecOutcome(outcome: .failure(failure), usage: report.usage, pid: report.pid)
    }

    /// The failure `report` describes, or `nil` for a success. Precedence: not started,
    /// cancelled, output limit, lost sight of the child, then the exit status.
    private static func failure(
        of report: ExecReport,
        cancelled: Bool,
        maxOutputBytes: Int,
        killGrace: Duration
    ) -> Failure? {
        switch report.end {
        case .cancelledBeforeStart:
            return Failure(.cancelled, "cancelled before the command started")
        case .spawnFailed(let code, let message):
            return Failure(SystemError(code: code).isResourceShortage ? .transient : .server, message)
        case .exited, .signaled, .statusLost:
            break
        }
        if cancelled || report.teardown == .cancelled {
            let how = report.killedAfterGrace ? "; killed with SIGKILL after a \(killGrace) grace" : ""
            return Failure(.cancelled, "cancelled\(how)")
        }
        switch report.teardown {
        case .outputLimit:
            return Failure(.validation, "output exceeds \(maxOutputBytes) bytes")
        case .unwatchable(let reason):
            return Failure(.server, reason)
        case .cancelled, nil:
            break
        }
        switch report.end {
        case .exited(let status):
            guard let category = Self.category(forExitStatus: status) else { return nil }
            return Failure(category, report.lastStderrLine ?? "exit status \(status)")
        case .signaled(let signal):
            return Failure(.unknown, "killed by signal \(signal)")
        case .statusLost:
            return Failure(.unknown, "the exit status was lost (is SIGCHLD ignored in the worker?)")
        case .cancelledBeforeStart, .spawnFailed:
            preconditionFailure("handled above")
        }
    }
}
