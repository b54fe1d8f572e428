import HerdCore

// MARK: - Writing

extension ClusterSpec {
    /// The cluster as a cluster file that ``parse(_:)`` reads back as an equal value.
    ///
    /// The connection and liveness keys of `[coordinator]` are always written, defaults
    /// included; the others (`deadline-slack` onwards, breakers per level) only when they differ
    /// from their defaults. One `[[group]]` table per group follows, then the `[job]` table if
    /// there is one. Comments and layout of the file the cluster was read from are not kept.
    ///
    /// Every spec ``parse(_:)`` returns reads back equal. Settings a file cannot express (a retry
    /// multiplier, non-retryable categories, a breaker's half-open time limit, a time window not cut
    /// into one-second buckets) are left out or written as the nearest the file can say.
    ///
    /// - Returns: The TOML text, ending with a newline.
    public func toTOML() -> String {
        var lines = [
            "[coordinator]",
            "endpoint = \(TOMLValue.quoted(self.coordinator.endpoint))",
            "heartbeat = \(TOMLValue.quoted(formatDuration(self.coordinator.heartbeatInterval)))",
            "liveness = \(TOMLValue.quoted(formatDuration(self.coordinator.livenessWindow)))",
            "liveness-stretch = \(self.coordinator.livenessMaxStretch)",
            "max-message-bytes = \(self.coordinator.maxMessageBytes)",
            "max-deliveries = \(self.coordinator.maxDeliveries)",
            "client-liveness = \(TOMLValue.quoted(formatDuration(self.coordinator.clientLiveness)))",
        ]
        if let journal = self.coordinator.journal { lines.append("journal = \(TOMLValue.quoted(journal))") }
        if let metrics = self.coordinator.metrics { lines.append("metrics = \(TOMLValue.quoted(metrics))") }
        lines += self.coordinator.resilienceTOMLLines()
        lines += self.coordinator.securityTOMLLines()
        for group in self.groups {
            lines += [
                "",
                "[[group]]",
                "name = \(TOMLValue.quoted(group.name))",
                "workers = \(group.workers)",
                "capacity = \(group.capacity)",
                "exec = \(TOMLValue.array(group.exec.map(TOMLValue.string)))",
            ]
            if let command = group.command {
                lines.append("command = \(TOMLValue.quoted(command))")
            }
            if let node = group.node {
                lines.append("node = \(TOMLValue.quoted(node))")
            }
            if let fallback = group.fallback {
                lines.append("fallback = \(TOMLValue.quoted(fallback))")
            }
            if !group.workerKeys.isEmpty {
                lines.append("worker-keys = \(TOMLValue.array(group.workerKeys.map(TOMLValue.string)))")
            }
            lines += group.retry.tomlLines()
        }
        if let job = self.job {
            lines += [
                "",
                "[job]",
                "group = \(TOMLValue.quoted(job.group))",
                "kind = \(TOMLValue.quoted(job.kind))",
                "fanout = \(job.fanout)",
                "payload = \(TOMLValue.quoted(job.payload))",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
