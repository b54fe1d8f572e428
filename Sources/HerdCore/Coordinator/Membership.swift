/// The workers the coordinator knows (live, draining, or dead and kept for status), and the
/// drains waiting for their workers to leave.
///
/// Invariants: a worker's `running` set holds exactly the subtasks whose outstanding attempt it
/// holds, so its free credit is its capacity minus that count; a dead worker holds nothing (what
/// it held is listed in `lostAtDeath`); a draining worker gets no new work.
struct Membership {
    private var workers: [PeerID: WorkerRecord] = [:]
    /// Drains waiting for their workers to leave.
    private var drains: [DrainRecord] = []
    /// Subtasks a draining worker gave back, and where each went (reported with the drain).
    private var moved: [SubtaskRef: DrainMove] = [:]

    /// The worker with routing id `peer`, live or dead.
    subscript(peer: PeerID) -> WorkerRecord? {
        _read { yield self.workers[peer] }
    }

    /// Runs `body` on `peer`'s record without copying it (mutating only to reach the dictionary's
    /// in-place accessor: see `Dictionary.inPlace`), or returns `nil` for an unknown peer.
    @inline(__always)
    mutating func peek<Result>(_ peer: PeerID, _ body: (WorkerRecord) -> Result) -> Result? {
        self.workers.inPlace(peer) { body($0) }
    }

    /// Whether `peer` is a registered worker not declared dead.
    /// Sets or clears what `peer`'s failing health probe said (a live worker only).
    mutating func setUnhealthy(_ peer: PeerID, _ reason: String?) { self.workers[peer]?.unhealthy = reason }

    func isLive(_ peer: PeerID) -> Bool { self.workers[peer]?.isLive == true }

    /// Every worker record, in no particular order.
    var all: Dictionary<PeerID, WorkerRecord>.Values { self.workers.values }

    /// Every worker record, in routing-id order.
    var sorted: [WorkerRecord] {
        self.workers.values.sorted { $0.peer.bytes.lexicographicallyPrecedes($1.peer.bytes) }
    }

    // MARK: Registration and liveness

    /// Stores a (re)registered worker's record, replacing what was known of the peer.
    mutating func admit(_ record: WorkerRecord) { self.workers[record.peer] = record }

    /// Notes a message from `peer` as proof of life. False when `peer` is not a live worker.
    mutating func heard(from peer: PeerID, now: Instant) -> Bool {
        self.workers.inPlace(peer) { worker in
            guard worker.isLive else { return false }
            worker.lastHeard = now
            worker.liveness.heard(at: now)
            return true
        } ?? false
    }

    /// Declares a live worker dead: it holds nothing from now on (`lostAtDeath` lists what it
    /// held, to be told to stop if it comes back), and every drain covering it counts it as gone.
    mutating func markDead(_ peer: PeerID, reason: String, now: Instant, lostAtDeath: [AttemptRef]) {
        _ = self.workers.inPlace(peer) { worker in
            worker.state = .dead(since: now, reason: reason)
            worker.lostAtDeath = lostAtDeath
            worker.running.removeAll()
        }
        // A drain counts the process as gone now, even if another registers under its id later.
        for index in self.drains.indices where self.drains[index].workers.contains(peer) {
            self.drains[index].left.insert(peer)
        }
    }

    /// Forgets a worker (dead past the retention).
    mutating func forget(_ peer: PeerID) { self.workers[peer] = nil }

    // MARK: Attempts

    /// `peer` was given `subtask` by a dispatch pass (a subtask a drain moved is reported as
    /// moved to it).
    mutating func dispatched(_ subtask: SubtaskRef, to peer: PeerID) {
        _ = self.workers.inPlace(peer) { $0.running.insert(subtask) }
        if !self.moved.isEmpty, self.moved[subtask] != nil { self.moved[subtask] = .dispatched(to: peer) }
    }

    /// A returning worker still holds `subtask`'s current attempt: it keeps it.
    mutating func adopted(_ subtask: SubtaskRef, by peer: PeerID) {
        self.workers.inPlace(peer) { _ = $0.running.insert(subtask) }
    }

