import Testing

@testable import HerdCore

@Suite struct ResilienceHierarchyTests {
    let t0 = Instant(nanoseconds: 1_000_000_000_000)
    let fast = Duration.milliseconds(5)

    func at(_ offset: Duration) -> Instant { self.t0 + offset }

    /// Small windows for groups and workers (four calls decide, 50 %, open for 30 s, one probe); the
    /// cluster needs 100 calls unless `smallCluster`.
    func hierarchy(smallCluster: Bool = false) -> BreakerHierarchy {
        let small = CircuitBreaker.Configuration(window: .count(4), minimumCalls: 4, permittedCallsInHalfOpen: 1)
        let large = CircuitBreaker.Configuration(window: .count(100), minimumCalls: 100)
        return BreakerHierarchy(
            configuration: .init(cluster: smallCluster ? small : large, group: small, worker: small)
        )
    }

    func run(
        _ hierarchy: inout BreakerHierarchy,
        _ report: BreakerHierarchy.Report,
        group: String = "g",
        worker: String,
        times: Int = 1,
        now: Instant
    ) {
        for _ in 0 ..< times {
            let admission = hierarchy.acquire(group: group, worker: worker, now: now)
            #expect(admission.isAdmitted)
            hierarchy.record(report, group: group, worker: worker, duration: self.fast, now: now)
        }
    }

    // MARK: - Attribution

    @Test func test_attribution_table() {
        let expected: [ErrorCategory: FailureAttribution.Scope] = [
            .timeout: .worker, .network: .worker, .transient: .worker, .unknown: .worker,
            .server: .group, .rateLimited: .group, .auth: .group,
            .validation: .none, .notFound: .none, .cancelled: .none, .budgetExhausted: .none, .circuitOpen: .none,
        ]
        #expect(expected.count == ErrorCategory.allCases.count)
        for category in ErrorCategory.allCases {
            #expect(FailureAttribution.scope(of: category) == expected[category], "\(category)")
        }
        #expect(FailureAttribution.workerLost == .worker)
        #expect(BreakerHierarchy.Report.workerLost.scope == .worker)
        #expect(BreakerHierarchy.Report.success.scope == nil)
        #expect(BreakerHierarchy.Report.failure(.auth).scope == .group)
    }

    // MARK: - Paths

