import HerdCore

/// A deterministic simulation of a Herd cluster: the real ``CoordinatorStateMachine``,
/// ``WorkerStateMachine`` and ``ClientStateMachine`` in one process, on a virtual clock and a
/// simulated ZeroMQ network (``SimNetwork``), driven by one seeded generator.
///
/// A run has two phases. While **active** (``SimOptions/steps`` events) the world draws jobs and
/// faults: worker crashes and restarts, stalls, partitions, drains, cancels at any level of nested
/// jobs, and simulated handlers that succeed, fail, hang, ignore cancellation, stream partial
/// output or fan out nested jobs. Then every fault is **healed** and the run continues, with
/// nothing new happening, until the cluster is quiescent (or the settle limit declares it stuck).
/// Invariants are checked after every step (see ``SimInvariant``); the first violation ends the
/// run and ``SimReport/replayCommand`` replays it exactly.
///
/// Everything runs on the calling thread; a `Simulation` is used once, by ``run(seed:options:)``.
public final class Simulation {
    /// Runs one seed and reports.
    public static func run(seed: UInt64, options: SimOptions = SimOptions()) -> SimReport {
        let simulation = Simulation(seed: seed, options: options)
        simulation.run()
        return simulation.report
    }

    let seed: UInt64
    let options: SimOptions
    var random: SimRandom
    var now: Instant = .zero
    var queue = EventQueue<SimEvent>()
    let network: SimNetwork
    var trace: SimTrace
    var stats = SimStats()
    var step = 0
    var activeSteps = 0
    var settling = false
    var violation: SimViolation?
    var digest: UInt64 = 0xCBF2_9CE4_8422_2325

    let scenario: SimScenario
    /// The coordinator's deadline slack (read on every check).
    let deadlineSlack: Duration
    var coordinator: CoordinatorStateMachine
    /// What a journaling coordinator made durable (the journal a restart would read).
    var journal: [JournalRecord] = []
    /// When the coordinator last crashed.
    var coordinatorCrashedAt: Instant?
    /// When the restarted coordinator resumes dispatch (its workers' re-registration window ends).
    var coordinatorResumesDispatchAt: Instant = .zero
    /// Per worker, since the last crash: whether it first registered again after that window (too
    /// late to keep what it ran: that was lost with the old coordinator, as with a death).
    var lateAfterCrash: [PeerID: Bool] = [:]
    /// Coordinator processes started so far, less one (a crash starts the next on the journal).
    var coordinatorIncarnation = 0
    /// Every result the coordinator sent, by subtask: a later one must be the same result (a
    /// restarted coordinator sends a re-attaching client what it had).
    var sentResults: [SubtaskRef: JobResult] = [:]
    /// Coordinator events deferred while it is stalled (timers, in order).
    var deferred: [SimNode: [SimEvent]] = [:]
    /// When the coordinator last resumed from a stall (its deferred timers fired then).
    var coordinatorResumedAt: Instant = .zero
    var workers: [WorkerSlot] = []
    var clients: [ClientProcess] = []
    var requesters: [Requester] = []
    var runs: [HandlerRun] = []
    /// Indices of handler runs still running, in start order.
    var liveRuns: [Int] = []
    var ledger = SimLedger()
    var nextToken: UInt64 = 1
    /// Set when the coordinator handled something since the last checks.
    var coordinatorTouched = false
    /// Set when which attempts the coordinator wants, or which handlers run, may have changed.
    var wantedDirty = false
    /// Workers the coordinator has live, as of its last step.
    var livePeers: Set<PeerID> = []
    /// The group of every worker id a slot has used (a breaker path names it).
    var peerGroups: [PeerID: String] = [:]
    /// Until when a group's shared dependency is down (its handlers mostly fail with server-side
    /// categories, which count against the group's breaker).
    var groupDegradedUntil: [String: Instant] = [:]

    // Resilience checks (Simulation+Resilience.swift).
    /// The retry budget as the scenario configured it, kept from what the coordinator sends.
    var budget: SimRetryBudget
    /// Each breaker as last seen, for the transition checks.
    var breakersSeen: [BreakerPath: SimBreakerSeen] = [:]
    /// The breakers as they stood before the coordinator's last flush: the DISPATCHes of that
    /// flush are judged against them.
    var admissionBaseline: BreakerHierarchy?
    /// Attempts admitted through each breaker by the DISPATCHes of the last flush.
    var admissionUsed: [BreakerPath: Int] = [:]
    /// Breakers an operator command addressed since the last transition check.
    var operatorPaths: Set<BreakerPath> = []
    /// Set when the coordinator logged a breaker transition since the last check.
    var breakerLogged = false
    /// Attempts the coordinator had outstanding after its previous step.
    var lastOutstanding = 0
    /// Coordinator steps until the transition check looks whatever the breakers' states.
    var breakerLooksLeft = 64
    /// The slot of every worker id a slot has used.
    var peerSlots: [PeerID: Int] = [:]

