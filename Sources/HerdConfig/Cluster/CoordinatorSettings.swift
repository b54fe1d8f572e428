import HerdCore

/// The coordinator's settings: the `[coordinator]` table of a cluster file.
///
/// | Key                 | Property            | Type     | Default                | Range                 |
/// | ------------------- | ------------------- | -------- | ---------------------- | --------------------- |
/// | `endpoint`          | `endpoint`          | string   | `tcp://127.0.0.1:5555` | see below             |
/// | `heartbeat`         | `heartbeatInterval` | duration | `250ms`                | 1ms to 1h             |
/// | `liveness`          | `livenessWindow`    | duration | `1s`                   | 1ms to 1h, > heartbeat |
/// | `liveness-stretch`  | `livenessMaxStretch`| integer  | 4                      | 1...100               |
/// | `max-message-bytes` | `maxMessageBytes`   | integer  | 67108864 (64 MiB)      | 1024...1073741824     |
/// | `max-deliveries`    | `maxDeliveries`     | integer  | 5                      | 1...100               |
/// | `client-liveness`   | `clientLiveness`    | duration | `1.5s`                 | 1ms to 1h             |
/// | `deadline-slack`    | `deadlineSlack`     | duration | `500ms`                | 0s to 1h              |
/// | `cancel-overdue`    | `cancelOverdueAfter`| duration | `5s`                   | 1ms to 1h             |
///
/// The resilience keys (`retry-…`, `retry-budget-…`, `breaker-…` and its `cluster-`, `group-`
/// and `worker-` forms, `ramp-…`) fill ``retry``, ``retryBudget``, ``breakers`` and
/// ``recoveryRamp``; `cluster/README.md` describes them. Each defaults to its type's default,
/// except ``retry``, which defaults to ``HerdCore/CoordinatorConfiguration/defaultRetry``.
///
/// The endpoint is a ZeroMQ address: `tcp://HOST:PORT` (port 1...65535, or `*` for any),
/// `ipc://PATH` or `inproc://NAME`. Durations are strings such as `"250ms"` (see
/// ``parseDuration(_:)``). ``ClusterSpec/coordinatorConfiguration(coordinatorID:seed:)`` turns
/// these settings, with the groups' retry overrides and fallbacks, into the coordinator's
/// configuration.
public struct CoordinatorSettings: Sendable, Hashable {
    /// The ZeroMQ address the coordinator binds and workers and clients connect to (`endpoint`).
    public var endpoint: String
    /// How often each side sends a heartbeat when otherwise silent (`heartbeat`).
    public var heartbeatInterval: Duration
    /// A worker silent for longer than this is declared dead (`liveness`); longer than the
    /// heartbeat interval.
    public var livenessWindow: Duration
    /// How many times `liveness` a worker heard with jitter may stay silent (`liveness-stretch`;
    /// 1 never stretches). HerdCore's `LivenessEstimate` explains the estimate.
    public var livenessMaxStretch: Int
    /// The largest message the coordinator accepts, in bytes (`max-message-bytes`).
    public var maxMessageBytes: Int
    /// How many attempts of one subtask may be lost to dead workers before the subtask fails
    /// (`max-deliveries`).
    public var maxDeliveries: Int
    /// A client silent for longer than this is considered gone and its jobs abandoned
    /// (`client-liveness`).
    public var clientLiveness: Duration
    /// How long after a job's deadline the coordinator enforces it itself (`deadline-slack`).
    public var deadlineSlack: Duration
    /// A cancelled attempt not confirmed within this time is reported as overdue
    /// (`cancel-overdue`).
    public var cancelOverdueAfter: Duration
    /// How failed attempts are retried, unless a group overrides it (`retry-…`).
    public var retry: RetryPolicy
    /// The cluster-wide retry budget (`retry-budget-…`).
    public var retryBudget: RetryBudget.Configuration
    /// The circuit breakers of every level (`breaker-…`, `cluster-breaker-…`, `group-breaker-…`,
    /// `worker-breaker-…`).
    public var breakers: BreakerHierarchy.Configuration
    /// How a recovering worker gets its share of new work back (`ramp-…`).
    public var recoveryRamp: RecoveryRamp.Configuration
    /// Where the coordinator keeps its journal (`journal`), relative to the cluster file's
    /// directory; `""` keeps jobs in memory only. `nil` (no key): `herd up` keeps
    /// `.herd/journal.sqlite` next to the file, `herd coordinator --config` keeps none.
    public var journal: String?
    /// The coordinator's CURVE secret key file (`secret-key`), relative to the cluster file;
    /// `nil`: none (the coordinator then runs without CURVE only if told `--insecure`).
    public var secretKey: String?
    /// Public keys (Z85, or key files relative to the cluster file) that may act as workers in any
    /// group (`worker-keys`); `[[group]]` tables can add keys limited to their group.
    public var workerKeys: [String] = []
    /// Public keys that may act as clients (`client-keys`).
    public var clientKeys: [String] = []
    /// Public keys that may do everything (`operator-keys`).
    public var operatorKeys: [String] = []
    /// Fan-out, open jobs and submission rate per client, payload and output sizes (`max-…`).
    public var limits: CoordinatorLimits = CoordinatorConfiguration.defaults.limits
    /// Where the coordinator serves `GET /metrics` (`metrics`, `HOST:PORT`); `""`: nowhere. `nil`
    /// (no key): `herd up` serves on ``defaultMetricsAddress``, `herd coordinator --config` nowhere.
    public var metrics: String?

