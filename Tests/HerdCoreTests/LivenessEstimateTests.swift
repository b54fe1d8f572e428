import Testing

@testable import HerdCore

/// A worker's liveness window, learned from the gaps between its messages.
@Suite struct LivenessEstimateTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let base = Duration.seconds(1)

    func estimate(gaps: [Duration]) -> LivenessEstimate {
        var estimate = LivenessEstimate(heardAt: self.t0)
        var now = self.t0
        for gap in gaps {
            now = now + gap
            estimate.heard(at: now)
        }
        return estimate
    }

    @Test func test_regularHeartbeats_keepTheConfiguredWindow() {
        let estimate = self.estimate(gaps: Array(repeating: .milliseconds(250), count: 40))
        #expect(estimate.window(base: self.base, maxStretch: 4) == self.base)
    }

    @Test func test_jitteryArrivals_stretchTheWindow_upToTheCap() {
        let swinging = (0 ..< 40).map { $0 % 2 == 0 ? Duration.milliseconds(50) : .milliseconds(900) }
        let window = self.estimate(gaps: swinging).window(base: self.base, maxStretch: 4)
        #expect(window > .milliseconds(1_500), "a busy machine's worker gets more time: \(window)")
        #expect(window <= .seconds(4))
        let stalls = (0 ..< 40).map { $0 % 4 == 0 ? Duration.seconds(3) : .milliseconds(10) }
        #expect(self.estimate(gaps: stalls).window(base: self.base, maxStretch: 4) == .seconds(4), "capped")
        #expect(self.estimate(gaps: stalls).window(base: self.base, maxStretch: 1) == self.base, "stretch 1: never")
    }

    @Test func test_fewSamples_useTheConfiguredWindow() {
        #expect(self.estimate(gaps: [.seconds(3)]).window(base: self.base, maxStretch: 4) == self.base)
    }

    /// The machine: a worker heard with jitter outlives a silence that kills a regular one.
    @Test func test_machine_jitteryWorkerSurvivesASilenceThatARegularOneDoesNot() {
        var machine = CoordinatorStateMachine(configuration: CoordinatorConfiguration(coordinatorID: "c"))
        _ = machine.start(now: self.t0)
        let (steady, jittery) = (PeerID("steady"), PeerID("jittery"))
        for peer in [steady, jittery] {
            _ = machine.handle(
                [
                    .message(
                        .register(
                            Registration(workerID: peer.description, group: "g", node: "n", capacity: 1, kinds: ["k"])
                        ),
                        from: peer
                    )
                ],
                now: self.t0
            )
        }
        // For 10 s: one heartbeats every 250 ms, the other with gaps swinging 50 ms / 900 ms; both
        // are heard at the end, then fall silent for 1.3 s.
        var timeline: [(Duration, PeerID)] = (1 ... 40).map { (.milliseconds(250 * $0), steady) }
        var at = Duration.zero
        for step in 0 ..< 21 {
            at += .milliseconds(step % 2 == 0 ? 50 : 900)
            timeline.append((at, jittery))
        }
        let end = Duration.seconds(10) + .milliseconds(1)
        timeline += [(end, steady), (end, jittery)]
        for (offset, peer) in timeline.sorted(by: { $0.0 < $1.0 }) {
            _ = machine.handle([.message(.heartbeat, from: peer), .timer(.tick)], now: self.t0 + offset)
        }
        _ = machine.handle([.timer(.tick)], now: self.t0 + end + .milliseconds(1_050))  // ticks keep coming
        let actions = machine.handle([.timer(.tick)], now: self.t0 + end + .milliseconds(1_300))
        let dead = actions.compactMap { action -> String? in
            if case .log(let line) = action, line.message.hasPrefix("worker dead") {
                line.metadata["worker"]
            } else {
                nil
            }
        }
        #expect(dead == ["steady"], "the regular worker's window is the configured 1 s, the jittery one's longer")
    }
}
