import HerdConfig
import HerdCore
import HerdSystem
import Testing

@testable import HerdRuntime

/// The pure parts of exec: `--exec` parsing, the exit-status table, the environment, and how a
/// session's report becomes an outcome.
@Suite struct ExecCommandTests {
    // MARK: - Parsing

    @Test func test_parse_kindAndCommand_splitAtTheFirstEquals() throws {
        let command = try ExecCommand(parsing: "shout=tr a-z A-Z | sed 's/=/ /'")
        #expect(command.kind == "shout")
        #expect(command.command == "tr a-z A-Z | sed 's/=/ /'")
        #expect(command.description == "shout=tr a-z A-Z | sed 's/=/ /'")
    }

    @Test(arguments: ["a", "resize.v2", "x_y-z.0", String(repeating: "k", count: 64)])
    func test_parse_validKinds_areAccepted(kind: String) throws {
        #expect(try ExecCommand(parsing: "\(kind)=cat").kind == kind)
    }

    @Test(arguments: [
        "cat",  // no '='
        "=cat",  // empty kind
        "Shout=cat",  // capital
        "sh out=cat",  // space
        "shöut=cat",  // not ASCII
        "shout=",  // empty command
        "shout=   ",  // blank command
        String(repeating: "k", count: 65) + "=cat",  // too long
    ])
    func test_parse_invalid_throwsAClearError(text: String) {
        #expect(throws: ConfigError.self) { try ExecCommand(parsing: text) }
    }

    @Test func test_parse_missingEquals_saysWhatIsExpected() {
        do {
            _ = try ExecCommand(parsing: "shout")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("KIND=COMMAND"))
        }
    }

    // MARK: - Exit statuses

    @Test func test_category_table() {
        let expected: [Int32: ErrorCategory?] = [
            0: nil, 1: .unknown, 2: .unknown, 63: .unknown,
            64: .validation, 65: .validation,
            66: .notFound, 67: .notFound, 68: .notFound,
            69: .server, 70: .server,
            71: .unknown, 74: .unknown,
            75: .transient, 76: .network, 77: .auth,
            78: .unknown, 79: .rateLimited, 80: .unknown,
            124: .timeout, 125: .unknown,
            126: .notFound, 127: .notFound,
            128: .unknown, 137: .unknown, 255: .unknown,
        ]
        for (status, category) in expected {
            #expect(ExecRunner.category(forExitStatus: status) == category, "status \(status)")
        }
    }

    // MARK: - Environment

    @Test func test_context_environment_withAndWithoutDeadline() {
        var context = ExecContext(job: 1, subtask: 2, attempt: 3, kind: "k", worker: "w", group: "g")
        #expect(
            context.environment.map { "\($0.name)=\($0.value)" } == [
                "HERD_JOB=1", "HERD_SUBTASK=2", "HERD_ATTEMPT=3", "HERD_KIND=k", "HERD_WORKER=w", "HERD_GROUP=g",
            ]
        )
        context.deadline = .milliseconds(1500)
        #expect(context.environment.last.map { "\($0.name)=\($0.value)" } == "HERD_DEADLINE_MS=1500")
        context.deadline = .milliseconds(-20)
        #expect(context.environment.last.map { "\($0.name)=\($0.value)" } == "HERD_DEADLINE_MS=0")
    }

    @Test func test_wholeMilliseconds_roundsDownAndClamps() {
        #expect(ExecContext.wholeMilliseconds(.milliseconds(999) + .microseconds(999)) == 999)
        #expect(ExecContext.wholeMilliseconds(.seconds(2)) == 2000)
        #expect(ExecContext.wholeMilliseconds(.zero) == 0)
        #expect(ExecContext.wholeMilliseconds(.seconds(-3)) == 0)
    }

    @Test func test_environment_replacesAndRemovesVariables() {
        let environment = Spawn.environment(
            overriding: [("HERD_JOB", "9")],
            removing: ["PATH", "HERD_JOB"]
        )
        #expect(!environment.contains { $0.hasPrefix("PATH=") })
        #expect(environment.filter { $0.hasPrefix("HERD_JOB=") } == ["HERD_JOB=9"])
    }

    // MARK: - Outcomes

    private func outcome(_ report: ExecReport, cancelled: Bool = false) -> ExecOutcome {
        ExecRunner.outcome(of: report, cancelled: cancelled, maxOutputBytes: 100, killGrace: .milliseconds(300))
    }

    @Test func test_outcome_exit0_isSuccessWithStdoutAndUsage() {
        let report = ExecReport(pid: 5, end: .exited(0), stdout: [1, 2], usage: 3)
        #expect(self.outcome(report) == ExecOutcome(outcome: .success([1, 2]), usage: 3, pid: 5))
    }

    @Test func test_outcome_failure_carriesRetryAfter() {
        var report = ExecReport(pid: 5, end: .exited(79), lastStderrLine: "slow down", retryAfter: .seconds(2))
        report.usage = 4
        #expect(
            self.outcome(report)
                == ExecOutcome(
                    outcome: .failure(Failure(.rateLimited, "slow down", retryAfter: .seconds(2))),
                    usage: 4,
                    pid: 5
                )
        )
    }

    @Test func test_outcome_cancelled_winsOverTheExitStatus_andDropsRetryAfter() {
        let report = ExecReport(pid: 5, end: .exited(0), retryAfter: .seconds(2))
        #expect(self.outcome(report, cancelled: true).outcome == .failure(Failure(.cancelled, "cancelled")))
        var killed = ExecReport(pid: 5, end: .signaled(9), teardown: .cancelled)
        killed.killedAfterGrace = true
        #expect(
            self.outcome(killed).outcome
                == .failure(Failure(.cancelled, "cancelled; killed with SIGKILL after a 0.3 seconds grace"))
        )
    }

    @Test func test_outcome_outputLimit_isValidation() {
        let report = ExecReport(pid: 5, end: .signaled(15), teardown: .outputLimit)
        #expect(self.outcome(report).outcome == .failure(Failure(.validation, "output exceeds 100 bytes")))
    }

    @Test func test_outcome_signal_isUnknown() {
        let report = ExecReport(pid: 5, end: .signaled(9), lastStderrLine: "oops")
        #expect(self.outcome(report).outcome == .failure(Failure(.unknown, "killed by signal 9")))
    }

    @Test func test_outcome_spawnFailure_shortageIsTransient_otherwiseServer() {
        let shortage = ExecReport(pid: nil, end: .spawnFailed(code: 11, message: "cannot start /bin/sh: busy"))
        #expect(self.outcome(shortage).outcome == .failure(Failure(.transient, "cannot start /bin/sh: busy")))
        let missing = ExecReport(pid: nil, end: .spawnFailed(code: 2, message: "cannot start /bin/sh: gone"))
        #expect(self.outcome(missing).outcome == .failure(Failure(.server, "cannot start /bin/sh: gone")))
    }
}