    init(seed: UInt64, options: SimOptions) {
        self.seed = seed
        self.options = options
        self.random = SimRandom(seed: seed)
        self.network = SimNetwork(highWaterMarks: options.highWaterMarks)
        self.trace = SimTrace(enabled: options.trace)
        self.scenario = SimScenario(random: &self.random)
        self.deadlineSlack = self.scenario.coordinator.deadlineSlack
        self.budget = SimRetryBudget(self.scenario.coordinator.retryBudget)
        self.coordinator = CoordinatorStateMachine(configuration: Self.coordinatorConfiguration(self.scenario, options))
    }

    /// The coordinator's configuration: the scenario's, or a broken one under a can-fail switch.
    static func coordinatorConfiguration(_ scenario: SimScenario, _ options: SimOptions) -> CoordinatorConfiguration {
        var configuration = scenario.coordinator
        if options.ignoreRetryBudget {
            // The broken coordinator: a budget that never runs dry (the checker keeps the real one).
            let real = configuration.retryBudget
            configuration.retryBudget = RetryBudget.Configuration(
                ratio: 1000,
                minRetriesPerSecond: 1_000_000,
                window: real.window,
                slices: real.slices
            )
        }
        return configuration
    }

    var report: SimReport {
        var stats = self.stats
        stats.network = self.network.counters
        return SimReport(
            seed: self.seed,
            options: self.options,
            steps: self.step,
            activeSteps: self.activeSteps,
            virtualTime: self.now,
            violation: self.violation,
            stats: stats,
            digest: self.digest,
            trace: self.trace.lines
        )
    }

    // MARK: - The run loop

    func run() {
        self.setUp()
        while self.violation == nil, let entry = self.queue.pop() {
            precondition(entry.instant >= self.now, "virtual time went backwards")
            self.now = entry.instant
            self.step += 1
            self.mix(UInt64(bitPattern: self.now.nanoseconds))
            self.mix(entry.element.tag)
            self.dispatch(entry.element)
            guard self.violation == nil else { break }
            self.checkAfterStep()
            if !self.settling, self.step >= self.options.steps {
                self.activeSteps = self.step
                self.beginSettling()
            } else if self.settling {
                if self.isQuiescent { break }
                if self.now > self.settleDeadline {
                    self.fail(.stuck, self.stuckDescription())
                }
            }
        }
        if !self.settling { self.activeSteps = self.step }
        if self.violation == nil, !self.isQuiescent {
            self.fail(.stuck, "the run queue emptied before the cluster came to rest: " + self.stuckDescription())
        }
        if self.violation == nil { self.checkAtRest() }
        if self.violation == nil { self.checkBreakerTransitions() }
    }

    var settleDeadline: Instant = .zero

    /// Starts the cluster: coordinator, workers (staggered), the first world event.
    func setUp() {
        self.stats.groups = self.scenario.groups.count
        self.stats.clients = self.scenario.clientCount
        self.trace.add("seed \(self.seed): " + self.scenario.description)
        self.trace.add("(#step time; `a => b` sent, `a -> b` delivered; indented lines are what the step caused)")
        self.performCoordinator(self.coordinator.start(now: self.now))
        for (slot, spec) in self.scenario.workers.enumerated() {
            self.workers.append(WorkerSlot(slot: slot, spec: spec))
            self.stats.workers += 1
            self.queue.push(.restart(slot: slot), at: self.now + self.random.milliseconds(0, 20))
        }
        for index in 0 ..< self.scenario.clientCount { self.clients.append(ClientProcess(index: index)) }
        self.queue.push(.world, at: self.now + self.random.milliseconds(30, 120))
    }

    /// Routes one event to the node it concerns, or defers it while that node is stalled.
    func dispatch(_ event: SimEvent) {
        if let node = event.node, self.network.isStalled(node) {
            self.deferred[node, default: []].append(event)
            return
        }
        switch event {
        case .pump(let pump):
            self.deliver(pump)
        case .coordinatorTimer(let timer, let incarnation):
            guard incarnation == self.coordinatorIncarnation else { return }  // set by a crashed coordinator
            self.trace.add("\(self.prefix) coord: timer \(timer)")
            var actions: [CoordinatorAction] = []
            self.coordinator.handle(.timer(timer), now: self.now, into: &actions)
            self.flushCoordinator(into: &actions)
            self.performCoordinator(actions)
        case .workerStarted(let slot, let incarnation):
            self.workerEvents(slot, incarnation: incarnation, [.started])
        case .workerTimer(let slot, let incarnation, let timer, let generation):
            self.workerTimerFired(slot, incarnation: incarnation, timer: timer, generation: generation)
        case .clientTimer(let client, let job):
            self.clientEvent(client, job: job, .timer(.tick))
        case .clientPatience(let client, let job):
            self.clientPatienceRanOut(client, job: job)
        case .handler(let run, _, let step):
            self.handlerStep(run, step)
        case .world:
            self.worldEvent()
        case .resume(let node):
            self.resume(node)
        case .heal(let node):
            self.heal(node)
        case .restart(let slot):
            self.restartWorker(slot)
        case .requesterTimeout(let index):
            self.requesterTimedOut(index)
        case .operatorBreaker(let action, let path):
            self.operateBreaker(action, path)
        }
    }

