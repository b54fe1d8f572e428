import Glibc
import HerdCore
import HerdSystem
import Logging
import Synchronization
import Testing

@testable import HerdRuntime

/// Real child processes through ``ExecRunner``: results, environment, exit statuses, directives.
///
/// Every test checks that the child is gone afterwards (`kill(pid, 0)` → ESRCH) and so is its
/// process group (`kill(-pgid, 0)` → ESRCH). Tests wait on events (log lines, pidfds), never on
/// fixed sleeps.
@Suite(.timeLimit(.minutes(1)))
struct ExecRunnerTests {
    @Test func test_run_cat_echoesThePayload() async {
        let payload = Array("hello, herd\n".utf8)
        let result = await ExecHarness.run("cat", payload: payload)
        #expect(result.outcome == .success(payload))
        #expect(result.usage == 0)
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_stdout_isTheResult() async {
        let result = await ExecHarness.run("printf 'a\\nb'")
        #expect(result.outcome == .success(Array("a\nb".utf8)))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_largeStdout_isReadWhole() async {
        let result = await ExecHarness.run("head -c 3000000 /dev/zero")
        guard case .success(let bytes) = result.outcome else {
            Issue.record("expected success, got \(result.outcome)")
            return
        }
        #expect(bytes.count == 3_000_000)
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_largePayload_throughCat_roundTrips() async {
        let payload = (0 ..< (2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let result = await ExecHarness.run("cat", payload: payload)
        #expect(result.outcome == .success(payload))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_environment_showsTheContext() async {
        let result = await ExecHarness.run("echo \"$HERD_JOB-$HERD_SUBTASK-$HERD_ATTEMPT\"")
        #expect(result.outcome == .success(Array("7-3-2\n".utf8)))
        await ExecHarness.expectGone(result)

        let more = await ExecHarness.run(
            "echo \"$HERD_KIND $HERD_WORKER $HERD_GROUP ${HERD_DEADLINE_MS-none} ${PATH:+path}\""
        )
        #expect(more.outcome == .success(Array("test.kind w1 g1 none path\n".utf8)))
        await ExecHarness.expectGone(more)
    }

    @Test func test_run_withDeadline_showsRemainingMilliseconds() async {
        var context = ExecHarness.context
        context.deadline = .milliseconds(29_950) + .microseconds(700)
        let result = await ExecHarness.run("echo \"$HERD_DEADLINE_MS\"", context: context)
        #expect(result.outcome == .success(Array("29950\n".utf8)))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_exit75_isTransientWithTheLastStderrLine() async {
        let result = await ExecHarness.run("echo 'first' >&2; echo '  upstream busy  ' >&2; echo >&2; exit 75")
        #expect(result.outcome == .failure(Failure(.transient, "upstream busy")))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_exit65_withoutStderr_isValidationWithTheStatus() async {
        let result = await ExecHarness.run("exit 65")
        #expect(result.outcome == .failure(Failure(.validation, "exit status 65")))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_unknownCommand_isNotFound() async {
        let result = await ExecHarness.run("herd-no-such-command-xyz")
        guard case .failure(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(failure.category == .notFound)
        #expect(failure.message.contains("not found"))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_killedBySignal_isUnknown() async {
        let result = await ExecHarness.run("kill -9 $$")
        #expect(result.outcome == .failure(Failure(.unknown, "killed by signal 9")))
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_directives_setRetryAfterAndUsage() async {
        let script = """
            echo 'herd: usage=10' >&2
            echo 'herd: retry-after=2.5' >&2
            echo 'slow down' >&2
            echo 'herd: usage=5' >&2
            exit 79
            """
        let capture = ExecLogCapture()
        let result = await ExecHarness.run(script, capture: capture)
        #expect(result.outcome == .failure(Failure(.rateLimited, "slow down", retryAfter: .milliseconds(2500))))
        #expect(result.usage == 15)
        #expect(!capture.records.contains { $0.message.hasPrefix("herd:") && $0.level == .info })
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_usageDirective_countsOnSuccess() async {
        let result = await ExecHarness.run("echo 'herd: usage=42' >&2; printf ok")
        #expect(result.outcome == .success(Array("ok".utf8)))
        #expect(result.usage == 42)
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_stderrLines_areLoggedAtInfoWithMetadata() async {
        let capture = ExecLogCapture()
        let result = await ExecHarness.run("echo 'hello from the child' >&2; printf 'no newline' >&2", capture: capture)
        #expect(result.outcome == .success([]))
        let lines = capture.records.filter { $0.level == .info }
        #expect(lines.map(\.message) == ["hello from the child", "no newline"])
        let metadata = lines.first?.metadata ?? [:]
        #expect(metadata["job"] == "7")
        #expect(metadata["subtask"] == "3")
        #expect(metadata["attempt"] == "2")
        #expect(metadata["kind"] == "test.kind")
        #expect(metadata["pid"] == result.pid.map { "\($0)" })
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_onStart_getsThePidBeforeReturning() async {
        let seen = Mutex<Int32?>(nil)
        let result = await ExecRunner.run(
            ExecHarness.command("true"),
            payload: [],
            context: ExecHarness.context,
            killGrace: .seconds(5),
            logger: ExecLogCapture().logger,
            onStart: { pid in seen.withLock { $0 = pid } }
        )
        #expect(result.pid != nil)
        #expect(seen.withLock { $0 } == result.pid)
        await ExecHarness.expectGone(result)
    }

    @Test func test_run_concurrentChildren_keepTheirOwnPipes() async {
        let results = await withTaskGroup(of: (Int, ExecOutcome).self) { group in
            for index in 0 ..< 12 {
                group.addTask {
                    let payload = Array(repeating: UInt8(65 + index), count: 200_000)
                    return (index, await ExecHarness.run("cat", payload: payload))
                }
            }
            var results: [(Int, ExecOutcome)] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 12)
        for (index, result) in results {
            #expect(result.outcome == .success(Array(repeating: UInt8(65 + index), count: 200_000)))
            await ExecHarness.expectGone(result)
        }
    }

    @Test func test_run_withoutPidfd_waiterThreadFallback_works() async {
        let payload = Array("fallback\n".utf8)
        let result = await ExecRunner.run(ExecHarness.request("cat", payload: payload, forceWaiterThread: true))
        #expect(result.outcome == .success(payload))
        await ExecHarness.expectGone(result)

        let failed = await ExecRunner.run(ExecHarness.request("exit 76", forceWaiterThread: true))
        #expect(failed.outcome == .failure(Failure(.network, "exit status 76")))
        await ExecHarness.expectGone(failed)
    }
}

// MARK: - Harness

/// Shared helpers for the exec tests.
enum ExecHarness {
    static let context = ExecContext(job: 7, subtask: 3, attempt: 2, kind: "test.kind", worker: "w1", group: "g1")

    static func command(_ script: String) -> ExecCommand {
        try! ExecCommand(parsing: "test.kind=\(script)")
    }

    static func run(
        _ script: String,
        payload: [UInt8] = [],
        context: ExecContext = ExecHarness.context,
        killGrace: Duration = .seconds(5),
        maxOutputBytes: Int = 16 << 20,
        capture: ExecLogCapture = ExecLogCapture()
    ) async -> ExecOutcome {
        await ExecRunner.run(
            Self.command(script),
            payload: payload,
            context: context,
            killGrace: killGrace,
            maxOutputBytes: maxOutputBytes,
            logger: capture.logger
        )
    }

    static func request(
        _ script: String,
        payload: [UInt8] = [],
        killGrace: Duration = .seconds(5),
        capture: ExecLogCapture = ExecLogCapture(),
        forceWaiterThread: Bool = false
    ) -> ExecSession.Request {
        ExecSession.Request(
            command: script,
            environment: Spawn.environment(
                overriding: Self.context.environment,
                removing: ExecContext.variableNames
            ),
            payload: payload,
            killGrace: killGrace,
            maxOutputBytes: 16 << 20,
            logger: capture.logger,
            forceWaiterThread: forceWaiterThread
        )
    }

    /// Whether `pid` names no process at all (not even a zombie).
    static func isGone(_ pid: pid_t) -> Bool {
        kill(pid, 0) == -1 && errno == ESRCH
    }

    /// Waits, on a pidfd and off the cooperative pool, until `pid` has been reaped (at most 10 s).
    ///
    /// An orphan's zombie is reaped by init, which on some machines only does so every few seconds.
    static func waitUntilReaped(_ pid: pid_t) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let started = try? SystemThread.start(name: "test-reap") {
                let fd = Pidfd.openDescriptor(pid)
                if fd >= 0 {
                    // events 0: wake only for POLLHUP, which a pidfd reports once the process is reaped.
                    var entry = pollfd(fd: fd, events: 0, revents: 0)
                    _ = poll(&entry, 1, 10_000)
                    _ = close(fd)
                }
                continuation.resume()
            }
            if started == nil { continuation.resume() }
        }
    }

    /// Expects the child and every member of its process group to be gone.
    static func expectGone(_ result: ExecOutcome, sourceLocation: SourceLocation = #_sourceLocation) async {
        guard let pid = result.pid else {
            Issue.record("no pid in \(result)", sourceLocation: sourceLocation)
            return
        }
        #expect(Self.isGone(pid), "the child \(pid) is still there", sourceLocation: sourceLocation)
        await Self.expectGroupGone(pid, sourceLocation: sourceLocation)
    }

    /// Expects process group `pgid` to be empty, after waiting for init to reap its orphans.
    static func expectGroupGone(_ pgid: pid_t, sourceLocation: SourceLocation = #_sourceLocation) async {
        for member in ProcessGroup.members(pgid) {
            await Self.waitUntilReaped(member)
        }
        #expect(
            kill(-pgid, 0) == -1 && errno == ESRCH,
            "group \(pgid) still has members",
            sourceLocation: sourceLocation
        )
    }

    /// The pid in a log line `PREFIX=PID`.
    static func pid(in record: ExecLogRecord, after prefix: String) -> pid_t? {
        guard record.message.hasPrefix(prefix) else { return nil }
        return pid_t(record.message.dropFirst(prefix.count))
    }
}

/// One captured log record.
struct ExecLogRecord: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
}

/// A logger that keeps its records and lets a test wait for some (an event, not a sleep).
final class ExecLogCapture: Sendable {
    private struct Waiter {
        var condition: @Sendable ([ExecLogRecord]) -> Bool
        var continuation: CheckedContinuation<[ExecLogRecord], Never>
    }

    private struct State {
        var records: [ExecLogRecord] = []
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    /// A logger at `.trace` writing here.
    var logger: Logger {
        var logger = Logger(label: "herd.exec.test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Everything logged so far.
    var records: [ExecLogRecord] { self.state.withLock { $0.records } }

    /// Waits until the records logged so far satisfy `condition`; returns them.
    func wait(until condition: @escaping @Sendable ([ExecLogRecord]) -> Bool) async -> [ExecLogRecord] {
        await withCheckedContinuation { continuation in
            let ready: [ExecLogRecord]? = self.state.withLock { state in
                if condition(state.records) { return state.records }
                state.waiters.append(Waiter(condition: condition, continuation: continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Waits for `count` records matching `predicate`; returns the first `count` of them.
    func matching(
        _ count: Int = 1,
        where predicate: @escaping @Sendable (ExecLogRecord) -> Bool
    ) async
        -> [ExecLogRecord]
    {
        let records = await self.wait { $0.filter(predicate).count >= count }
        return Array(records.filter(predicate).prefix(count))
    }

    fileprivate func append(_ record: ExecLogRecord) {
        let ready: [(CheckedContinuation<[ExecLogRecord], Never>, [ExecLogRecord])] = self.state.withLock { state in
            state.records.append(record)
            let records = state.records
            var ready: [(CheckedContinuation<[ExecLogRecord], Never>, [ExecLogRecord])] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition(records) else { return false }
                ready.append((waiter.continuation, records))
                return true
            }
            return ready
        }
        for (continuation, records) in ready { continuation.resume(returning: records) }
    }

    private struct Handler: LogHandler {
        let capture: ExecLogCapture
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
            self.capture.append(
                ExecLogRecord(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            )
        }
    }
}
