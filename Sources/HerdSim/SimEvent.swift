import HerdCore

/// Something scheduled on the simulator's run queue.
enum SimEvent {
    /// Deliver what a connection's pipe has ready.
    case pump(SimNetwork.Pump)
    /// A timer the coordinator machine asked for.
    case coordinatorTimer(CoordinatorTimer, incarnation: Int)
    /// A worker process came up (its shell feeds `.started`).
    case workerStarted(slot: Int, incarnation: Int)
    /// A timer a worker machine asked for; `generation` tells a replaced timer from the current one.
    case workerTimer(slot: Int, incarnation: Int, timer: WorkerTimer, generation: UInt64)
    /// A client job's tick.
    case clientTimer(client: Int, job: Int)
    /// The person at the terminal gives up on a job (Ctrl-C).
    case clientPatience(client: Int, job: Int)
    /// A simulated handler makes progress.
    case handler(run: Int, slot: Int, HandlerStep)
    /// The world draws its next job or fault.
    case world
    /// A stalled node continues (SIGCONT).
    case resume(SimNode)
    /// A partition heals.
    case heal(SimNode)
    /// A worker slot starts a process (first start, or restart after a crash or exit).
    case restart(slot: Int)
    /// A one-shot request gives up waiting.
    case requesterTimeout(Int)
    /// An operator runs `herd breaker ACTION PATH` (an undo of an earlier force-open or disable).
    case operatorBreaker(BreakerCommand.Action, BreakerPath)

    /// The node whose process handles the event (deferred while that node is stalled).
    var node: SimNode? {
        switch self {
        case .coordinatorTimer: .coordinator
        case .workerStarted(let slot, _), .workerTimer(let slot, _, _, _), .handler(_, let slot, _): .worker(slot)
        case .clientTimer(let client, _), .clientPatience(let client, _): .client(client)
        case .pump, .world, .resume, .heal, .restart, .requesterTimeout, .operatorBreaker: nil
        }
    }

    /// A number for the run's digest.
    var tag: UInt64 {
        switch self {
        case .pump(let pump): 1 &+ UInt64(pump.link) << 8 &+ (pump.direction == .up ? 0 : 128)
        case .coordinatorTimer: 2
        case .workerStarted(let slot, _): 3 &+ UInt64(slot) << 8
        case .workerTimer(let slot, _, _, _): 4 &+ UInt64(slot) << 8
        case .clientTimer(let client, let job): 5 &+ UInt64(client) << 8 &+ UInt64(job) << 16
        case .clientPatience(let client, let job): 6 &+ UInt64(client) << 8 &+ UInt64(job) << 16
        case .handler(let run, _, _): 7 &+ UInt64(run) << 8
        case .world: 8
        case .resume: 9
        case .heal: 10
        case .restart(let slot): 11 &+ UInt64(slot) << 8
        case .requesterTimeout(let index): 12 &+ UInt64(index) << 8
        case .operatorBreaker(let action, _): 13 &+ UInt64(action.rawValue) << 8
        }
    }
}

/// The shape of a run's cluster, drawn from the seed: groups, workers, clients, coordinator tunables.
struct SimScenario: CustomStringConvertible {
    /// One worker slot's fixed traits.
    struct WorkerSpec {
        var group: String
        var capacity: UInt32
        /// How long in-flight work may run when the worker drains itself (SIGTERM).
        var drainGrace: Duration
    }

    /// The kind every simulated worker runs (the behaviour is drawn per attempt).
    static let kind = "sim"
    /// The longest a cooperative handler takes to stop once cancelled (the simulated kill grace).
    static let killGrace: Duration = .milliseconds(300)

    var groups: [String]
    var workers: [WorkerSpec]
    var clientCount: Int
    var coordinator: CoordinatorConfiguration
    /// Whether the breakers, retries and retry budget were drawn tight (most seeds) rather than
    /// left at Herd's defaults, which a run of a few hundred steps never trips.
    var tightResilience: Bool