    @Test func test_paths_parseAndPrint() {
        #expect(BreakerPath(parsing: "/") == .cluster)
        #expect(BreakerPath(parsing: "gpu") == .group("gpu"))
        #expect(BreakerPath(parsing: "gpu/w7") == .worker(group: "gpu", worker: "w7"))
        for bad in ["", "gpu/", "/w7", "a/b/c", "//", "a//b"] {
            #expect(BreakerPath(parsing: bad) == nil, "\(bad)")
        }
        for text in ["/", "gpu", "gpu/w7"] { #expect(BreakerPath(parsing: text)?.description == text) }
    }

    // MARK: - Routing

    @Test func test_workerScopeFailures_openOnlyThatWorker() {
        var hierarchy = self.hierarchy()
        self.run(&hierarchy, .failure(.timeout), worker: "w1", times: 2, now: self.t0)
        self.run(&hierarchy, .workerLost, worker: "w1", now: self.t0)
        let admission = hierarchy.acquire(group: "g", worker: "w1", now: self.t0)
        #expect(admission.isAdmitted)
        let transitions = hierarchy.record(
            .failure(.network),
            group: "g",
            worker: "w1",
            duration: self.fast,
            now: self.t0
        )
        #expect(transitions.map(\.path) == [.worker(group: "g", worker: "w1")])
        #expect(transitions.first?.transition.to == .open)
        #expect(hierarchy.blockingPath(group: "g", worker: "w1", now: self.t0) == .worker(group: "g", worker: "w1"))
        #expect(hierarchy.admits(group: "g", worker: "w2", now: self.t0))
        #expect(hierarchy.breaker(at: .group("g"))?.state == .closed)
        #expect(hierarchy.breaker(at: .group("g"))?.metrics(now: self.t0).calls == 0)
        #expect(hierarchy.breaker(at: .cluster)?.metrics(now: self.t0).calls == 0)
        let refused = hierarchy.acquire(group: "g", worker: "w1", now: self.t0)
        #expect(refused.rejectedBy == .worker(group: "g", worker: "w1"))
    }

    @Test func test_groupScopeFailures_openTheGroup_andItsWorkersFailFast() {
        var hierarchy = self.hierarchy()
        // Spread over workers so no worker breaker sees them; the other group keeps succeeding.
        for (index, category) in [ErrorCategory.server, .rateLimited, .auth, .server].enumerated() {
            self.run(&hierarchy, .failure(category), worker: "w\(index)", now: self.t0)
            self.run(&hierarchy, .success, group: "other", worker: "x", times: 2, now: self.t0)
        }
        #expect(hierarchy.breaker(at: .group("g"))?.state == .open(since: self.t0))
        #expect(hierarchy.breaker(at: .group("other"))?.state == .closed)
        #expect(hierarchy.breaker(at: .cluster)?.state == .closed)
        for index in 0 ..< 4 {
            #expect(hierarchy.breaker(at: .worker(group: "g", worker: "w\(index)"))?.state == .closed)
            #expect(hierarchy.blockingPath(group: "g", worker: "w\(index)", now: self.t0) == .group("g"))
        }
        #expect(hierarchy.blockingPath(group: "g", worker: "brand-new", now: self.t0) == .group("g"))
        #expect(hierarchy.admits(group: "other", worker: "x", now: self.t0))
    }

    @Test func test_sharedFailuresDominatingTheCluster_openTheClusterBreaker() {
        var hierarchy = self.hierarchy(smallCluster: true)
        // Two groups each fail once out of two calls: neither group reaches four calls, the cluster does.
        self.run(&hierarchy, .failure(.server), group: "a", worker: "a1", now: self.t0)
        self.run(&hierarchy, .success, group: "a", worker: "a1", now: self.t0)
        self.run(&hierarchy, .success, group: "b", worker: "b1", now: self.t0)
        let admission = hierarchy.acquire(group: "b", worker: "b1", now: self.t0)
        #expect(admission.isAdmitted)
        let transitions = hierarchy.record(
            .failure(.rateLimited),
            group: "b",
            worker: "b1",
            duration: self.fast,
            now: self.t0
        )
        #expect(transitions.map(\.path) == [.cluster])
        #expect(hierarchy.blockingPath(group: "c", worker: "c1", now: self.t0) == .cluster)
        // Worker-local failures never reach the cluster.
        var local = self.hierarchy(smallCluster: true)
        for index in 0 ..< 8 { self.run(&local, .failure(.timeout), worker: "w\(index)", now: self.t0) }
        #expect(local.breaker(at: .cluster)?.state == .closed)
    }

    @Test func test_callerFailures_countAgainstNoBreaker() {
        var hierarchy = self.hierarchy()
        for category in [ErrorCategory.validation, .notFound, .cancelled, .budgetExhausted, .circuitOpen] {
            self.run(&hierarchy, .failure(category), worker: "w1", times: 10, now: self.t0)
        }
        for path in hierarchy.paths {
            #expect(hierarchy.breaker(at: path)?.state == .closed)
            #expect(hierarchy.breaker(at: path)?.metrics(now: self.t0).calls == 0, "\(path)")
        }
    }

    @Test func test_successes_countAtEveryLevel() {
        var hierarchy = self.hierarchy()
        self.run(&hierarchy, .success, worker: "w1", times: 3, now: self.t0)
        for path in [BreakerPath.cluster, .group("g"), .worker(group: "g", worker: "w1")] {
            #expect(hierarchy.breaker(at: path)?.metrics(now: self.t0).calls == 3)
        }
        #expect(hierarchy.paths == [.cluster, .group("g"), .worker(group: "g", worker: "w1")])
    }

    @Test func test_clusterOpen_failsEverythingFast_withoutTouchingChildren() {
        var hierarchy = self.hierarchy()
        hierarchy.forceOpen(.cluster, now: self.t0)
        let admission = hierarchy.acquire(group: "g", worker: "w1", now: self.t0)
        #expect(admission.rejectedBy == .cluster)
        #expect(hierarchy.breaker(at: .group("g")) == nil)
        #expect(!hierarchy.admits(group: "any", worker: "one", now: self.at(.seconds(3600))))
        hierarchy.close(.cluster, now: self.t0)
        #expect(hierarchy.admits(group: "any", worker: "one", now: self.t0))
    }

    @Test func test_refusalBelow_releasesTheProbesTakenAbove() {
        var hierarchy = self.hierarchy()
        // Open the group with shared-dependency failures, and a worker with local ones.
        self.run(&hierarchy, .failure(.server), worker: "a", times: 4, now: self.t0)
        hierarchy.forceOpen(.worker(group: "g", worker: "b"), now: self.t0)
        // At 30 s the group goes half-open with one probe; worker b refuses, so the probe is returned.
        let refused = hierarchy.acquire(group: "g", worker: "b", now: self.at(.seconds(30)))
        #expect(refused.rejectedBy == .worker(group: "g", worker: "b"))
        #expect(refused.transitions.map(\.transition.to) == [.halfOpen])
        #expect(hierarchy.breaker(at: .group("g"))?.state == .halfOpen(.init(since: self.at(.seconds(30)))))
        // The probe is still available to a healthy worker, and only one.
        #expect(hierarchy.acquire(group: "g", worker: "a", now: self.at(.seconds(30))).isAdmitted)
        #expect(hierarchy.acquire(group: "g", worker: "c", now: self.at(.seconds(30))).rejectedBy == .group("g"))
        // Its success closes the group.
        let transitions = hierarchy.record(
            .success,
            group: "g",
            worker: "a",
            duration: self.fast,
            now: self.at(.seconds(31))
        )
        #expect(
            transitions.map(\.description) == ["g: half-open → closed (probes-succeeded) at \(self.at(.seconds(31)))"]
        )
    }

