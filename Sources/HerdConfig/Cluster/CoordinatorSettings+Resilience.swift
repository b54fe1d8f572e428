import HerdCore

// The resilience keys of the `[coordinator]` table: retries, the retry budget, the circuit
// breakers and the recovery ramp. cluster/README.md documents every key.

extension CoordinatorSettings {
    /// The range of `retry-attempts` (the first attempt included).
    public static let retryAttemptsRange: ClosedRange<Int> = 1 ... 100
    /// The range of `retry-budget-ratio`: retries allowed per first attempt.
    public static let retryBudgetRatioRange: ClosedRange<Double> = 0 ... 10
    /// The range of `retry-budget-floor`: retries per second allowed regardless of traffic.
    public static let retryBudgetFloorRange: ClosedRange<Int> = 0 ... 100_000
    /// The range of `retry-budget-window`.
    public static let retryBudgetWindowRange: ClosedRange<Duration> = .seconds(1) ... .seconds(3600)
    /// The range of a count-based `breaker-window` (calls).
    public static let breakerCountWindowRange: ClosedRange<Int> = 1 ... 10_000
    /// The range of a time-based `breaker-window` (whole seconds, one bucket per second).
    public static let breakerTimeWindowRange: ClosedRange<Duration> = .seconds(1) ... .seconds(600)
    /// The range of the `breaker-failure-rate` and `breaker-slow-call-rate` thresholds (percent).
    public static let breakerRateRange: ClosedRange<Double> = 1 ... 100
    /// The range of `breaker-minimum-calls`.
    public static let breakerMinimumCallsRange: ClosedRange<Int> = 1 ... 10_000
    /// The range of `breaker-half-open-probes`.
    public static let breakerHalfOpenProbesRange: ClosedRange<Int> = 1 ... 1_000
    /// The most shares `ramp-steps` may list.
    public static let maxRampSteps = 100

    /// The resilience keys, in the order `cluster/README.md` lists them.
    static let resilienceKeys: [String] =
        RetryOverride.keys + ["retry-max-retry-after"]
        + ["retry-budget-ratio", "retry-budget-floor", "retry-budget-window"]
        + BreakerSetting.allCases.map(\.sharedKey)
        + BreakerLevel.allCases.flatMap { level in BreakerSetting.allCases.map(level.key) }
        + ["ramp-steps", "ramp-step"]

    /// Reads the resilience keys of a `[coordinator]` table into these settings.
    mutating func readResilience(_ reader: ConfigTableReader) throws(ConfigError) {
        // Retries.
        let retry = try RetryOverride(reader: reader)
        self.retry = retry.applied(to: self.retry)
        if let limit = try reader.duration("retry-max-retry-after", in: Self.zeroableDurationRange) {
            self.retry.maxRetryAfter = limit
        }
        try retry.checkDelays(of: self.retry, reader: reader, unsetNote: "the default")

        // The retry budget.
        if let ratio = try reader.number("retry-budget-ratio", in: Self.retryBudgetRatioRange) {
            self.retryBudget.ratio = ratio
        }
        if let floor = try reader.integer("retry-budget-floor", in: Self.retryBudgetFloorRange) {
            self.retryBudget.minRetriesPerSecond = floor
        }
        if let window = try reader.duration("retry-budget-window", in: Self.retryBudgetWindowRange) {
            let slices = Int64(self.retryBudget.slices)
            guard window.nanosecondsClamped % slices == 0 else {
                throw reader.error(
                    "retry-budget-window",
                    "retry-budget-window must split into \(slices) equal slices of whole nanoseconds, got \(TOMLValue.string(formatDuration(window)))"
                )
            }
            self.retryBudget.window = window
        }

        // The breakers: the shared key, then the level's own, over the level's defaults.
        for level in BreakerLevel.allCases {
            for setting in BreakerSetting.allCases {
                try setting.read(setting.sharedKey, with: reader, into: &self.breakers[keyPath: level.keyPath])
                try setting.read(level.key(setting), with: reader, into: &self.breakers[keyPath: level.keyPath])
            }
        }

        // The recovery ramp.
        if let steps = try reader.numbers("ramp-steps") {
            try Self.checkRampSteps(steps, reader: reader)
            self.recoveryRamp.steps = steps
        }
        if let step = try reader.duration("ramp-step", in: Self.durationRange) {
            self.recoveryRamp.stepDuration = step
        }
    }

