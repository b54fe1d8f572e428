import HerdConfig
import HerdCore
import HerdRuntime

#if canImport(Glibc)
import Glibc
#endif

extension LocalCluster {
    /// Starts the cluster a cluster file describes, as `herd up` does: the coordinator (with
    /// `--grace drainGrace`, and `--journal journal` when given), waits until it listens, then every worker of every group (ids
    /// `GROUP-N-PID`, `--drain-grace drainGrace`), and waits until each has registered.
    ///
    /// For `herd up`, each child runs in a process group of its own (``Options/ownProcessGroups``):
    /// a Ctrl-C on the terminal reaches only `herd up`, which then stops the workers (they drain)
    /// before the coordinator. Were they in the terminal's group, all would get SIGINT at once and
    /// the coordinator would shut down while its workers drain. If `herd up` dies, each child sees
    /// its parent go (``ProcessSetup/waitForParentExit(environment:)``) and stops by itself.
    /// - Returns: The coordinator's endpoint.
    @discardableResult
    public func start(
        spec: ClusterSpec,
        configText: String,
        bind: String?,
        drainGrace: Duration,
        journal: String? = nil,
        metrics: String? = nil,
        coordinatorArguments: [String] = []
    ) async throws -> String {
        let grace = formatDuration(drainGrace)
        let endpoint = try await self.startCoordinator(
            config: configText,
            bind: bind,
            arguments: ["--grace", grace] + (journal.map { ["--journal", $0] } ?? [])
                + (metrics.map { ["--metrics", $0] } ?? []) + coordinatorArguments
        )
        try await self.startWorkers(Self.workers(of: spec, drainGrace: drainGrace))
        return endpoint
    }

    /// The workers `herd up` starts for `spec`: `workers` of each group, in file order.
    public static func workers(of spec: ClusterSpec, drainGrace: Duration) -> [WorkerLaunch] {
        spec.groups.flatMap { group in
            (0 ..< group.workers).map { index in
                WorkerLaunch(
                    id: "\(group.name)-\(index + 1)-\(getpid())",
                    name: "\(group.name)-\(index + 1)",
                    group: group.name,
                    capacity: group.capacity,
                    node: group.node,
                    exec: group.exec,
                    extra: ["--drain-grace", formatDuration(drainGrace)],
                    command: group.command,
                    drainGrace: drainGrace
                )
            }
        }
    }

    /// How long ``stop(within:)`` waits before SIGKILL when workers drain for `grace`: the grace,
    /// the workers' kill grace for exec children, and 3 s. A worker killed outright could not stop
    /// its exec children, which would outlive it.
    public static func stopLimit(drainGrace grace: Duration) -> Duration {
        grace + WorkerOptions.defaultKillGrace + .seconds(3)
    }
}
