import HerdCore

extension ClusterSpec {
    /// The coordinator's configuration described by this cluster file.
    ///
    /// Every `[coordinator]` setting the state machine uses is carried over: heartbeat, liveness,
    /// client liveness, max deliveries, deadline slack, cancel-overdue, the retry policy, the retry
    /// budget, the breakers of every level and the recovery ramp. Each group with a `fallback` or a
    /// retry override gets a ``HerdCore/CoordinatorConfiguration/GroupPolicy``: its retry policy is the
    /// coordinator's with the group's overrides applied (`nil` if it overrides nothing). A group's
    /// worker count plays no part, so a group of 0 workers (started elsewhere, or not at all) can
    /// still be a fallback; a file without groups gives no group policies. Each `[[kind]]` table's
    /// retry override is applied on top of the subtask's group policy (``HerdCore/CoordinatorConfiguration/kindRetries``).
    ///
    /// `max-message-bytes` and `endpoint` are the server's, not the state machine's, and settings
    /// the file has no key for (`deadWorkerRetention`) keep ``HerdCore/CoordinatorConfiguration``'s defaults.
    ///
    /// - Parameters:
    ///   - coordinatorID: Identifies this coordinator process (changes on restart).
    ///   - seed: Seeds the jitter of retry delays.
    /// - Returns: The configuration.
    public func coordinatorConfiguration(coordinatorID: String, seed: UInt64) -> CoordinatorConfiguration {
        let settings = self.coordinator
        var groupPolicies: [String: CoordinatorConfiguration.GroupPolicy] = [:]
        for group in self.groups where group.hasPolicy {
            groupPolicies[group.name] = CoordinatorConfiguration.GroupPolicy(
                retry: group.retry.isEmpty ? nil : group.retry.applied(to: settings.retry),
                fallback: group.fallback,
                fallbackCache: group.fallbackCache,
                fallbackValue: group.fallbackValue.map { Array($0.utf8) }
            )
        }
        return CoordinatorConfiguration(
            coordinatorID: coordinatorID,
            heartbeatInterval: settings.heartbeatInterval,
            livenessWindow: settings.livenessWindow,
            livenessMaxStretch: settings.livenessMaxStretch,
            clientLiveness: settings.clientLiveness,
            maxDeliveries: UInt32(clamping: max(1, settings.maxDeliveries)),
            deadlineSlack: settings.deadlineSlack,
            cancelOverdueAfter: settings.cancelOverdueAfter,
            retry: settings.retry,
            retryBudget: settings.retryBudget,
            breakers: settings.breakers,
            recoveryRamp: settings.recoveryRamp,
            groupPolicies: groupPolicies,
            kindRetries: Dictionary(self.kinds.map { ($0.name, $0.retry) }) { _, last in last },
            seed: seed,
            limits: settings.limits
        )
    }
}
