import Glibc
import HerdCore
import Logging
import Synchronization
import Testing

@testable import HerdRuntime

/// Ending children early: cancellation, SIGTERM then SIGKILL, grandchildren, the output limit,
/// and children that do not read their stdin. Real processes; waits are on log lines the child
/// writes (`ready`, `gc=PID`), never on fixed sleeps.
@Suite(.timeLimit(.minutes(1)))
struct ExecTeardownTests {
    /// Starts `script` in a task and waits until the child logged `ready`; returns the task and pid.
    private func startReady(
        _ script: String,
        payload: [UInt8] = [],
        killGrace: Duration,
        capture: ExecLogCapture,
        forceWaiterThread: Bool = false
    ) async -> (Task<ExecOutcome, Never>, pid_t) {
        let request = ExecHarness.request(
            script,
            payload: payload,
            killGrace: killGrace,
            capture: capture,
            forceWaiterThread: forceWaiterThread
        )
        let task = Task { await ExecRunner.run(request) }
        let ready = await capture.matching { $0.message == "ready" }
        let pid = ready.first.flatMap { $0.metadata["pid"] }.flatMap { pid_t($0) } ?? 0
        #expect(pid > 0)
        return (task, pid)
    }

    @Test func test_cancel_whileRunning_sigtermEndsItPromptly() async {
        let capture = ExecLogCapture()
        let (task, pid) = await self.startReady("echo ready >&2; sleep 60", killGrace: .seconds(10), capture: capture)
        let clock = ContinuousClock()
        let started = clock.now
        task.cancel()
        let result = await task.value
        let elapsed = started.duration(to: clock.now)
        #expect(result.outcome == .failure(Failure(.cancelled, "cancelled")))
        #expect(result.pid == pid)
        // SIGTERM ended it, not the SIGKILL 10 s later (a bound far from both, for busy machines).
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        await ExecHarness.expectGone(result)
    }

