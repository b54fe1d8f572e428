import Foundation
import HerdCore
import Testing

@testable import HerdConfig

/// A file of `lines`, so that cases can count lines at a glance.
private func configLines(_ lines: String...) -> String {
    lines.joined(separator: "\n")
}

/// The resilience keys of `[coordinator]` and `[[group]]`, and
/// ``ClusterSpec/coordinatorConfiguration(coordinatorID:seed:)``.
@Suite struct ConfigCoordinatorTests {
    static func configuration(_ text: String) throws -> CoordinatorConfiguration {
        try ClusterSpec.parse(text).coordinatorConfiguration(coordinatorID: "c1", seed: 42)
    }

    static func expectError(_ text: String, line: Int?, _ message: String) {
        #expect(throws: ConfigError(line: line, message: message)) { try ClusterSpec.parse(text) }
    }

    // MARK: - Defaults

    @Test func test_emptyFile_mapsToTheCoordinatorConfigurationDefaults() throws {
        let configuration = try Self.configuration("")
        #expect(configuration == CoordinatorConfiguration(coordinatorID: "c1", seed: 42))
        #expect(configuration.coordinatorID == "c1")
        #expect(configuration.seed == 42)
        #expect(configuration.deadlineSlack == .milliseconds(500))
        #expect(configuration.cancelOverdueAfter == .seconds(5))
        #expect(configuration.retry == CoordinatorConfiguration.defaultRetry)
        #expect(configuration.retryBudget == RetryBudget.Configuration())
        #expect(configuration.breakers == BreakerHierarchy.Configuration())
        #expect(configuration.recoveryRamp == RecoveryRamp.Configuration())
        #expect(configuration.groupPolicies.isEmpty)
    }

    @Test func test_defaults_areTheTypesDefaults() {
        let defaults = CoordinatorSettings.defaults
        #expect(defaults.retry == CoordinatorConfiguration.defaultRetry)
        #expect(defaults.retry.maxAttempts == 3)
        #expect(defaults.retry.baseDelay == .milliseconds(200))
        #expect(defaults.retry.maxDelay == .seconds(10))
        #expect(defaults.retry.jitter == .full)
        #expect(defaults.retry.maxRetryAfter == nil)
        #expect(defaults.retryBudget.ratio == 0.2)
        #expect(defaults.retryBudget.minRetriesPerSecond == 10)
        #expect(defaults.retryBudget.window == .seconds(10))
        #expect(defaults.breakers.cluster == CircuitBreaker.Configuration(window: .count(100), minimumCalls: 50))
        #expect(defaults.breakers.group == CircuitBreaker.Configuration())
        #expect(defaults.breakers.worker == CircuitBreaker.Configuration())
        #expect(defaults.recoveryRamp.steps == [0.1, 0.25, 0.5, 1.0])
        #expect(defaults.recoveryRamp.stepDuration == .seconds(10))
    }

    @Test func test_embeddedLocalCluster_mapsToTheDefaults() throws {
        let configuration = try Self.configuration(ClusterSpec.embeddedLocalCluster)
        #expect(configuration == CoordinatorConfiguration(coordinatorID: "c1", seed: 42))
    }

    /// The commented-out examples in the local cluster show the defaults: uncommented, they change nothing.
    @Test func test_embeddedLocalCluster_commentedExamples_areTheDefaults() throws {
        let keys = CoordinatorSettings.resilienceKeys
        var uncommented = 0
        let lines = ClusterSpec.embeddedLocalCluster.split(separator: "\n", omittingEmptySubsequences: false).map {
            line in
            guard line.hasPrefix("# "), let key = line.dropFirst(2).split(separator: " ").first,
                keys.contains(String(key))
            else {
                return String(line)
            }
            uncommented += 1
            return String(line.dropFirst(2))
        }
        #expect(uncommented >= 5)
        let spec = try ClusterSpec.parse(lines.joined(separator: "\n"))
        #expect(spec.coordinator == .defaults)
    }

