import HerdCore
import Metrics

/// The coordinator's `herd_*` metrics, recorded through swift-metrics on the loop thread.
///
/// Counters and histograms come from the machine's ``CoordinatorObservations`` (taken once per
/// flush); gauges are sampled from ``CoordinatorStateMachine/gauges(now:)`` at most every
/// ``sampleEvery``. Every metric object is made once per label set and cached here, so recording
/// allocates no label arrays on the hot path. Whatever backend the process bootstrapped
/// (`herd coordinator --metrics`: Prometheus) receives the values; without one they go nowhere.
/// Used by one thread only (the coordinator's loop thread).
final class CoordinatorMetrics {
    /// How often gauges are sampled at most (a scrape sees values at most this old, or one tick).
    static let sampleEvery: Duration = .milliseconds(250)

    private var committed: [CoordinatorObservations.Committed: Counter] = [:]
    private var failures: [CoordinatorObservations.Failed: Counter] = [:]
    private var retries: [CoordinatorObservations.Retried: Counter] = [:]
    private var durations: [GroupKind: Metrics.Timer] = [:]
    private var dispatchWaits: [String: Metrics.Timer] = [:]
    private let cancelLatency = Metrics.Timer(label: "herd_cancel_seconds")
    private var queueDepth: [String: Gauge] = [:]
    private var inFlight: [String: Gauge] = [:]
    private var workers: [CoordinatorGauges.Workers: Gauge] = [:]
    private var breakers: [CoordinatorGauges.Breaker: Gauge] = [:]
    private var jobs: [String: Gauge] = [:]
    private let retryBudget = Gauge(label: "herd_retry_budget_available")
    private let journalBytes: Gauge?
    private var lastSample: Instant?

    private struct GroupKind: Hashable {
        var group: String
        var kind: String
    }

    init(journaled: Bool) {
        self.journalBytes = journaled ? Gauge(label: "herd_journal_bytes") : nil
    }

    /// Records what the machine observed since the last call.
    func record(_ observations: CoordinatorObservations) {
        for (key, count) in observations.committed {
            self.cached(&self.committed, key) {
                Counter(
                    label: "herd_subtasks_total",
                    dimensions: [("group", key.group), ("kind", key.kind), ("status", key.status)]
                )
            }
            .increment(by: count)
        }
        for (key, count) in observations.failures {
            self.cached(&self.failures, key) {
                Counter(
                    label: "herd_subtask_failures_total",
                    dimensions: [("group", key.group), ("category", key.category.description)]
                )
            }
            .increment(by: count)
        }
        for (key, count) in observations.retries {
            self.cached(&self.retries, key) {
                Counter(label: "herd_retries_total", dimensions: [("group", key.group), ("outcome", key.outcome)])
            }
            .increment(by: count)
        }
        for sample in observations.durations {
            let key = GroupKind(group: sample.group, kind: sample.kind)
            self.cached(&self.durations, key) {
                Metrics.Timer(
                    label: "herd_subtask_duration_seconds",
                    dimensions: [("group", key.group), ("kind", key.kind)]
                )
            }
            .record(duration: sample.duration)
        }
        for sample in observations.dispatchWaits {
            self.cached(&self.dispatchWaits, sample.group) {
                Metrics.Timer(label: "herd_dispatch_wait_seconds", dimensions: [("group", sample.group)])
            }
            .record(duration: sample.duration)
        }
        for latency in observations.cancelLatencies { self.cancelLatency.record(duration: latency) }
    }

    /// Whether the gauges are due a sample at `now`.
    func gaugesDue(now: Instant) -> Bool {
        guard let last = self.lastSample else { return true }
        return last.duration(to: now) >= Self.sampleEvery
    }

    /// Sets every gauge from `gauges`; a label set seen before but absent now reads 0.
    func sample(_ gauges: CoordinatorGauges, journalBytes: Int64?, now: Instant) {
        self.lastSample = now
        self.set(&self.queueDepth, gauges.queueDepth) { Gauge(label: "herd_queue_depth", dimensions: [("group", $0)]) }
        self.set(&self.inFlight, gauges.inFlight) { Gauge(label: "herd_in_flight", dimensions: [("group", $0)]) }
        self.set(&self.workers, gauges.workers) {
            Gauge(label: "herd_workers", dimensions: [("group", $0.group), ("state", $0.state)])
        }
        self.set(&self.breakers, gauges.breakers) {
            Gauge(label: "herd_breaker_state", dimensions: [("level", $0.level), ("name", $0.name)])
        }
        self.set(&self.jobs, gauges.jobs) { Gauge(label: "herd_jobs", dimensions: [("state", $0)]) }
        self.retryBudget.record(gauges.retryBudgetAvailable)
        if let bytes = journalBytes { self.journalBytes?.record(bytes) }
    }

    private func cached<Key: Hashable, Value>(_ cache: inout [Key: Value], _ key: Key, _ make: () -> Value) -> Value {
        if let value = cache[key] { return value }
        let value = make()
        cache[key] = value
        return value
    }

    private func set<Key: Hashable>(_ cache: inout [Key: Gauge], _ values: [Key: Int], make: (Key) -> Gauge) {
        for (key, gauge) in cache where values[key] == nil { gauge.record(0) }
        for (key, value) in values {
            self.cached(&cache, key) { make(key) }.record(value)
        }
    }
}
