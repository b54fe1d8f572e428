import HerdCore

// MARK: - The coordinator's shell: what CoordinatorServer does, on the virtual network

extension Simulation {
    /// A batch of messages from one peer reaches the coordinator: each is handled, then one flush
    /// (as the server does per wake-up).
    func coordinatorReceives(_ messages: [Message], from peer: PeerID) {
        var actions: [CoordinatorAction] = []
        for message in messages {
            self.trace.add("\(self.prefix) \(peer) -> coord: \(SimTrace.describe(message))")
            self.coordinatorAboutToHandle(message, from: peer)
            if self.options.corruptSupersededResults, case .results(let results) = message {
                for (sender, rewritten) in self.corruptSuperseded(results, from: peer) {
                    self.coordinator.handle(.message(.results(rewritten), from: sender), now: self.now, into: &actions)
                    self.noteRetriesScheduled(rewritten)
                }
                continue
            }
            self.coordinator.handle(.message(message, from: peer), now: self.now, into: &actions)
            if case .results(let results) = message { self.noteRetriesScheduled(results) }
        }
        self.flushCoordinator(into: &actions)
        self.performCoordinator(actions)
    }

    /// What the checks note before the coordinator handles a message: a drain it accepts from a
    /// live worker, a REGISTER that makes a new worker of an id, an operator's breaker command.
    func coordinatorAboutToHandle(_ message: Message, from peer: PeerID) {
        switch message {
        case .drainWorker:
            if self.coordinator.simWorker(peer)?.isLive == true, self.ledger.drainedSince[peer] == nil {
                self.ledger.drainedSince[peer] = self.now
            }
        case .register:
            if self.coordinator.simWorker(peer)?.isLive != true {
                self.ledger.drainedSince[peer] = nil
                if self.coordinatorCrashedAt != nil, self.lateAfterCrash[peer] == nil {
                    self.lateAfterCrash[peer] = self.now > self.coordinatorResumesDispatchAt
                }
            }
        case .breaker(let command):
            if let path = BreakerPath(parsing: command.path) { self.operatorPaths.insert(path) }
        default:
            break
        }
    }

    /// Flushes the coordinator, keeping the breakers as they stood before: the DISPATCHes this
    /// flush sends are judged against them (``checkAdmission(_:to:)``).
    func flushCoordinator(into actions: inout [CoordinatorAction]) {
        self.admissionBaseline = self.coordinator.simBreakers
        self.admissionUsed.removeAll(keepingCapacity: true)
        self.coordinator.flush(now: self.now, into: &actions)
    }

    /// Performs the coordinator's actions. A send to a routing id with no connection comes back
    /// as an `unreachable` event, handled and flushed until none remain (as the server does).
    func performCoordinator(_ actions: [CoordinatorAction]) {
        self.coordinatorTouched = true
        var pending = actions
        while !pending.isEmpty {
            var unreachable: [PeerID] = []
            for action in pending {
                self.mix(0xC0)
                switch action {
                case .send(let peer, let message):
                    self.trace.add("\(self.prefix)   coord => \(peer): \(SimTrace.describe(message))")
                    self.coordinatorSending(message, to: peer)
                    let outcome = self.network.coordinatorSend(message, to: peer, now: self.now, random: &self.random)
                    if outcome == .unreachable, !unreachable.contains(peer) { unreachable.append(peer) }
                    self.schedule(outcome, "coord -> \(peer): \(SimTrace.describe(message))")
                case .schedule(let timer, let instant):
                    self.queue.push(
                        .coordinatorTimer(timer, incarnation: self.coordinatorIncarnation),
                        at: max(instant, self.now)
                    )
                case .log(let line):
                    self.trace.add("\(self.prefix)   coord log: \(line)")
                    if line.message.hasPrefix("breaker ") { self.breakerLogged = true }
                case .stop:
                    self.trace.add("\(self.prefix)   coord stops")
                case .journal(let batch):
                    // Durable at once: a crash in the simulator falls between batches.
                    let forgotten = Set(batch.forgetting)
                    if !forgotten.isEmpty { self.journal.removeAll { $0.job.map(forgotten.contains) == true } }
                    self.journal.append(contentsOf: batch.records)
                }
            }
            pending.removeAll()
            guard !unreachable.isEmpty else { break }
            for peer in unreachable {
                self.trace.add("\(self.prefix) coord: \(peer) unreachable")
                self.coordinator.handle(.unreachable(peer), now: self.now, into: &pending)
            }
            self.flushCoordinator(into: &pending)
        }
        // Let go of the breakers' copy, so the coordinator's next changes do not copy them.
        self.admissionBaseline = nil
    }

    /// **Test-only corruption** (``SimOptions/corruptSupersededResults``): a coordinator that
    /// does not check attempt numbers. Each RESULTS entry for an attempt that is not the subtask's
    /// current one is rewritten to the current attempt, as if sent by the worker holding it.
    func corruptSuperseded(_ results: [SubtaskResult], from peer: PeerID) -> [(PeerID, [SubtaskResult])] {
        var batches: [(PeerID, [SubtaskResult])] = []
        for result in results {
            var sender = peer
            var entry = result
            if let current = self.coordinator.introspectOutstanding([result.attempt.subtask])[0],
                current.cancelledAt == nil,
                current.attempt != result.attempt.attempt || current.worker != peer
            {
                entry.attempt.attempt = current.attempt
                sender = current.worker
                self.trace.add(
                    "\(self.prefix)   CORRUPTION: \(result.attempt) from \(peer) rewritten to \(entry.attempt) from \(sender)"
                )
            }
            if let last = batches.indices.last, batches[last].0 == sender {
                batches[last].1.append(entry)
            } else {
                batches.append((sender, [entry]))
            }
        }
        return batches
    }
}
