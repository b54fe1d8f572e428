import HerdCore

/// The security and limits keys of `[coordinator]` (docs/SECURITY.md, `cluster/README.md`).
///
/// | Key                          | Property                        | Type             | Default    |
/// | ---------------------------- | ------------------------------- | ---------------- | ---------- |
/// | `secret-key`                 | `secretKey`                     | string (a path)  | none       |
/// | `worker-keys`                | `workerKeys`                    | array of strings | `[]`       |
/// | `client-keys`                | `clientKeys`                    | array of strings | `[]`       |
/// | `operator-keys`              | `operatorKeys`                  | array of strings | `[]`       |
/// | `max-fanout`                 | `limits.maxSubtasksPerJob`      | integer          | 10000000   |
/// | `max-open-jobs-per-client`   | `limits.maxOpenJobsPerClient`   | integer          | 10000      |
/// | `max-submissions-per-second` | `limits.maxSubmissionsPerSecond`| integer          | 10000      |
/// | `max-payload-bytes`          | `limits.maxPayloadBytes`        | integer          | 16777216   |
/// | `max-output-bytes`           | `limits.maxOutputBytes`         | integer          | 16777216   |
///
/// A key entry is a public key in Z85 (40 characters) or the path of a key file (`herd keygen`
/// writes `NAME.pub`), relative to the cluster file. The file only names keys; reading and checking
/// them is the CLI's (`HerdLauncher.KeyFiles`), since HerdConfig does no I/O.
extension CoordinatorSettings {
    /// The keys this file adds to `[coordinator]`.
    static let securityKeys = [
        "secret-key", "worker-keys", "client-keys", "operator-keys", "max-fanout", "max-open-jobs-per-client",
        "max-submissions-per-second", "max-payload-bytes", "max-output-bytes",
    ]

    /// The range of `max-fanout` (the core's own cap is the upper bound).
    public static let maxFanoutRange: ClosedRange<Int> = 1 ... CoordinatorStateMachine.maxSubtasksPerJob
    /// The range of `max-open-jobs-per-client` and `max-submissions-per-second`.
    public static let perClientRange: ClosedRange<Int> = 1 ... 1_000_000
    /// The range of `max-payload-bytes` and `max-output-bytes`: 1 byte to 1 GiB.
    public static let sizeLimitRange: ClosedRange<Int> = 1 ... (1 << 30)

    /// Reads the security and limits keys of a `[coordinator]` table into `self`.
    mutating func readSecurity(_ reader: ConfigTableReader) throws(ConfigError) {
        if let secret = try reader.string("secret-key") {
            guard !secret.isEmpty else { throw reader.error("secret-key", "secret-key must name a key file") }
            self.secretKey = secret
        }
        self.workerKeys = try reader.strings("worker-keys") ?? []
        self.clientKeys = try reader.strings("client-keys") ?? []
        self.operatorKeys = try reader.strings("operator-keys") ?? []
        for key in ["worker-keys", "client-keys", "operator-keys"] {
            if let entries = try reader.strings(key), entries.contains(where: \.isEmpty) {
                throw reader.error(key, "\(key) entries must be a Z85 public key or a key file's path, not \"\"")
            }
        }
        if let value = try reader.integer("max-fanout", in: Self.maxFanoutRange) {
            self.limits.maxSubtasksPerJob = value
        }
        if let value = try reader.integer("max-open-jobs-per-client", in: Self.perClientRange) {
            self.limits.maxOpenJobsPerClient = value
        }
        if let value = try reader.integer("max-submissions-per-second", in: Self.perClientRange) {
            self.limits.maxSubmissionsPerSecond = value
        }
        if let value = try reader.integer("max-payload-bytes", in: Self.sizeLimitRange) {
            self.limits.maxPayloadBytes = value
        }
        if let value = try reader.integer("max-output-bytes", in: Self.sizeLimitRange) {
            self.limits.maxOutputBytes = value
        }
    }

    /// The security and limits keys as TOML lines: only those that are set or differ from the defaults.
    func securityTOMLLines() -> [String] {
        var lines: [String] = []
        if let secretKey { lines.append("secret-key = \(TOMLValue.quoted(secretKey))") }
        for (key, entries) in [
            ("worker-keys", self.workerKeys), ("client-keys", self.clientKeys), ("operator-keys", self.operatorKeys),
        ] where !entries.isEmpty {
            lines.append("\(key) = \(TOMLValue.array(entries.map(TOMLValue.string)))")
        }
        let defaults = CoordinatorLimits()
        let limits: [(String, Int, Int)] = [
            ("max-fanout", self.limits.maxSubtasksPerJob, defaults.maxSubtasksPerJob),
            ("max-open-jobs-per-client", self.limits.maxOpenJobsPerClient, defaults.maxOpenJobsPerClient),
            ("max-submissions-per-second", self.limits.maxSubmissionsPerSecond, defaults.maxSubmissionsPerSecond),
            ("max-payload-bytes", self.limits.maxPayloadBytes, defaults.maxPayloadBytes),
            ("max-output-bytes", self.limits.maxOutputBytes, defaults.maxOutputBytes),
        ]
        for (key, value, standard) in limits where value != standard { lines.append("\(key) = \(value)") }
        return lines
    }

    /// Whether the file names any key (then the coordinator runs with CURVE).
    public var namesKeys: Bool {
        self.secretKey != nil || !self.workerKeys.isEmpty || !self.clientKeys.isEmpty || !self.operatorKeys.isEmpty
    }
}