    /// `peer` committed `subtask`'s attempt. Returns the worker's group and id.
    mutating func finished(_ subtask: SubtaskRef, at peer: PeerID) -> (group: String, workerID: String)? {
        self.workers.inPlace(peer) { worker in
            worker.running.remove(subtask)
            worker.drain?.finished += 1
            return (worker.registration.group, worker.registration.workerID)
        }
    }

    /// `peer` confirmed that `subtask`'s attempt stopped. Returns the worker's group and id.
    mutating func released(_ subtask: SubtaskRef, from peer: PeerID) -> (group: String, workerID: String)? {
        self.workers.inPlace(peer) { worker in
            worker.running.remove(subtask)
            return (worker.registration.group, worker.registration.workerID)
        }
    }

    /// `peer` gave `subtask`'s attempt back unasked; a draining worker reports it as moved
    /// (`requeued`: it went back to the queue rather than being already committed).
    mutating func gaveBack(_ subtask: SubtaskRef, by peer: PeerID, requeued: Bool) -> (group: String, workerID: String)?
    {
        let result = self.workers.inPlace(peer) { worker -> (group: String, workerID: String, draining: Bool) in
            worker.running.remove(subtask)
            worker.drain?.moved.append(subtask)
            return (worker.registration.group, worker.registration.workerID, worker.drain != nil)
        }
        guard let result else { return nil }
        if requeued, result.draining { self.moved[subtask] = .queued }
        return (result.group, result.workerID)
    }

    // MARK: Drains

    /// The live workers a drain of `target` covers, in routing-id order.
    func matching(_ target: DrainTarget) -> [PeerID] {
        self.workers.values.filter { worker in
            guard worker.isLive else { return false }
            switch target {
            case .worker(let id): return worker.registration.workerID == id
            case .node(let label): return worker.registration.node == label
            case .group(let name): return worker.registration.group == name
            }
        }.map(\.peer).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// A live worker starts draining (asked, or on its own after SIGTERM): no new work from now.
    /// Returns its group, or `nil` if it was not live or already draining.
    mutating func startDrain(_ peer: PeerID, now: Instant, grace: Duration) -> String? {
        self.workers.inPlace(peer) { worker -> String? in
            guard worker.isLive, worker.drain == nil else { return nil }
            worker.drain = WorkerRecord.DrainProgress(since: now, grace: grace)
            return worker.registration.group
        } ?? nil
    }

    /// Waits for the workers of a drain to leave.
    mutating func add(_ drain: DrainRecord) { self.drains.append(drain) }

    /// The drains whose workers have all left, with their reports, in the order asked; they are
    /// forgotten (and so are the moves, once no drain is open).
    mutating func takeCompletedDrains() -> [(requester: PeerID, report: DrainReport)] {
        guard !self.drains.isEmpty else { return [] }
        var open: [DrainRecord] = []
        var completed: [(requester: PeerID, report: DrainReport)] = []
        for drain in self.drains {
            if drain.workers.contains(where: { !drain.left.contains($0) && self.workers[$0]?.isLive == true }) {
                open.append(drain)
                continue
            }
            let report = drain.workers.map { peer -> DrainedWorker in
                let worker = self.workers[peer]
                let moved = (worker?.drain?.moved ?? []).map { subtask -> MovedSubtask in
                    var to = ""
                    if case .dispatched(let peer) = self.moved[subtask] {
                        to = self.workers[peer]?.registration.workerID ?? ""
                    }
                    return MovedSubtask(subtask: subtask, to: to)
                }
                return DrainedWorker(
                    worker: worker?.registration.workerID ?? peer.description,
                    finished: worker?.drain?.finished ?? 0,
                    moved: moved
                )
            }
            completed.append((drain.requester, DrainReport(token: drain.token, workers: report)))
        }
        self.drains = open
        if self.drains.isEmpty { self.moved.removeAll() }
        return completed
    }
}