    init(random: inout SimRandom) {
        self.groups = (0 ..< random.int(2 ... 3)).map { "g\($0)" }
        var workers: [WorkerSpec] = []
        for group in self.groups {
            for _ in 0 ..< random.int(1 ... 3) {
                workers.append(
                    WorkerSpec(
                        group: group,
                        capacity: UInt32(random.int(1 ... 3)),
                        drainGrace: random.milliseconds(50, 1500)
                    )
                )
            }
        }
        self.workers = workers
        self.clientCount = random.int(2 ... 3)
        let heartbeat = random.milliseconds(100, 250)
        self.coordinator = CoordinatorConfiguration(
            coordinatorID: "coord",
            heartbeatInterval: heartbeat,
            livenessWindow: heartbeat * 4,
            clientLiveness: .seconds(5),
            maxDeliveries: UInt32(random.int(2 ... 5)),
            deadWorkerRetention: .seconds(30),
            deadlineSlack: .milliseconds(500),
            cancelOverdueAfter: .seconds(5),
            seed: random.next(),
            journaled: true
        )
        // Four seeds in five get breakers that open after a handful of calls and reopen within
        // seconds, retries that come fast, a retry budget of a few retries per window, and
        // sometimes a fallback group; the fifth keeps the production defaults.
        self.tightResilience = random.chance(0.8)
        if self.tightResilience {
            self.coordinator.breakers = BreakerHierarchy.Configuration(
                cluster: Self.drawBreaker(&random, window: 10 ... 30, minimumCalls: 6 ... 20),
                group: Self.drawBreaker(&random, window: 4 ... 12, minimumCalls: 3 ... 8),
                worker: Self.drawBreaker(&random, window: 4 ... 12, minimumCalls: 3 ... 8)
            )
            self.coordinator.retry = RetryPolicy(
                maxAttempts: UInt32(random.int(2 ... 5)),
                baseDelay: random.milliseconds(5, 250),
                maxDelay: random.milliseconds(300, 3000)
            )
            self.coordinator.retryBudget = RetryBudget.Configuration(
                ratio: random.pick([0, 0.05, 0.1, 0.2, 0.5]),
                minRetriesPerSecond: random.int(0 ... 3),
                window: .seconds(random.pick([1, 2, 5, 10])),
                slices: random.pick([1, 2, 4, 5, 10])
            )
            if self.groups.count >= 2, random.chance(0.35) {
                self.coordinator.groupPolicies[self.groups[0]] = CoordinatorConfiguration.GroupPolicy(
                    fallback: self.groups[1]
                )
            }
            // The end of the fallback chain and per-kind retries, drawn from a stream of their own
            // so that adding them left every other draw (and every seed's run) as it was.
            var extra = SimRandom(seed: self.coordinator.seed ^ 0x6661_6c6c_6261_636b)
            let last = self.groups[self.groups.count - 1]
            if extra.chance(0.4) {
                var policy = self.coordinator.groupPolicies[last] ?? CoordinatorConfiguration.GroupPolicy()
                policy.fallbackCache = extra.int(1 ... 20)
                if extra.chance(0.5) { policy.fallbackValue = Array(Self.staticFallback.utf8) }
                self.coordinator.groupPolicies[last] = policy
            }
            if extra.chance(0.3) {
                self.coordinator.kindRetries[SimScenario.kind] = RetryOverride(maxAttempts: extra.int(1 ... 4))
            }
        }
    }

    /// The static fallback value some seeds give a group (`fallback-value`).
    static let staticFallback = "sim static fallback"

    /// A breaker that judges a few calls: a count or (sometimes) a time window, thresholds from
    /// 25 % to 75 %, calls slower than 0.2–1.5 s counted slow, open for 50 ms–1 s, 1–3 probes
    /// (a run's active phase lasts only a few virtual seconds).
    static func drawBreaker(
        _ random: inout SimRandom,
        window: ClosedRange<Int>,
        minimumCalls: ClosedRange<Int>
    ) -> CircuitBreaker.Configuration {
        CircuitBreaker.Configuration(
            window: random.chance(0.25)
                ? .time(.seconds(random.pick([1, 2])), buckets: random.pick([1, 2, 4])) : .count(random.int(window)),
            failureRateThreshold: random.pick([25, 40, 50, 75]),
            slowCallRateThreshold: random.pick([50, 80, 100]),
            slowCallDuration: random.milliseconds(200, 1500),
            minimumCalls: random.int(minimumCalls),
            openDuration: random.milliseconds(50, 1000),
            permittedCallsInHalfOpen: random.int(1 ... 3),
            maxHalfOpenDuration: random.chance(0.3) ? random.milliseconds(200, 1500) : nil
        )
    }

    var description: String {
        let layout = self.groups.map { group in
            "\(group): "
                + self.workers.enumerated().filter { $0.element.group == group }.map {
                    "w\($0.offset)(cap \($0.element.capacity))"
                }.joined(separator: " ")
        }.joined(separator: "; ")
        var text =
            "\(layout); \(self.clientCount) clients; heartbeat \(SimTrace.duration(self.coordinator.heartbeatInterval)), "
            + "liveness \(SimTrace.duration(self.coordinator.livenessWindow)), maxDeliveries \(self.coordinator.maxDeliveries)"
        guard self.tightResilience else { return text + "; default breakers and retry budget" }
        let config = self.coordinator
        let budget = config.retryBudget
        text +=
            "; retries \(config.retry.maxAttempts) attempts from \(SimTrace.duration(config.retry.baseDelay)); "
            + "budget ratio \(budget.ratio) + \(budget.reserve) per \(SimTrace.duration(budget.window)) (\(budget.slices) slices); "
            + "breakers: cluster \(Self.describe(config.breakers.cluster)), group \(Self.describe(config.breakers.group)), worker \(Self.describe(config.breakers.worker))"
        for (group, policy) in config.groupPolicies.sorted(by: { $0.key < $1.key }) {
            if let fallback = policy.fallback { text += "; \(group) falls back to \(fallback)" }
            if policy.fallbackCache > 0 { text += "; \(group) keeps \(policy.fallbackCache) last good results" }
            if policy.fallbackValue != nil { text += "; \(group) has a static fallback value" }
        }
        return text
    }

    static func describe(_ breaker: CircuitBreaker.Configuration) -> String {
        "[\(breaker.window) min \(breaker.minimumCalls) fail \(Int(breaker.failureRateThreshold))% slow \(Int(breaker.slowCallRateThreshold))%>\(SimTrace.duration(breaker.slowCallDuration)) "
            + "open \(SimTrace.duration(breaker.openDuration)) probes \(breaker.permittedCallsInHalfOpen)\(breaker.maxHalfOpenDuration.map { " half-open ≤\(SimTrace.duration($0))" } ?? "")]"
    }
}