    /// `cluster/README.md` names every key (breaker keys by their suffix).
    @Test func test_readme_documentsEveryKey() throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cluster/README.md")
        let readme = try String(contentsOf: url, encoding: .utf8)
        let breakerKeys = Set(
            BreakerSetting.allCases.map(\.sharedKey)
                + BreakerLevel.allCases.flatMap { level in BreakerSetting.allCases.map(level.key) }
        )
        for key in CoordinatorSettings.keys + WorkerGroupSpec.keys + KindSpec.keys where !breakerKeys.contains(key) {
            #expect(readme.contains("`\(key)`"), "\(key) is not documented")
        }
        for setting in BreakerSetting.allCases {
            #expect(readme.contains("| `\(setting.rawValue)`"), "breaker suffix \(setting.rawValue) is not documented")
        }
    }

    // MARK: - Every key

    @Test func test_everyCoordinatorKey_isReadAndMapped() throws {
        let configuration = try Self.configuration(
            configLines(
                "[coordinator]",
                "heartbeat = '100ms'",
                "liveness = '2s'",
                "liveness-stretch = 2",
                "client-liveness = '30s'",
                "max-deliveries = 7",
                "deadline-slack = '0s'",
                "cancel-overdue = '2s'",
                "retry-attempts = 6",
                "retry-base-delay = '50ms'",
                "retry-max-delay = '2s'",
                "retry-jitter = 'equal'",
                "retry-max-retry-after = '1m'",
                "retry-budget-ratio = 0.5",
                "retry-budget-floor = 3",
                "retry-budget-window = '30s'",
                "ramp-steps = [0.2, 0.6, 1]",
                "ramp-step = '5s'"
            )
        )
        #expect(configuration.heartbeatInterval == .milliseconds(100))
        #expect(configuration.livenessWindow == .seconds(2))
        #expect(configuration.livenessMaxStretch == 2)
        #expect(configuration.clientLiveness == .seconds(30))
        #expect(configuration.maxDeliveries == 7)
        #expect(configuration.deadlineSlack == .zero)
        #expect(configuration.cancelOverdueAfter == .seconds(2))
        #expect(
            configuration.retry
                == RetryPolicy(
                    maxAttempts: 6,
                    baseDelay: .milliseconds(50),
                    maxDelay: .seconds(2),
                    jitter: .equal,
                    maxRetryAfter: .seconds(60)
                )
        )
        #expect(
            configuration.retryBudget
                == RetryBudget.Configuration(ratio: 0.5, minRetriesPerSecond: 3, window: .seconds(30))
        )
        #expect(
            configuration.recoveryRamp == RecoveryRamp.Configuration(steps: [0.2, 0.6, 1.0], stepDuration: .seconds(5))
        )
        #expect(configuration.breakers == BreakerHierarchy.Configuration())
        // Keys the file has no say in keep the machine's defaults.
        #expect(configuration.deadWorkerRetention == CoordinatorConfiguration(coordinatorID: "x").deadWorkerRetention)
        #expect(configuration.retry.multiplier == 2)
        #expect(configuration.retry.nonRetryable == RetryPolicy.defaultNonRetryable)
    }

    @Test(arguments: ["full", "equal", "none"])
    func test_retryJitter_everySpelling(name: String) throws {
        let configuration = try Self.configuration("[coordinator]\nretry-jitter = '\(name)'")
        #expect(configuration.retry.jitter == RetryPolicy.Jitter(rawValue: name))
        #expect(configuration.retry.maxAttempts == CoordinatorConfiguration.defaultRetry.maxAttempts)
    }

    @Test func test_retryBudgetRatio_acceptsAnIntegerAndTheBounds() throws {
        #expect(try Self.configuration("[coordinator]\nretry-budget-ratio = 2").retryBudget.ratio == 2)
        #expect(try Self.configuration("[coordinator]\nretry-budget-ratio = 0").retryBudget.ratio == 0)
        #expect(try Self.configuration("[coordinator]\nretry-budget-ratio = 10.0").retryBudget.ratio == 10)
        #expect(try Self.configuration("[coordinator]\nretry-budget-floor = 0").retryBudget.minRetriesPerSecond == 0)
    }

    @Test func test_sharedBreakerKeys_applyToEveryLevel() throws {
        let breakers = try Self.configuration(
            configLines(
                "[coordinator]",
                "breaker-window = 40",
                "breaker-failure-rate = 25",
                "breaker-slow-call-rate = 80.5",
                "breaker-slow-call = '2s'",
                "breaker-minimum-calls = 5",
                "breaker-open = '15s'",
                "breaker-half-open-probes = 2"
            )
        ).breakers
        let expected = CircuitBreaker.Configuration(
            window: .count(40),
            failureRateThreshold: 25,
            slowCallRateThreshold: 80.5,
            slowCallDuration: .seconds(2),
            minimumCalls: 5,
            openDuration: .seconds(15),
            permittedCallsInHalfOpen: 2
        )
        #expect(breakers == BreakerHierarchy.Configuration(cluster: expected, group: expected, worker: expected))
    }

    @Test func test_levelBreakerKeys_overrideTheSharedOnes_whateverTheirOrder() throws {
        let breakers = try Self.configuration(
            configLines(
                "[coordinator]",
                "worker-breaker-open = '5s'",
                "breaker-open = '20s'",
                "cluster-breaker-window = '1m'",
                "group-breaker-minimum-calls = 4"
            )
        ).breakers
        var cluster = BreakerHierarchy.Configuration().cluster
        cluster.openDuration = .seconds(20)
        cluster.window = .time(.seconds(60), buckets: 60)
        #expect(breakers.cluster == cluster)
        #expect(breakers.cluster.minimumCalls == 50)
        #expect(breakers.group == CircuitBreaker.Configuration(minimumCalls: 4, openDuration: .seconds(20)))
        #expect(breakers.worker == CircuitBreaker.Configuration(openDuration: .seconds(5)))
    }

    /// Each level's key for each setting changes that setting of that level only.
    @Test(arguments: BreakerLevel.allCases, BreakerSetting.allCases)
    func test_eachLevelKey_changesOnlyItsLevel(level: BreakerLevel, setting: BreakerSetting) throws {
        let values: [BreakerSetting: String] = [
            .window: "'7s'", .failureRate: "33", .slowCallRate: "66", .slowCall: "'3s'",
            .minimumCalls: "3", .open: "'9s'", .halfOpenProbes: "4",
        ]
        let key = level.key(setting)
        let breakers = try Self.configuration("[coordinator]\n\(key) = \(values[setting]!)").breakers
        var expected = BreakerHierarchy.Configuration()
        switch setting {
        case .window: expected[keyPath: level.keyPath].window = .time(.seconds(7), buckets: 7)
        case .failureRate: expected[keyPath: level.keyPath].failureRateThreshold = 33
        case .slowCallRate: expected[keyPath: level.keyPath].slowCallRateThreshold = 66
        case .slowCall: expected[keyPath: level.keyPath].slowCallDuration = .seconds(3)
        case .minimumCalls: expected[keyPath: level.keyPath].minimumCalls = 3
        case .open: expected[keyPath: level.keyPath].openDuration = .seconds(9)
        case .halfOpenProbes: expected[keyPath: level.keyPath].permittedCallsInHalfOpen = 4
        }
        #expect(breakers == expected)
        #expect(CoordinatorSettings.keys.contains(key))
        #expect(CoordinatorSettings.keys.contains(setting.sharedKey))
    }

    @Test func test_breakerWindow_boundaries() throws {
        #expect(try Self.configuration("[coordinator]\nbreaker-window = 1").breakers.group.window == .count(1))
        #expect(
            try Self.configuration("[coordinator]\nbreaker-window = 10_000").breakers.worker.window == .count(10_000)
        )
        #expect(try Self.configuration("[coordinator]\nbreaker-window = '1s'").breakers.group.window == .seconds(1))
        #expect(try Self.configuration("[coordinator]\nbreaker-window = '10m'").breakers.group.window == .seconds(600))
    }

    @Test func test_coordinatorKeys_listEveryKeyOnce() {
        #expect(Set(CoordinatorSettings.keys).count == CoordinatorSettings.keys.count)
        // 11 connection, liveness, journal and metrics keys + the resilience keys + 9 security and limits keys
        #expect(CoordinatorSettings.keys.count == 58)
        #expect(Set(WorkerGroupSpec.keys).count == WorkerGroupSpec.keys.count)
    }

    // MARK: - Groups

    @Test func test_groupPolicies_fallbackAndRetryOverride_inheritTheRest() throws {
        let configuration = try Self.configuration(
            configLines(
                "[coordinator]",
                "retry-attempts = 5",
                "retry-max-retry-after = '30s'",
                "",
                "[[group]]",
                "name = 'gpu'",
                "fallback = 'cpu'",
                "retry-attempts = 2",
                "retry-jitter = 'none'",
                "",
                "[[group]]",
                "name = 'cpu'",
                "retry-base-delay = '1s'",
                "retry-max-delay = '1m'",
                "",
                "[[group]]",
                "name = 'plain'",
                "",
                "[[group]]",
                "name = 'spare'",
                "workers = 0",
                "",
                "[[group]]",
                "name = 'edge'",
                "fallback = 'spare'"
            )
        )
        let base = RetryPolicy(
            maxAttempts: 5,
            baseDelay: .milliseconds(200),
            maxDelay: .seconds(10),
            maxRetryAfter: .seconds(30)
        )
        #expect(configuration.retry == base)
        var gpu = base
        gpu.maxAttempts = 2
        gpu.jitter = .none
        var cpu = base
        cpu.baseDelay = .seconds(1)
        cpu.maxDelay = .seconds(60)
        #expect(
            configuration.groupPolicies == [
                "gpu": CoordinatorConfiguration.GroupPolicy(retry: gpu, fallback: "cpu"),
                "cpu": CoordinatorConfiguration.GroupPolicy(retry: cpu, fallback: nil),
                "edge": CoordinatorConfiguration.GroupPolicy(retry: nil, fallback: "spare"),
            ]
        )
    }

    @Test func test_groupBeforeCoordinator_inheritsTheCoordinatorsRetry() throws {
        let configuration = try Self.configuration(
            configLines(
                "[[group]]",
                "name = 'g'",
                "retry-base-delay = '5s'",
                "[coordinator]",
                "retry-max-delay = '30s'",
                "retry-jitter = 'equal'"
            )
        )
        let policy = try #require(configuration.groupPolicies["g"]?.retry)
        #expect(policy.baseDelay == .seconds(5))
        #expect(policy.maxDelay == .seconds(30))
        #expect(policy.jitter == .equal)
        #expect(policy.maxAttempts == 3)
    }

    @Test func test_fallbackChainWithoutCycle_isAccepted() throws {
        let spec = try ClusterSpec.parse(
            configLines(
                "[[group]]",
                "name = 'a'",
                "fallback = 'b'",
                "[[group]]",
                "name = 'b'",
                "fallback = 'c'",
                "[[group]]",
                "name = 'c'",
                "workers = 0"
            )
        )
        #expect(spec.groups.map(\.fallback) == ["b", "c", nil])
        let policies = spec.coordinatorConfiguration(coordinatorID: "c", seed: 1).groupPolicies
        #expect(policies.mapValues(\.fallback) == ["a": "b", "b": "c"])
    }

    @Test func test_coordinatorOnlyFile_works() throws {
        let spec = try ClusterSpec.parse("[coordinator]\nretry-attempts = 1\nbreaker-open = '1m'")
        #expect(spec.groups.isEmpty)
        let configuration = spec.coordinatorConfiguration(coordinatorID: "solo", seed: 9)
        #expect(configuration.retry.maxAttempts == 1)
        #expect(configuration.breakers.cluster.openDuration == .seconds(60))
        #expect(configuration.groupPolicies.isEmpty)
        #expect(try CoordinatorSettings.parse("[coordinator]\nretry-attempts = 1").retry.maxAttempts == 1)
    }

    // MARK: - Writing

    @Test func test_toTOML_everyResilienceSetting_roundTrips() throws {
        let text = configLines(
            "[coordinator]",
            "deadline-slack = '250ms'",
            "cancel-overdue = '1s'",
            "retry-attempts = 9",
            "retry-base-delay = '0s'",
            "retry-max-delay = '1.5s'",
            "retry-jitter = 'none'",
            "retry-max-retry-after = '0s'",
            "retry-budget-ratio = 1.25",
            "retry-budget-floor = 0",
            "retry-budget-window = '1m'",
            "breaker-window = '45s'",
            "breaker-failure-rate = 12.5",
            "cluster-breaker-minimum-calls = 7",
            "group-breaker-slow-call = '100ms'",
            "worker-breaker-half-open-probes = 9",
            "worker-breaker-slow-call-rate = 1",
            "ramp-steps = [0.5, 1]",
            "ramp-step = '250ms'",
            "[[group]]",
            "name = 'a'",
            "fallback = 'b'",
            "retry-max-delay = '20s'",
            "[[group]]",
            "name = 'b'",
            "workers = 0",
            "retry-attempts = 1",
            "retry-jitter = 'full'"
        )
        let spec = try ClusterSpec.parse(text)
        let written = spec.toTOML()
        #expect(try ClusterSpec.parse(written) == spec)
        #expect(written.contains("\nfallback = \"b\"\nretry-max-delay = \"20s\"\n"))
        #expect(written.contains("\nworker-breaker-window = \"45s\"\n"))
        #expect(written.contains("\ncluster-breaker-failure-rate = 12.5\n"))
        #expect(!written.contains("\nbreaker-"))
    }

    @Test func test_toTOML_defaults_writesNoResilienceKeys() {
        let written = ClusterSpec().toTOML()
        for key in ["deadline-slack", "cancel-overdue"] + CoordinatorSettings.resilienceKeys {
            #expect(!written.contains("\n\(key) ="), "\(key) written")
        }
    }
}

extension ConfigCoordinatorTests {
    @Test func test_metricsKey_hostPortOrEmpty_isRead_elseRejected() throws {
        #expect(
            try ClusterSpec.parse("[coordinator]\nmetrics = '127.0.0.1:9464'").coordinator.metrics == "127.0.0.1:9464"
        )
        #expect(try ClusterSpec.parse("[coordinator]\nmetrics = ''").coordinator.metrics == "")
        #expect(try ClusterSpec.parse("").coordinator.metrics == nil)
        #expect(throws: ConfigError.self) { try ClusterSpec.parse("[coordinator]\nmetrics = '9464'") }
        #expect(throws: ConfigError.self) { try ClusterSpec.parse("[coordinator]\nmetrics = 'h:99999'") }
    }
}
