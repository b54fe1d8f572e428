import HerdCore

/// What a simulated handler does, drawn when the worker starts it.
enum SimBehaviour: CustomStringConvertible {
    /// Returns success after a while, reporting some usage.
    case succeed(after: Duration, usage: UInt64)
    /// Fails with a category after a while.
    case fail(ErrorCategory, after: Duration)
    /// Emits partial output (1 unit of usage each), then succeeds.
    case stream(parts: Int, every: Duration)
    /// Never returns on its own; stops when cancelled.
    case hang
    /// Ignores cancellation: returns after a while whatever happens.
    case ignoresCancellation(after: Duration)
    /// Submits a nested job, waits for it, then succeeds; may cancel the nested job itself.
    case nested(NestedPlan)

    /// A nested job a handler submits.
    struct NestedPlan {
        var group: String
        var count: UInt32
        var policy: FanoutPolicy
        var timeout: Duration?
        var budget: UInt64?
        /// When the handler cancels its nested job itself (CANCEL-JOB through its worker), if it does.
        var cancelAfter: Duration?
    }

    /// Stops within the kill grace once cancelled.
    var isCooperative: Bool {
        if case .ignoresCancellation = self { false } else { true }
    }

    var description: String {
        switch self {
        case .succeed(let after, let usage): "succeeds after \(SimTrace.duration(after)) (usage \(usage))"
        case .fail(let category, let after): "fails \(category) after \(SimTrace.duration(after))"
        case .stream(let parts, let every): "streams \(parts) parts every \(SimTrace.duration(every))"
        case .hang: "hangs until cancelled"
        case .ignoresCancellation(let after): "ignores cancellation, returns after \(SimTrace.duration(after))"
        case .nested(let plan):
            "fans out \(plan.count) to \(plan.group) (\(plan.policy)\(plan.timeout.map { ", timeout " + SimTrace.duration($0) } ?? ""))"
                + (plan.cancelAfter.map { ", cancels it after \(SimTrace.duration($0))" } ?? "")
        }
    }
}

/// A step of a simulated handler.
enum HandlerStep {
    /// Return (the outcome is decided when it fires: cancelled if cancellation got through).
    case finish
    /// Emit the next partial output.
    case partial
    /// Submit the nested job.
    case submitChild
    /// Cancel the nested job.
    case cancelChild
}

/// One run of a handler: an attempt on one worker process (a class: read on every step).
final class HandlerRun {
    let id: Int
    let slot: Int
    let incarnation: Int
    /// The worker's routing id (and worker id) when it started.
    let peer: PeerID
    let attempt: AttemptRef
    let behaviour: SimBehaviour
    let startedAt: Instant
    /// When the worker cancelled the handler.
    var cancelledAt: Instant?
    var endedAt: Instant?
    /// When the worker gave the attempt back (CANCELLED, unasked) while the handler still ran.
    var givenBackAt: Instant?
    /// Since when the coordinator has not wanted this attempt (for the zombie check).
    var unwantedSince: Instant?
    var partsLeft = 0
    var childToken: UInt64?
    /// The nested job's end, once it came (success text or failure).
    var childOutcome: Outcome?

    init(
        id: Int,
        slot: Int,
        incarnation: Int,
        peer: PeerID,
        attempt: AttemptRef,
        behaviour: SimBehaviour,
        startedAt: Instant
    ) {
        self.id = id
        self.slot = slot
        self.incarnation = incarnation
        self.peer = peer
        self.attempt = attempt
        self.behaviour = behaviour
        self.startedAt = startedAt
    }

    /// `j1/0#2@w3`: the attempt and the worker, stamped into the handler's output.
    var tag: String { "\(self.attempt)@\(self.peer)" }
}

// MARK: - Simulated handlers

extension Simulation {
    /// The longest depth of nesting the world draws (root jobs are depth 0).
    static let maxNestingDepth = 2

