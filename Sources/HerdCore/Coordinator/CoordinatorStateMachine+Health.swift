// MARK: - Health: a worker's probe (`herd worker --health`) takes it out of dispatch and back

extension CoordinatorStateMachine {
    /// A worker's health probe changed verdict: an unhealthy worker gets no new work (what it runs
    /// goes on); a healthy one again gets its share back through the recovery ramp.
    mutating func healthReported(
        _ report: HealthReport,
        from peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        guard let worker = self.membership[peer] else { return }
        let wasUnhealthy = worker.unhealthy != nil
        var metadata = worker.metadata
        metadata["probe"] = report.reason
        if report.healthy {
            guard wasUnhealthy else { return }
            self.membership.setUnhealthy(peer, nil)
            self.resilience.startRamp(peer, now: now)
            actions.append(.log(LogLine(.notice, "worker healthy again: ramping its work back up", metadata)))
        } else {
            self.membership.setUnhealthy(peer, report.reason.isEmpty ? "probe failed" : report.reason)
            if !wasUnhealthy { actions.append(.log(LogLine(.warning, "worker unhealthy: no new work", metadata))) }
        }
        self.queues.markDirty(worker.registration.group)
    }
}
