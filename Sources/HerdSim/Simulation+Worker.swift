import HerdCore

/// A worker slot: one process at a time (an incarnation), restarted after a crash or an exit
/// with the same routing id or a new one.
///
/// A class, so the per-step checks read its fields without copying it (debug builds copy
/// structs read from arrays).
final class WorkerSlot {
    /// A nested job a handler submitted through this worker (what `ChildJobs` tracks).
    struct Child {
        var token: UInt64
        var run: Int
        var job: JobID?
    }

    let slot: Int
    let spec: SimScenario.WorkerSpec
    var incarnation = 0
    var peer: PeerID
    /// The running process's machine; `nil` while crashed or exited.
    var machine: WorkerStateMachine?
    var link: Int?
    /// The current generation of each timer (the shell replaces a timer scheduled again).
    var timers: [WorkerTimer: UInt64] = [:]
    var nextGeneration: UInt64 = 0
    var children: [Child] = []
    var restartScheduled = false
    /// Since when the worker has been connected, registered and live at an unstalled coordinator.
    var healthySince: Instant?
    /// The machine's `isRegistered`, cached after each step (cheap for the per-step checks).
    var registered = false
    /// Since when the running process has been draining (as of its previous batch of events).
    var drainingSince: Instant?
    /// Until when the slot's host is degraded (its handlers mostly fail; it survives restarts).
    var degradedUntil: Instant = .zero

    init(slot: Int, spec: SimScenario.WorkerSpec) {
        self.slot = slot
        self.spec = spec
        self.peer = PeerID("w\(slot)")
    }
}

// MARK: - The worker's shell: what WorkerService does, with simulated handlers

extension Simulation {
    /// Starts a process in the slot: a fresh machine on a new connection, with the same routing id
    /// or (sometimes, after the first start) a new one.
    func restartWorker(_ slot: Int) {
        self.workers[slot].restartScheduled = false
        guard self.workers[slot].machine == nil else { return }
        self.workers[slot].incarnation += 1
        let incarnation = self.workers[slot].incarnation
        if incarnation > 1, self.random.chance(0.3) {
            self.workers[slot].peer = PeerID("w\(slot).\(incarnation)")
        }
        let peer = self.workers[slot].peer
        let spec = self.workers[slot].spec
        self.peerGroups[peer] = spec.group
        self.peerSlots[peer] = slot
        self.workers[slot].drainingSince = nil
        let configuration = WorkerConfiguration(
            workerID: peer.description,
            group: spec.group,
            node: "n\(slot)",
            capacity: spec.capacity,
            kinds: [SimScenario.kind],
            drainGrace: spec.drainGrace,
            incarnation: UInt64(slot + 1) << 32 | UInt64(incarnation)
        )
        self.workers[slot].machine = WorkerStateMachine(configuration: configuration)
        self.workers[slot].link = self.network.open(
            peer,
            owner: .worker(slot: slot, incarnation: incarnation),
            random: &self.random
        )
        self.workers[slot].timers.removeAll()
        self.workers[slot].children.removeAll()
        self.workers[slot].healthySince = nil
        self.trace.add(
            "\(self.prefix) start \(peer) (slot \(slot), incarnation \(incarnation), \(spec.group), cap \(spec.capacity))"
        )
        self.workerEvents(slot, incarnation: incarnation, [.started])
    }

    /// Feeds events to a worker's machine, flushes once, and performs what it decided.
    func workerEvents(_ slot: Int, incarnation: Int, _ events: [WorkerEvent]) {
        guard self.workers[slot].incarnation == incarnation, var machine = self.workers[slot].machine else { return }
        self.workers[slot].machine = nil  // keep the machine's storage uniquely referenced
        var actions: [WorkerAction] = []
        for event in events { machine.handle(event, now: self.now, into: &actions) }
        machine.flush(now: self.now, into: &actions)
        self.workers[slot].registered = machine.isRegistered
        let draining = machine.introspectedDraining
        self.workers[slot].machine = machine
        self.performWorker(slot, actions)
        // Noted after performing, so a handler this batch started is judged by the state before it.
        if draining, self.workers[slot].drainingSince == nil, self.workers[slot].incarnation == incarnation,
            self.workers[slot].machine != nil
        {
            self.workers[slot].drainingSince = self.now
        }
    }

    func workerTimerFired(_ slot: Int, incarnation: Int, timer: WorkerTimer, generation: UInt64) {
        guard self.workers[slot].incarnation == incarnation, self.workers[slot].timers[timer] == generation else {
            return
        }
        self.workers[slot].timers[timer] = nil
        if case .tick = timer {} else { self.trace.add("\(self.prefix) \(self.workers[slot].peer): timer \(timer)") }
        self.workerEvents(slot, incarnation: incarnation, [.timer(timer)])
    }

