import Testing

@testable import HerdCore

@Suite struct ResilienceRecoveryRampTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)

    func at(_ offset: Duration) -> Instant { self.t0 + offset }

    @Test func test_defaults() {
        let configuration = RecoveryRamp.Configuration()
        #expect(configuration.steps == [0.1, 0.25, 0.5, 1.0])
        #expect(configuration.stepDuration == .seconds(10))
        #expect(configuration.stepsBackOnFailure == 1)
    }

    @Test func test_steps_advanceExactlyAtEachBoundary() {
        let ramp = RecoveryRamp(startedAt: self.t0)
        let expected: [(Duration, Double)] = [
            (.zero, 0.1), (.seconds(10) - .nanoseconds(1), 0.1), (.seconds(10), 0.25),
            (.seconds(20) - .nanoseconds(1), 0.25), (.seconds(20), 0.5),
            (.seconds(30) - .nanoseconds(1), 0.5), (.seconds(30), 1.0), (.seconds(3600), 1.0),
        ]
        for (offset, share) in expected {
            #expect(ramp.share(now: self.at(offset)) == share, "at +\(offset)")
        }
        #expect(!ramp.isComplete(now: self.at(.seconds(30) - .nanoseconds(1))))
        #expect(ramp.isComplete(now: self.at(.seconds(30))))
        #expect(ramp.step(now: self.t0 - .seconds(5)) == 0)
    }

    @Test func test_failure_dropsOneStep_andRestartsTheClock() {
        var ramp = RecoveryRamp(startedAt: self.t0)
        ramp.recordFailure(now: self.at(.seconds(25)))  // on step 2 → step 1
        #expect(ramp.baseStep == 1 && ramp.clockStart == self.at(.seconds(25)))
        #expect(ramp.share(now: self.at(.seconds(35) - .nanoseconds(1))) == 0.25)
        #expect(ramp.share(now: self.at(.seconds(35))) == 0.5)
        #expect(ramp.share(now: self.at(.seconds(45))) == 1.0)
    }

    @Test func test_failureOnTheFirstStep_staysThere() {
        var ramp = RecoveryRamp(startedAt: self.t0)
        ramp.recordFailure(now: self.at(.seconds(9)))
        #expect(ramp.share(now: self.at(.seconds(18))) == 0.1)
        #expect(ramp.share(now: self.at(.seconds(19))) == 0.25)
    }

    @Test func test_failureAfterCompletion_dropsBackFromTheTop() {
        var ramp = RecoveryRamp(startedAt: self.t0)
        ramp.recordFailure(now: self.at(.seconds(100)))
        #expect(ramp.share(now: self.at(.seconds(100))) == 0.5)
    }

    @Test func test_zeroStepsBack_onlyRestartsTheClock() {
        var ramp = RecoveryRamp(configuration: .init(stepsBackOnFailure: 0), startedAt: self.t0)
        ramp.recordFailure(now: self.at(.seconds(15)))
        #expect(ramp.share(now: self.at(.seconds(24))) == 0.25)
        #expect(ramp.share(now: self.at(.seconds(25))) == 0.5)
    }

    @Test func test_effectiveCredit_appliesTheShareToCapacity() {
        let ramp = RecoveryRamp(startedAt: self.t0)
        // Step 0 (10 %) of 10: one attempt at a time.
        #expect(ramp.allowedInFlight(capacity: 10, now: self.t0) == 1)
        #expect(ramp.effectiveCredit(free: 10, capacity: 10, now: self.t0) == 1)
        #expect(ramp.effectiveCredit(free: 9, capacity: 10, now: self.t0) == 0)
        // Step 1 (25 %) of 10: two.
        #expect(ramp.effectiveCredit(free: 10, capacity: 10, now: self.at(.seconds(10))) == 2)
        #expect(ramp.effectiveCredit(free: 9, capacity: 10, now: self.at(.seconds(10))) == 1)
        // Step 2 (50 %) of 10: five in flight at most; with two in flight, three more.
        #expect(ramp.effectiveCredit(free: 8, capacity: 10, now: self.at(.seconds(20))) == 3)
        #expect(ramp.effectiveCredit(free: 2, capacity: 10, now: self.at(.seconds(20))) == 0)
        // Complete: the full free credit.
        #expect(ramp.effectiveCredit(free: 7, capacity: 10, now: self.at(.seconds(30))) == 7)
        // Small capacities still get one; no capacity gets none.
        #expect(ramp.effectiveCredit(free: 3, capacity: 3, now: self.t0) == 1)
        #expect(ramp.effectiveCredit(free: 0, capacity: 0, now: self.t0) == 0)
        // Over-committed (free < 0 reported as 0 by the caller, or more in flight than allowed).
        #expect(ramp.effectiveCredit(free: 0, capacity: 10, now: self.at(.seconds(20))) == 0)
    }

    @Test func test_effectiveCredit_floorsExactly() {
        // 0.29 × 100 is 28.999… in binary floating point; the ramp holds millionths and gets 29.
        let ramp = RecoveryRamp(configuration: .init(steps: [0.29, 1.0]), startedAt: self.t0)
        #expect(ramp.allowedInFlight(capacity: 100, now: self.t0) == 29)
        let tenth = RecoveryRamp(startedAt: self.t0)
        #expect(tenth.allowedInFlight(capacity: 30, now: self.t0) == 3)
    }
}