    @Test func test_unsentAttempt_releasesItsPermits() {
        var hierarchy = self.hierarchy()
        self.run(&hierarchy, .failure(.timeout), worker: "w", times: 4, now: self.t0)
        #expect(hierarchy.acquire(group: "g", worker: "w", now: self.at(.seconds(30))).isAdmitted)
        #expect(!hierarchy.admits(group: "g", worker: "w", now: self.at(.seconds(30))))
        hierarchy.release(group: "g", worker: "w")
        #expect(hierarchy.admits(group: "g", worker: "w", now: self.at(.seconds(30))))
    }

    @Test func test_ignoredFailureOfAProbe_releasesIt() {
        var hierarchy = self.hierarchy()
        self.run(&hierarchy, .failure(.timeout), worker: "w", times: 4, now: self.t0)
        let probeTime = self.at(.seconds(30))
        #expect(hierarchy.acquire(group: "g", worker: "w", now: probeTime).isAdmitted)
        hierarchy.record(.failure(.validation), group: "g", worker: "w", duration: self.fast, now: probeTime)
        #expect(hierarchy.breaker(at: .worker(group: "g", worker: "w"))?.stateName == .halfOpen)
        #expect(hierarchy.admits(group: "g", worker: "w", now: probeTime))
    }

    @Test func test_workerRecovery_isReportedAsATransitionToClosed() {
        var hierarchy = self.hierarchy()
        self.run(&hierarchy, .failure(.timeout), worker: "w", times: 4, now: self.t0)
        let probeTime = self.at(.seconds(30))
        let admission = hierarchy.acquire(group: "g", worker: "w", now: probeTime)
        #expect(
            admission.transitions == [
                .init(
                    path: .worker(group: "g", worker: "w"),
                    transition: .init(from: .open, to: .halfOpen, trigger: .openDurationElapsed, at: probeTime)
                )
            ]
        )
        let transitions = hierarchy.record(.success, group: "g", worker: "w", duration: self.fast, now: probeTime)
        #expect(transitions.map(\.transition.to) == [.closed])
        #expect(transitions.first?.path == .worker(group: "g", worker: "w"))
    }

    // MARK: - Operators

    @Test func test_operatorCommands_byParsedPath() throws {
        var hierarchy = self.hierarchy()
        let worker = try #require(BreakerPath(parsing: "g/w1"))
        let group = try #require(BreakerPath(parsing: "g"))
        #expect(hierarchy.forceOpen(worker, now: self.t0).map(\.transition.trigger) == [.operatorForceOpen])
        #expect(!hierarchy.admits(group: "g", worker: "w1", now: self.t0))
        #expect(hierarchy.admits(group: "g", worker: "w2", now: self.t0))
        hierarchy.disable(group, now: self.t0)
        self.run(&hierarchy, .failure(.server), worker: "w2", times: 10, now: self.t0)
        #expect(hierarchy.breaker(at: group)?.state == .disabled)
        #expect(hierarchy.reset(group, now: self.t0).map(\.transition.to) == [.closed])
        #expect(hierarchy.close(worker, now: self.t0).map(\.transition.to) == [.closed])
        #expect(hierarchy.close(worker, now: self.t0).isEmpty)
    }

    @Test func test_removeWorker_forgetsItsBreaker() {
        var hierarchy = self.hierarchy()
        hierarchy.forceOpen(.worker(group: "g", worker: "w"), now: self.t0)
        hierarchy.removeWorker(group: "g", worker: "w")
        #expect(hierarchy.breaker(at: .worker(group: "g", worker: "w")) == nil)
        #expect(hierarchy.admits(group: "g", worker: "w", now: self.t0))
    }

    @Test func test_defaultConfiguration_givesTheClusterALargerWindow() {
        let configuration = BreakerHierarchy.Configuration()
        #expect(configuration.cluster.window == .count(100))
        #expect(configuration.cluster.minimumCalls == 50)
        #expect(configuration.group == CircuitBreaker.Configuration())
        #expect(configuration.worker == CircuitBreaker.Configuration())
    }
}