    func performWorker(_ slot: Int, _ actions: [WorkerAction]) {
        let peer = self.workers[slot].peer
        let incarnation = self.workers[slot].incarnation
        for action in actions {
            self.mix(0xA0)
            switch action {
            case .send(let message):
                guard let link = self.workers[slot].link else { continue }
                if case .cancelled(let attempts) = message { self.noteGivenBack(slot, attempts) }
                self.trace.add("\(self.prefix)   \(peer) => coord: \(SimTrace.describe(message))")
                let outcome = self.network.nodeSend(message, link: link, now: self.now, random: &self.random)
                self.schedule(outcome, "\(peer) -> coord: \(SimTrace.describe(message))")
            case .startHandler(let assignment):
                self.startRun(slot, assignment)
            case .cancelHandler(let attempt):
                self.cancelRun(slot, attempt)
            case .reconnect:
                if let link = self.workers[slot].link { self.network.close(link, random: &self.random) }
                self.workers[slot].link = self.network.open(
                    peer,
                    owner: .worker(slot: slot, incarnation: incarnation),
                    random: &self.random
                )
                self.trace.add("\(self.prefix) \(peer) reconnects")
            case .schedule(let timer, let instant):
                self.workers[slot].nextGeneration += 1
                let generation = self.workers[slot].nextGeneration
                self.workers[slot].timers[timer] = generation
                self.queue.push(
                    .workerTimer(slot: slot, incarnation: incarnation, timer: timer, generation: generation),
                    at: max(instant, self.now)
                )
            case .deliverToChildren(let message):
                self.routeToChildren(slot, message)
            case .failChildren(let failure):
                let children = self.workers[slot].children
                self.workers[slot].children.removeAll()
                for child in children { self.childSettled(child.run, .failure(failure)) }
            case .exit:
                self.trace.add("\(self.prefix) \(peer) exits")
                self.stopProcess(slot)
            case .log(let line):
                self.trace.add("\(self.prefix)   \(peer) log: \(line)")
            }
        }
    }

    /// Routes a message about a nested job to the handler that submitted it (as `ChildJobs` does).
    func routeToChildren(_ slot: Int, _ message: Message) {
        switch message {
        case .accepted(let accepted):
            guard let index = self.workers[slot].children.firstIndex(where: { $0.token == accepted.token }) else {
                return
            }
            self.workers[slot].children[index].job = accepted.job
            let parent = self.runs[self.workers[slot].children[index].run].attempt
            self.ledger.nestedAccepted(accepted.job, parent: parent)
            self.stats.nestedJobs += 1
        case .rejected(let rejection):
            guard let index = self.workers[slot].children.firstIndex(where: { $0.token == rejection.token }) else {
                return
            }
            let child = self.workers[slot].children.remove(at: index)
            self.childSettled(child.run, .failure(rejection.failure))
        case .jobFinished(let summary):
            guard let index = self.workers[slot].children.firstIndex(where: { $0.job == summary.job }) else { return }
            let child = self.workers[slot].children.remove(at: index)
            let text = "child \(summary.job) \(summary.succeeded)/\(summary.failed)/\(summary.cancelled)"
            self.childSettled(child.run, .success(Array(text.utf8)))
        default:
            break  // results, partial output, notices and cancel replies: the handler only waits
        }
    }

    /// The process in the slot is gone (crash or exit): its handlers die with it, its connection
    /// closes, and the slot restarts later (at once while settling).
    func stopProcess(_ slot: Int) {
        guard self.workers[slot].machine != nil else { return }
        self.workers[slot].machine = nil
        self.workers[slot].registered = false
        self.wantedDirty = true
        if let link = self.workers[slot].link { self.network.close(link, random: &self.random) }
        self.workers[slot].link = nil
        self.workers[slot].timers.removeAll()
        self.workers[slot].children.removeAll()
        self.workers[slot].healthySince = nil
        for id in self.liveRuns where self.runs[id].slot == slot { self.runs[id].endedAt = self.now }
        self.liveRuns.removeAll { self.runs[$0].slot == slot }
        // A stopped process is not stalled any more; what it would have handled is gone.
        if self.network.isStalled(.worker(slot)) {
            _ = self.network.resume(.worker(slot), now: self.now)
            self.deferred[.worker(slot)] = nil
        }
        self.scheduleRestart(slot)
    }

    func scheduleRestart(_ slot: Int) {
        guard !self.workers[slot].restartScheduled else { return }
        self.workers[slot].restartScheduled = true
        let delay = self.settling ? .zero : self.random.milliseconds(50, 2000)
        self.queue.push(.restart(slot: slot), at: self.now + delay)
    }

    /// Runs whose attempt the worker gives back (CANCELLED for an attempt the coordinator did not
    /// cancel) while their handler still runs.
    func noteGivenBack(_ slot: Int, _ attempts: [AttemptRef]) {
        for id in self.liveRuns where self.runs[id].slot == slot && attempts.contains(self.runs[id].attempt) {
            if self.runs[id].givenBackAt == nil { self.runs[id].givenBackAt = self.now }
        }
    }
}