    /// Fails unless `steps` are 1 to ``maxRampSteps`` shares in `(0, 1]`, increasing, ending at 1.
    private static func checkRampSteps(_ steps: [Double], reader: ConfigTableReader) throws(ConfigError) {
        let key = "ramp-steps"
        guard (1 ... Self.maxRampSteps).contains(steps.count) else {
            throw reader.error(key, "\(key) must list 1 to \(Self.maxRampSteps) shares, got \(steps.count)")
        }
        for (index, share) in steps.enumerated() where !(share > 0 && share <= 1) {
            throw reader.error(key, "\(key)[\(index)] must be a share in (0, 1], got \(formatNumber(share))")
        }
        for index in steps.indices.dropFirst() where steps[index] <= steps[index - 1] {
            throw reader.error(
                key,
                "\(key) must increase, but \(key)[\(index)] (\(formatNumber(steps[index]))) is not above \(key)[\(index - 1)] (\(formatNumber(steps[index - 1])))"
            )
        }
        guard steps.last == 1 else {
            throw reader.error(key, "\(key) must end at 1.0 (a full share), got \(formatNumber(steps.last ?? 0))")
        }
    }

    /// The resilience keys whose values differ from the defaults, as `key = value` lines.
    func resilienceTOMLLines() -> [String] {
        let defaults = CoordinatorSettings.defaults
        var lines: [String] = []
        func add(_ key: String, _ value: String, _ defaultValue: String) {
            if value != defaultValue { lines.append("\(key) = \(value)") }
        }
        func quotedDuration(_ duration: Duration) -> String { TOMLValue.quoted(formatDuration(duration)) }
        add("deadline-slack", quotedDuration(self.deadlineSlack), quotedDuration(defaults.deadlineSlack))
        add("cancel-overdue", quotedDuration(self.cancelOverdueAfter), quotedDuration(defaults.cancelOverdueAfter))
        let retry = RetryOverride(self.retry)
        let defaultRetry = RetryOverride(defaults.retry)
        for (line, defaultLine) in zip(retry.tomlLines(), defaultRetry.tomlLines()) where line != defaultLine {
            lines.append(line)
        }
        if let limit = self.retry.maxRetryAfter {
            lines.append("retry-max-retry-after = \(quotedDuration(limit))")
        }
        add(
            "retry-budget-ratio",
            formatNumber(self.retryBudget.ratio),
            formatNumber(defaults.retryBudget.ratio)
        )
        add(
            "retry-budget-floor",
            "\(self.retryBudget.minRetriesPerSecond)",
            "\(defaults.retryBudget.minRetriesPerSecond)"
        )
        add(
            "retry-budget-window",
            quotedDuration(self.retryBudget.window),
            quotedDuration(defaults.retryBudget.window)
        )
        for level in BreakerLevel.allCases {
            let breaker = self.breakers[keyPath: level.keyPath]
            let defaultBreaker = defaults.breakers[keyPath: level.keyPath]
            for setting in BreakerSetting.allCases {
                add(level.key(setting), setting.tomlValue(of: breaker), setting.tomlValue(of: defaultBreaker))
            }
        }
        func shares(_ steps: [Double]) -> String { "[" + steps.map { "\($0)" }.joined(separator: ", ") + "]" }
        add("ramp-steps", shares(self.recoveryRamp.steps), shares(defaults.recoveryRamp.steps))
        add(
            "ramp-step",
            quotedDuration(self.recoveryRamp.stepDuration),
            quotedDuration(defaults.recoveryRamp.stepDuration)
        )
        return lines
    }
}

// MARK: - Breaker keys

/// One level of the breaker hierarchy, as the prefix of its keys (`cluster-breaker-window`).
enum BreakerLevel: String, CaseIterable {
    case cluster
    case group
    case worker

    /// Where the level's configuration lives.
    var keyPath: WritableKeyPath<BreakerHierarchy.Configuration, CircuitBreaker.Configuration> {
        switch self {
        case .cluster: \.cluster
        case .group: \.group
        case .worker: \.worker
        }
    }

