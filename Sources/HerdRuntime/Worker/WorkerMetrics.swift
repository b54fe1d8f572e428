import HerdCore
import Metrics
import Synchronization

/// A worker's `herd_worker_*` metrics, recorded through swift-metrics (`herd worker --metrics`
/// bootstraps Prometheus; without it they go nowhere). Shared by the handler tasks: the counts
/// are behind a `Mutex`, each metric object made once per label set.
final class WorkerMetrics: Sendable {
    private struct Counts {
        var running = 0
        var exec = 0
        var durations: [String: Metrics.Timer] = [:]
    }

    private let counts = Mutex(Counts())
    private let running = Gauge(label: "herd_worker_running")
    private let execChildren = Gauge(label: "herd_worker_exec_children")

    /// A handler starts (`exec`: an exec child).
    func started(exec: Bool) {
        let (running, children) = self.counts.withLock { counts in
            counts.running += 1
            if exec { counts.exec += 1 }
            return (counts.running, counts.exec)
        }
        self.running.record(running)
        self.execChildren.record(children)
    }

    /// A handler of `kind` ended with `outcome` after `duration`.
    func finished(exec: Bool, kind: String, outcome: Outcome, duration: Duration) {
        let status: String
        switch outcome {
        case .success: status = "ok"
        case .failure(let failure): status = failure.category == .cancelled ? "cancelled" : "error"
        }
        let key = kind + "\u{0}" + status
        let (running, children, timer) = self.counts.withLock { counts in
            counts.running -= 1
            if exec { counts.exec -= 1 }
            let timer =
                counts.durations[key]
                ?? Metrics.Timer(
                    label: "herd_handler_duration_seconds",
                    dimensions: [("kind", kind), ("status", status)]
                )
            counts.durations[key] = timer
            return (counts.running, counts.exec, timer)
        }
        self.running.record(running)
        self.execChildren.record(children)
        timer.record(duration: duration)
    }
}