    /// Where `herd up`'s coordinator serves metrics when neither `--metrics` nor the file says.
    public static let defaultMetricsAddress = "127.0.0.1:9464"

    /// Creates settings; every parameter defaults to the value in ``defaults``.
    ///
    /// The defaults are not written here: the endpoint's is ``defaultEndpoint``, the message
    /// limit's ``HerdCore/WireCodec/defaultMaxMessageBytes``, and every other one is the value in
    /// ``HerdCore/CoordinatorConfiguration/defaults``.
    ///
    /// No validation happens here: ``ClusterSpec/parse(_:)`` validates what it reads.
    public init(
        endpoint: String = CoordinatorSettings.defaultEndpoint,
        heartbeatInterval: Duration = CoordinatorConfiguration.defaults.heartbeatInterval,
        livenessWindow: Duration = CoordinatorConfiguration.defaults.livenessWindow,
        livenessMaxStretch: Int = CoordinatorConfiguration.defaults.livenessMaxStretch,
        maxMessageBytes: Int = WireCodec.defaultMaxMessageBytes,
        maxDeliveries: Int = Int(CoordinatorConfiguration.defaults.maxDeliveries),
        clientLiveness: Duration = CoordinatorConfiguration.defaults.clientLiveness,
        deadlineSlack: Duration = CoordinatorConfiguration.defaults.deadlineSlack,
        cancelOverdueAfter: Duration = CoordinatorConfiguration.defaults.cancelOverdueAfter,
        retry: RetryPolicy = CoordinatorConfiguration.defaults.retry,
        retryBudget: RetryBudget.Configuration = CoordinatorConfiguration.defaults.retryBudget,
        breakers: BreakerHierarchy.Configuration = CoordinatorConfiguration.defaults.breakers,
        recoveryRamp: RecoveryRamp.Configuration = CoordinatorConfiguration.defaults.recoveryRamp,
        journal: String? = nil
    ) {
        self.endpoint = endpoint
        self.heartbeatInterval = heartbeatInterval
        self.livenessWindow = livenessWindow
        self.livenessMaxStretch = livenessMaxStretch
        self.maxMessageBytes = maxMessageBytes
        self.maxDeliveries = maxDeliveries
        self.clientLiveness = clientLiveness
        self.deadlineSlack = deadlineSlack
        self.cancelOverdueAfter = cancelOverdueAfter
        self.retry = retry
        self.retryBudget = retryBudget
        self.breakers = breakers
        self.recoveryRamp = recoveryRamp
        self.journal = journal
    }

    /// The journal's path for a cluster file in `directory` (a relative `journal` is relative to
    /// it): `nil` when the file says `""` (in memory) or nothing (`fallback` decides).
    public func journalPath(inDirectoryOf directory: String, fallback: String?) -> String? {
        guard let journal = self.journal else { return fallback }
        if journal.isEmpty { return nil }
        return journal.hasPrefix("/") ? journal : directory + "/" + journal
    }

    /// The settings used for every key a file leaves out.
    public static let defaults = CoordinatorSettings()

    /// The endpoint of a file without an `endpoint` key, and of every command without
    /// `--connect`, `--bind` or `$HERD_ENDPOINT`.
    public static let defaultEndpoint = "tcp://127.0.0.1:5555"

    /// The range of most duration settings: 1ms to 1h.
    public static let durationRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(3600)
    /// The range of the duration settings that may be zero (`deadline-slack`, the retry delays):
    /// 0s to 1h.
    public static let zeroableDurationRange: ClosedRange<Duration> = .zero ... .seconds(3600)
    /// The range of `max-message-bytes`: 1 KiB to 1 GiB.
    public static let maxMessageBytesRange: ClosedRange<Int> = 1024 ... (1 << 30)
    /// The range of `liveness-stretch`.
    public static let livenessStretchRange: ClosedRange<Int> = 1 ... 100
    /// The range of `max-deliveries`.
    public static let maxDeliveriesRange: ClosedRange<Int> = 1 ... 100

    /// Reads the coordinator's settings from a cluster file (what `herd coordinator --config`
    /// does).
    ///
    /// The whole file is validated, `[[group]]` and `[job]` tables included, so a file that
    /// `herd up` would reject is rejected here too. A file without a `[coordinator]` table gives
    /// ``defaults``.
    ///
    /// - Parameter text: The file's text.
    /// - Returns: The `[coordinator]` settings, with defaults for absent keys.
    /// - Throws: ``ConfigError`` for the first problem, with its line.
    public static func parse(_ text: String) throws(ConfigError) -> CoordinatorSettings {
        try ClusterSpec.parse(text).coordinator
    }