    func startRun(_ slot: Int, _ assignment: Assignment) {
        self.stats.handlersStarted += 1
        if let since = self.workers[slot].drainingSince {
            self.fail(
                .drainedWorkerGotWork,
                "\(self.workers[slot].peer) started \(assignment.attempt), though it has been draining since \(SimTrace.time(since))"
            )
        }
        let depth = self.ledger.depth[assignment.attempt.subtask.job] ?? Self.maxNestingDepth
        let behaviour = self.degradedBehaviour(slot: slot) ?? self.drawBehaviour(nesting: depth < Self.maxNestingDepth)
        let id = self.runs.count
        let run = HandlerRun(
            id: id,
            slot: slot,
            incarnation: self.workers[slot].incarnation,
            peer: self.workers[slot].peer,
            attempt: assignment.attempt,
            behaviour: behaviour,
            startedAt: self.now
        )
        self.trace.add("\(self.prefix) \(run.peer) starts \(assignment.attempt): \(behaviour)")
        switch behaviour {
        case .succeed(let after, _), .fail(_, let after), .ignoresCancellation(let after):
            self.queue.push(.handler(run: id, slot: slot, .finish), at: self.now + after)
        case .stream(let parts, let every):
            run.partsLeft = parts
            self.queue.push(.handler(run: id, slot: slot, .partial), at: self.now + every)
        case .hang:
            break
        case .nested(let plan):
            self.queue.push(.handler(run: id, slot: slot, .submitChild), at: self.now + self.random.milliseconds(0, 5))
            if let after = plan.cancelAfter {
                self.queue.push(.handler(run: id, slot: slot, .cancelChild), at: self.now + after)
            }
        }
        self.runs.append(run)
        self.liveRuns.append(id)
        self.wantedDirty = true
    }

    func drawBehaviour(nesting: Bool) -> SimBehaviour {
        switch self.random.weighted([34, 14, 12, 7, 7, nesting ? 18 : 0]) {
        case 0:
            return .succeed(after: self.random.milliseconds(1, 600), usage: UInt64(self.random.int(0 ... 3)))
        case 1:
            let categories: [ErrorCategory] = [
                .transient, .rateLimited, .auth, .validation, .notFound, .server, .timeout, .network, .unknown,
            ]
            return .fail(self.random.pick(categories), after: self.random.milliseconds(1, 400))
        case 2:
            return .stream(parts: self.random.int(1 ... 4), every: self.random.milliseconds(10, 200))
        case 3:
            return .hang
        case 4:
            return .ignoresCancellation(after: self.random.milliseconds(100, 3000))
        default:
            let count = UInt32(self.random.int(1 ... 3))
            return .nested(
                SimBehaviour.NestedPlan(
                    group: self.random.pick(self.scenario.groups),
                    count: count,
                    policy: self.drawPolicy(count: count),
                    timeout: self.random.chance(0.3) ? self.random.milliseconds(200, 3000) : nil,
                    budget: self.random.chance(0.15) ? UInt64(self.random.int(1 ... 4)) : nil,
                    cancelAfter: self.random.chance(0.2) ? self.random.milliseconds(5, 800) : nil
                )
            )
        }
    }

    func drawPolicy(count: UInt32) -> FanoutPolicy {
        switch self.random.int(0 ... 3) {
        case 0: .all
        case 1: .failFast
        case 2: .first
        default: .quorum(UInt32(self.random.int(1 ... Int(count))))
        }
    }

    /// The worker cancelled a handler: a cooperative one stops within the kill grace.
    func cancelRun(_ slot: Int, _ attempt: AttemptRef) {
        guard let id = self.liveRuns.first(where: { self.runs[$0].slot == slot && self.runs[$0].attempt == attempt })
        else { return }
        guard self.runs[id].cancelledAt == nil else { return }
        self.runs[id].cancelledAt = self.now
        self.stats.handlersCancelled += 1
        if self.runs[id].behaviour.isCooperative {
            self.queue.push(.handler(run: id, slot: slot, .finish), at: self.now + self.random.milliseconds(0, 300))
        }
    }