    /// The key that sets `setting` for this level only.
    func key(_ setting: BreakerSetting) -> String { "\(self.rawValue)-breaker-\(setting.rawValue)" }
}

/// One setting of a circuit breaker, as the suffix of its keys (`breaker-open`, `worker-breaker-open`).
enum BreakerSetting: String, CaseIterable {
    case window
    case failureRate = "failure-rate"
    case slowCallRate = "slow-call-rate"
    case slowCall = "slow-call"
    case minimumCalls = "minimum-calls"
    case open
    case halfOpenProbes = "half-open-probes"

    /// The key that sets this setting for every level not overriding it.
    var sharedKey: String { "breaker-\(self.rawValue)" }

    /// Reads `key`, if the table has it, into `configuration`.
    func read(
        _ key: String,
        with reader: ConfigTableReader,
        into configuration: inout CircuitBreaker.Configuration
    ) throws(ConfigError) {
        typealias Settings = CoordinatorSettings
        switch self {
        case .window:
            if let window = try Self.window(key, with: reader) { configuration.window = window }
        case .failureRate:
            if let rate = try reader.number(key, in: Settings.breakerRateRange) {
                configuration.failureRateThreshold = rate
            }
        case .slowCallRate:
            if let rate = try reader.number(key, in: Settings.breakerRateRange) {
                configuration.slowCallRateThreshold = rate
            }
        case .slowCall:
            if let duration = try reader.duration(key, in: Settings.durationRange) {
                configuration.slowCallDuration = duration
            }
        case .minimumCalls:
            if let calls = try reader.integer(key, in: Settings.breakerMinimumCallsRange) {
                configuration.minimumCalls = calls
            }
        case .open:
            if let duration = try reader.duration(key, in: Settings.durationRange) {
                configuration.openDuration = duration
            }
        case .halfOpenProbes:
            if let probes = try reader.integer(key, in: Settings.breakerHalfOpenProbesRange) {
                configuration.permittedCallsInHalfOpen = probes
            }
        }
    }

    /// This setting of `configuration` written as a TOML value.
    func tomlValue(of configuration: CircuitBreaker.Configuration) -> String {
        switch self {
        case .window:
            switch configuration.window {
            case .count(let size): "\(size)"
            case .time(let window, _): TOMLValue.quoted(formatDuration(window))
            }
        case .failureRate: formatNumber(configuration.failureRateThreshold)
        case .slowCallRate: formatNumber(configuration.slowCallRateThreshold)
        case .slowCall: TOMLValue.quoted(formatDuration(configuration.slowCallDuration))
        case .minimumCalls: "\(configuration.minimumCalls)"
        case .open: TOMLValue.quoted(formatDuration(configuration.openDuration))
        case .halfOpenProbes: "\(configuration.permittedCallsInHalfOpen)"
        }
    }

    /// A window written as a count of calls (`20`) or a duration of whole seconds (`"60s"`).
    private static func window(_ key: String, with reader: ConfigTableReader) throws(ConfigError) -> SlidingWindow.Kind?
    {
        guard let value = reader.table[key] else { return nil }
        let counts = CoordinatorSettings.breakerCountWindowRange
        let times = CoordinatorSettings.breakerTimeWindowRange
        let expected =
            "\(key) must be an integer \(counts.lowerBound)...\(counts.upperBound) (calls) or a duration of whole seconds from \(formatDuration(times.lowerBound)) to \(formatDuration(times.upperBound)), got \(value)"
        switch value {
        case .integer(let integer):
            guard let size = Int(exactly: integer), counts.contains(size) else { throw reader.error(key, expected) }
            return .count(size)
        case .string(let text):
            let duration: Duration
            do throws(ConfigError) {
                duration = try parseDuration(text)
            } catch {
                throw reader.error(key, "\(key): \(error.message)")
            }
            let nanoseconds = duration.nanosecondsClamped
            guard times.contains(duration), nanoseconds % 1_000_000_000 == 0 else { throw reader.error(key, expected) }
            return .seconds(Int(nanoseconds / 1_000_000_000))
        default:
            throw reader.error(key, expected)
        }
    }
}