    @Test func test_cancel_childIgnoringSIGTERM_goesAtSIGKILLAfterTheGrace() async {
        let capture = ExecLogCapture()
        let (task, _) = await self.startReady(
            "trap '' TERM; echo ready >&2; sleep 60; echo survived >&2",
            killGrace: .milliseconds(300),
            capture: capture
        )
        let clock = ContinuousClock()
        let started = clock.now
        task.cancel()
        let result = await task.value
        let elapsed = started.duration(to: clock.now)
        guard case .failure(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(failure.category == .cancelled)
        #expect(failure.message.contains("SIGKILL"))
        #expect(elapsed >= .milliseconds(300), "SIGKILL came before the grace: \(elapsed)")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        #expect(!capture.records.contains { $0.message == "survived" })
        await ExecHarness.expectGone(result)
    }

    @Test func test_cancel_grandchildren_areKilledWithTheGroup() async {
        let capture = ExecLogCapture()
        let script = """
            sleep 60 & echo "gc=$!" >&2
            sleep 60 & echo "gc=$!" >&2
            echo ready >&2
            wait
            """
        let (task, pid) = await self.startReady(script, killGrace: .seconds(10), capture: capture)
        let grandchildren = capture.records.compactMap { ExecHarness.pid(in: $0, after: "gc=") }
        #expect(grandchildren.count == 2)
        for grandchild in grandchildren {
            #expect(getpgid(grandchild) == pid, "the grandchild is in the child's group")
        }
        task.cancel()
        let result = await task.value
        #expect(result.outcome == .failure(Failure(.cancelled, "cancelled")))
        for grandchild in grandchildren {
            await ExecHarness.waitUntilReaped(grandchild)
            #expect(ExecHarness.isGone(grandchild), "grandchild \(grandchild) survived")
        }
        await ExecHarness.expectGone(result)
    }

    @Test func test_cancel_grandchildIgnoringSIGTERM_isSweptWhenTheChildDies() async {
        let capture = ExecLogCapture()
        let script = """
            sh -c 'trap "" TERM; echo "gc=$$" >&2; exec sleep 60' &
            echo ready >&2
            wait
            """
        // The grandchild ignores SIGTERM; the shell dies of it. The sweep after the shell's exit
        // kills the grandchild long before the 10 s grace.
        let (task, _) = await self.startReady(script, killGrace: .seconds(10), capture: capture)
        let grandchild = await capture.matching { $0.message.hasPrefix("gc=") }
            .compactMap { ExecHarness.pid(in: $0, after: "gc=") }.first
        let clock = ContinuousClock()
        let started = clock.now
        task.cancel()
        let result = await task.value
        #expect(started.duration(to: clock.now) < .seconds(5))
        #expect(result.outcome == .failure(Failure(.cancelled, "cancelled")))
        if let grandchild {
            await ExecHarness.waitUntilReaped(grandchild)
            #expect(ExecHarness.isGone(grandchild), "grandchild \(grandchild) survived")
        }
        await ExecHarness.expectGone(result)
    }

    @Test func test_exit_leftoverBackgroundProcess_isKilled() async {
        let result = await ExecHarness.run("sleep 60 & echo $!")
        guard case .success(let stdout) = result.outcome,
            let grandchild = pid_t(String(decoding: stdout, as: UTF8.self).filter(\.isNumber))
        else {
            Issue.record("expected the background pid on stdout, got \(result.outcome)")
            return
        }
        await ExecHarness.waitUntilReaped(grandchild)
        #expect(ExecHarness.isGone(grandchild), "background process \(grandchild) survived")
        await ExecHarness.expectGone(result)
    }

    @Test func test_cancel_beforeStart_startsNothing() async {
        let started = Mutex(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await ExecRunner.run(
                ExecHarness.command("echo should-not-run"),
                payload: [],
                context: ExecHarness.context,
                killGrace: .seconds(5),
                logger: ExecLogCapture().logger,
                onStart: { _ in started.withLock { $0 = true } }
            )
        }
        let result = await task.value
        #expect(result.pid == nil)
        #expect(started.withLock { $0 } == false)
        guard case .failure(let failure) = result.outcome else {
            Issue.record("expected a failure, got \(result.outcome)")
            return
        }
        #expect(failure.category == .cancelled)
    }

    @Test func test_cancel_withWaiterThreadFallback_endsTheChild() async {
        let capture = ExecLogCapture()
        let (task, pid) = await self.startReady(
            "echo ready >&2; sleep 60",
            killGrace: .seconds(10),
            capture: capture,
            forceWaiterThread: true
        )
        task.cancel()
        let result = await task.value
        #expect(result.outcome == .failure(Failure(.cancelled, "cancelled")))
        #expect(result.pid == pid)
        await ExecHarness.expectGone(result)
    }

    @Test func test_outputLimit_exceeded_isValidation() async {
        let result = await ExecHarness.run("head -c 2000 /dev/zero", maxOutputBytes: 1000)
        #expect(result.outcome == .failure(Failure(.validation, "output exceeds 1000 bytes")))
        await ExecHarness.expectGone(result)
    }

    @Test func test_outputLimit_endlessWriter_isKilled() async {
        let result = await ExecHarness.run("yes", killGrace: .seconds(10), maxOutputBytes: 100_000)
        #expect(result.outcome == .failure(Failure(.validation, "output exceeds 100000 bytes")))
        await ExecHarness.expectGone(result)
    }

    @Test func test_outputLimit_exactlyAtTheLimit_succeeds() async {
        let result = await ExecHarness.run("head -c 1000 /dev/zero", maxOutputBytes: 1000)
        #expect(result.outcome == .success(Array(repeating: 0, count: 1000)))
        await ExecHarness.expectGone(result)
    }

    @Test func test_stdin_notRead_bigPayload_doesNotHang() async {
        let payload = Array(repeating: UInt8(ascii: "x"), count: 1 << 20)
        let result = await ExecHarness.run("echo done", payload: payload)
        #expect(result.outcome == .success(Array("done\n".utf8)))
        await ExecHarness.expectGone(result)
    }

    @Test func test_stdin_closedByTheChild_writeGetsEPIPEAndTheWorkerLives() async {
        let capture = ExecLogCapture()
        let payload = Array(repeating: UInt8(ascii: "x"), count: 1 << 20)
        let (task, _) = await self.startReady(
            "exec 0<&-; echo ready >&2; sleep 60",
            payload: payload,
            killGrace: .seconds(10),
            capture: capture
        )
        // The session saw EPIPE (and swallowed its SIGPIPE) while the child was still alive.
        _ = await capture.matching { $0.message == "exec child closed stdin before reading the payload" }
        task.cancel()
        let result = await task.value
        #expect(result.outcome == .failure(Failure(.cancelled, "cancelled")))
        await ExecHarness.expectGone(result)
    }
}
