import Testing

@testable import HerdCore

/// A client whose connection broke (issue 13: a killed `herd submit` is gone within 2 s).
extension CoordinatorStateMachineTests {
    /// Ticks every heartbeat (250 ms) from `start` for `duration`, the workers heartbeating, as the
    /// shell would: the stall guard ignores a lone late tick.
    func tickEvery250ms(
        _ machine: inout CoordinatorStateMachine,
        from start: Instant,
        for duration: Duration
    )
        -> [CoordinatorAction]
    {
        var actions: [CoordinatorAction] = []
        var now = start
        while now < start + duration {
            now = now + .milliseconds(250)
            actions += machine.handle([.message(.heartbeat, from: self.w1), .timer(.tick)], now: now)
        }
        return actions
    }

    @Test func test_clientUnreachable_notHeardWithinTwoHeartbeats_isGone_longBeforeItsLivenessWindow() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        let submitted = machine.handle([.message(self.submission(count: 4), from: self.client)], now: self.t0)
        #expect(submitted.assignments(to: self.w1).count == 2)
        var actions = machine.handle([.unreachable(self.client)], now: self.t0 + .milliseconds(10))
        #expect(machine.activeJobs == 1)
        actions += self.tickEvery250ms(&machine, from: self.t0, for: .milliseconds(600))
        // Gone after two heartbeats (500 ms), not after the client liveness window (1.5 s).
        #expect(actions.logLines.contains { $0.message == "client gone: cancelling its job" })
        let cancels = actions.sends(to: self.w1).filter { if case .cancel = $0 { true } else { false } }
        #expect(!cancels.isEmpty, "its running attempts are told to stop")
        #expect(machine.queuedSubtasks == 0)
    }

    @Test func test_clientUnreachable_thenHeardAgain_keepsItsJob() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        _ = machine.handle([.message(self.submission(count: 4), from: self.client)], now: self.t0)
        _ = machine.handle([.unreachable(self.client)], now: self.t0 + .milliseconds(10))
        _ = machine.handle([.message(.heartbeat, from: self.client)], now: self.t0 + .milliseconds(200))
        var actions: [CoordinatorAction] = []
        var now = self.t0
        for _ in 0 ..< 4 {  // 1 s, the client heartbeating as it should
            now = now + .milliseconds(250)
            actions += machine.handle(
                [.message(.heartbeat, from: self.w1), .message(.heartbeat, from: self.client), .timer(.tick)],
                now: now
            )
        }
        #expect(!actions.logLines.contains { $0.message.hasPrefix("client gone") })
        #expect(machine.activeJobs == 1)
    }

    @Test func test_clientSilent_isGoneAfterTheDefaultLivenessOf1_5s() {
        var machine = self.machine()
        _ = machine.handle([.message(self.registration("w1", capacity: 2), from: self.w1)], now: self.t0)
        _ = machine.handle([.message(self.submission(count: 4), from: self.client)], now: self.t0)
        let early = self.tickEvery250ms(&machine, from: self.t0, for: .milliseconds(1500))
        #expect(!early.logLines.contains { $0.message.hasPrefix("client gone") })
        let late = self.tickEvery250ms(&machine, from: self.t0 + .milliseconds(1500), for: .milliseconds(250))
        #expect(late.logLines.contains { $0.message.hasPrefix("client gone") })
    }
}
