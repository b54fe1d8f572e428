// MARK: - Writing

extension ClusterSpec {
    /// The cluster as a cluster file that ``parse(_:)`` reads back as an equal value.
    ///
    /// Every coordinator key is written, defaults included, followed by one `[[group]]` table
    /// per group and the `[job]` table if there is one. Comments and layout of the file the
    /// cluster was read from are not kept.
    ///
    /// - Returns: The TOML text, ending with a newline.
    public func toTOML() -> String {
        var lines = [
            "[coordinator]",
            "endpoint = \(TOMLValue.quoted(self.coordinator.endpoint))",
            "heartbeat = \(TOMLValue.quoted(formatDuration(self.coordinator.heartbeatInterval)))",
            "liveness = \(TOMLValue.quoted(formatDuration(self.coordinator.livenessWindow)))",
            "max-message-bytes = \(self.coordinator.maxMessageBytes)",
            "max-deliveries = \(self.coordinator.maxDeliveries)",
            "client-liveness = \(TOMLValue.quoted(formatDuration(self.coordinator.clientLiveness)))",
        ]
        for group in self.groups {
            lines += [
                "",
                "[[group]]",
                "name = \(TOMLValue.quoted(group.name))",
                "workers = \(group.workers)",
                "capacity = \(group.capacity)",
                "exec = \(TOMLValue.array(group.exec.map(TOMLValue.string)))",
            ]
            if let node = group.node {
                lines.append("node = \(TOMLValue.quoted(node))")
            }
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