    /// Whether `endpoint` can only be reached from this machine: `ipc://`, `inproc://`, or TCP
    /// on a loopback address (`127.x.x.x`, `localhost`, `[::1]`). A coordinator may run without
    /// CURVE only there, unless told `--insecure` (docs/SECURITY.md).
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return false }
        let host = endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6) ..< colon]
        return host.hasPrefix("127.") || host == "localhost" || host == "[::1]" || host == "::1"
    }

    /// Checks that `endpoint` is a ZeroMQ address Herd can use.
    ///
    /// - Parameter endpoint: `tcp://HOST:PORT` (port 1...65535 or `*`), `ipc://PATH` or
    ///   `inproc://NAME`.
    /// - Returns: `nil` if the endpoint is valid, otherwise what a valid one looks like.
    public static func endpointProblem(_ endpoint: String) -> String? {
        let expected = "endpoint must look like tcp://HOST:PORT (port 1...65535), ipc://PATH or inproc://NAME"
        guard let separator = endpoint.firstRange(of: "://") else { return expected }
        let scheme = endpoint[..<separator.lowerBound]
        let address = endpoint[separator.upperBound...]
        guard !address.isEmpty, !address.contains(where: \.isWhitespace) else { return expected }
        switch scheme {
        case "ipc", "inproc":
            return nil
        case "tcp":
            guard let colon = address.lastIndex(of: ":") else { return expected }
            let host = address[..<colon]
            let port = address[address.index(after: colon)...]
            guard !host.isEmpty, port == "*" || (Int(port).map { (1 ... 65535).contains($0) } ?? false) else {
                return expected
            }
            return nil
        default:
            return expected
        }
    }
}

// MARK: - Reading

extension CoordinatorSettings {
    /// The keys of the `[coordinator]` table, in the order `cluster/README.md` lists them.
    static let keys =
        ["endpoint", "heartbeat", "liveness", "liveness-stretch", "max-message-bytes", "max-deliveries"]
        + ["client-liveness", "deadline-slack", "cancel-overdue", "journal", "metrics"] + Self.resilienceKeys
        + Self.securityKeys

    /// Reads and validates a `[coordinator]` table.
    init(table: TOMLTable) throws(ConfigError) {
        let reader = ConfigTableReader(table: table, context: "[coordinator]")
        try reader.rejectUnknownKeys(Self.keys)
        var settings = CoordinatorSettings.defaults
        if let endpoint = try reader.string("endpoint") {
            if let problem = Self.endpointProblem(endpoint) {
                throw reader.error("endpoint", "\(problem), got \(TOMLValue.string(endpoint))")
            }
            settings.endpoint = endpoint
        }
        if let heartbeat = try reader.duration("heartbeat", in: Self.durationRange) {
            settings.heartbeatInterval = heartbeat
        }
        if let liveness = try reader.duration("liveness", in: Self.durationRange) {
            settings.livenessWindow = liveness
        }
        if let stretch = try reader.integer("liveness-stretch", in: Self.livenessStretchRange) {
            settings.livenessMaxStretch = stretch
        }
        if let bytes = try reader.integer("max-message-bytes", in: Self.maxMessageBytesRange) {
            settings.maxMessageBytes = bytes
        }
        if let deliveries = try reader.integer("max-deliveries", in: Self.maxDeliveriesRange) {
            settings.maxDeliveries = deliveries
        }
        if let clientLiveness = try reader.duration("client-liveness", in: Self.durationRange) {
            settings.clientLiveness = clientLiveness
        }
        if let slack = try reader.duration("deadline-slack", in: Self.zeroableDurationRange) {
            settings.deadlineSlack = slack
        }
        if let overdue = try reader.duration("cancel-overdue", in: Self.durationRange) {
            settings.cancelOverdueAfter = overdue
        }
        if let journal = try reader.string("journal") { settings.journal = journal }
        if let metrics = try reader.string("metrics") {
            guard metrics.isEmpty || Self.isHostPort(metrics) else {
                throw reader.error(
                    "metrics",
                    "expected HOST:PORT (e.g. 127.0.0.1:9464) or \"\", got \(TOMLValue.string(metrics))"
                )
            }
            settings.metrics = metrics
        }
        try settings.readResilience(reader)
        try settings.readSecurity(reader)
        guard settings.livenessWindow > settings.heartbeatInterval else {
            let liveness = formatDuration(settings.livenessWindow) + (table["liveness"] == nil ? ", the default" : "")
            let heartbeat = formatDuration(settings.heartbeatInterval)
            throw reader.error(
                table["liveness"] == nil ? "heartbeat" : "liveness",
                "liveness (\(liveness)) must be longer than heartbeat (\(heartbeat))"
            )
        }
        self = settings
    }
}

extension CoordinatorSettings {
    /// Whether `address` reads as `HOST:PORT` (port 0...65535; `[::1]:PORT` for IPv6).
    public static func isHostPort(_ address: String) -> Bool {
        guard let colon = address.lastIndex(of: ":"), colon != address.startIndex,
            let port = Int(address[address.index(after: colon)...])
        else { return false }
        return (0 ... 65535).contains(port)
    }
}