    /// Moves virtual-time deliveries through the network to their receiver.
    func deliver(_ pump: SimNetwork.Pump) {
        let (messages, next) = self.network.pump(pump, now: self.now)
        if let next { self.queue.push(.pump(next), at: next.at) }
        guard !messages.isEmpty else { return }
        let (peer, owner) = self.network.endpoint(pump.link)
        switch pump.direction {
        case .up:
            self.coordinatorReceives(messages, from: peer)
        case .down:
            switch owner {
            case .worker(let slot, let incarnation):
                for message in messages {
                    self.trace.add("\(self.prefix) coord -> \(peer): \(SimTrace.describe(message))")
                }
                self.workerEvents(slot, incarnation: incarnation, messages.map { .message($0) })
            case .clientJob(let client, let job):
                for message in messages {
                    self.trace.add("\(self.prefix) coord -> \(peer): \(SimTrace.describe(message))")
                    self.clientEvent(client, job: job, .message(message))
                }
            case .requester(let index):
                for message in messages {
                    self.trace.add("\(self.prefix) coord -> \(peer): \(SimTrace.describe(message))")
                    self.requesterReceives(index, message)
                }
            }
        }
    }

    /// Schedules a delivery the network asked for.
    func schedule(_ outcome: SimNetwork.SendOutcome, _ what: @autoclosure () -> String) {
        switch outcome {
        case .queued(let pump):
            if let pump { self.queue.push(.pump(pump), at: pump.at) }
        case .unreachable:
            self.trace.add("\(self.prefix)   (unreachable: \(what()))")
        case .lostOnDisconnect:
            self.trace.add("\(self.prefix)   (lost on a closed connection: \(what()))")
        case .droppedAtHighWaterMark:
            self.trace.add("\(self.prefix)   (dropped at the high-water mark: \(what()))")
        }
    }

    // MARK: - Stalls and partitions

    func stall(_ node: SimNode, for duration: Duration) {
        guard !self.network.isStalled(node) else { return }
        self.network.stall(node)
        self.stats.stalls += 1
        self.trace.add("\(self.prefix) FAULT stall \(node) for \(SimTrace.duration(duration))")
        self.queue.push(.resume(node), at: self.now + duration)
    }

    func resume(_ node: SimNode) {
        guard self.network.isStalled(node) else { return }
        self.trace.add("\(self.prefix) resume \(node)")
        for pump in self.network.resume(node, now: self.now) { self.queue.push(.pump(pump), at: pump.at) }
        if node == .coordinator { self.coordinatorResumedAt = self.now }
        // SIGCONT: what came due while stopped happens now, in its original order.
        for event in self.deferred.removeValue(forKey: node) ?? [] { self.queue.push(event, at: self.now) }
    }

    func partition(_ node: SimNode, for duration: Duration) {
        guard !self.network.isPartitioned(node) else { return }
        self.network.partition(node)
        self.stats.partitions += 1
        self.trace.add("\(self.prefix) FAULT partition \(node) for \(SimTrace.duration(duration))")
        self.queue.push(.heal(node), at: self.now + duration)
    }

    func heal(_ node: SimNode) {
        guard self.network.isPartitioned(node) else { return }
        self.trace.add("\(self.prefix) heal \(node)")
        for pump in self.network.heal(node, now: self.now) { self.queue.push(.pump(pump), at: pump.at) }
    }

    // MARK: - Helpers

    /// `#  12 t=0.134512s`: the start of a trace line for this step.
    var prefix: String {
        let number = String(self.step)
        return "#\(String(repeating: " ", count: max(0, 5 - number.count)))\(number) \(SimTrace.time(self.now))"
    }

    func fail(_ invariant: SimInvariant, _ detail: String) {
        guard self.violation == nil else { return }
        self.violation = SimViolation(invariant: invariant, detail: detail, at: self.now, step: self.step)
        self.trace.add("\(self.prefix) VIOLATION \(invariant.rawValue): \(detail)")
    }

    func mix(_ value: UInt64) {
        self.digest = (self.digest ^ value) &* 0x0000_0100_0000_01B3
    }

    func token() -> UInt64 {
        defer { self.nextToken += 1 }
        return self.nextToken
    }
}