    func handlerStep(_ id: Int, _ step: HandlerStep) {
        let run = self.runs[id]
        guard run.endedAt == nil, self.workers[run.slot].incarnation == run.incarnation,
            self.workers[run.slot].machine != nil
        else { return }
        let stopping = run.cancelledAt != nil && run.behaviour.isCooperative
        switch step {
        case .finish:
            self.endRun(id)
        case .partial:
            guard !stopping, case .stream(_, let every) = run.behaviour else { return }
            self.runs[id].partsLeft -= 1
            let data = Array("part \(self.runs[id].partsLeft) of \(run.tag)".utf8)
            self.queue.push(
                .handler(run: id, slot: run.slot, self.runs[id].partsLeft > 0 ? .partial : .finish),
                at: self.now + every
            )
            self.workerEvents(run.slot, incarnation: run.incarnation, [.partialOutput(run.attempt, data, usage: 1)])
        case .submitChild:
            guard !stopping, case .nested(let plan) = run.behaviour else { return }
            let token = self.token()
            self.runs[id].childToken = token
            self.ledger.childTokens[token] = run.attempt
            self.workers[run.slot].children.append(WorkerSlot.Child(token: token, run: id, job: nil))
            let submission = Submission(
                token: token,
                group: plan.group,
                kind: SimScenario.kind,
                payloads: .template(Array("n{index}".utf8), count: plan.count),
                timeout: plan.timeout,
                policy: plan.policy,
                budget: plan.budget,
                parent: run.attempt
            )
            self.workerEvents(run.slot, incarnation: run.incarnation, [.submitChild(submission)])
        case .cancelChild:
            guard let token = run.childToken,
                let child = self.workers[run.slot].children.first(where: { $0.token == token }), let job = child.job
            else { return }
            self.trace.add("\(self.prefix) \(run.peer): handler of \(run.attempt) cancels its nested job \(job)")
            self.workerEvents(
                run.slot,
                incarnation: run.incarnation,
                [.cancelChild(CancelJob(token: token, job: job, reason: "the handler cancelled it"))]
            )
        }
    }

    /// The nested job of a waiting handler ended (or could not start): the handler returns.
    func childSettled(_ id: Int, _ outcome: Outcome) {
        guard self.runs[id].endedAt == nil, self.runs[id].childOutcome == nil else { return }
        self.runs[id].childOutcome = outcome
        self.queue.push(
            .handler(run: id, slot: self.runs[id].slot, .finish),
            at: self.now + self.random.milliseconds(0, 10)
        )
    }

    /// The handler returns: its outcome goes to the worker machine. A nested job it still waits on
    /// is cancelled (its stream ends, as `ChildJobs` does on termination).
    func endRun(_ id: Int) {
        let run = self.runs[id]
        self.runs[id].endedAt = self.now
        self.liveRuns.removeAll { $0 == id }
        self.wantedDirty = true
        let (outcome, usage) = self.outcome(of: run)
        if case .success(let bytes) = outcome { self.ledger.producedOutputs.insert(bytes) }
        self.trace.add("\(self.prefix) \(run.peer): handler of \(run.attempt) returns \(SimTrace.describe(outcome))")
        var events: [WorkerEvent] = []
        if let token = run.childToken,
            let index = self.workers[run.slot].children.firstIndex(where: { $0.token == token })
        {
            let child = self.workers[run.slot].children.remove(at: index)
            if let job = child.job {
                events.append(
                    .cancelChild(CancelJob(token: token, job: job, reason: "the parent handler stopped waiting"))
                )
            }
        }
        events.append(.handlerFinished(run.attempt, outcome, usage: usage))
        self.workerEvents(run.slot, incarnation: run.incarnation, events)
    }

    func outcome(of run: HandlerRun) -> (Outcome, UInt64) {
        if run.cancelledAt != nil, run.behaviour.isCooperative {
            return (.failure(Failure(.cancelled, "sim \(run.tag): cancelled")), 0)
        }
        let success = Outcome.success(Array("ok \(run.tag)".utf8))
        switch run.behaviour {
        case .succeed(_, let usage):
            return (success, usage)
        case .fail(let category, _):
            return (.failure(Failure(category, "sim \(run.tag): drawn failure")), 0)
        case .stream, .ignoresCancellation:
            return (success, 0)
        case .hang:
            return (.failure(Failure(.cancelled, "sim \(run.tag): cancelled")), 0)
        case .nested:
            switch run.childOutcome {
            case .success(let text)?:
                return (.success(Array("ok \(run.tag) \(String(decoding: text, as: UTF8.self))".utf8)), 0)
            case .failure(let failure)?:
                return (.failure(Failure(failure.category, "sim \(run.tag): nested job: \(failure.message)")), 0)
            case nil: return (.failure(Failure(.cancelled, "sim \(run.tag): cancelled")), 0)
            }
        }
    }
}
