/// A drain someone asked for (`herd drain`), answered once every worker it covers has left.
struct DrainRecord {
    var token: UInt64
    var requester: PeerID
    var workers: [PeerID]
    /// Workers seen leaving (or dying) since the drain began: a process that registers later
    /// under the same id is not the one drained (found by the simulator, docs/SIMULATION.md).
    var left: Set<PeerID> = []
}

/// Where a subtask a draining worker gave back went, for the drain's report.
enum DrainMove: Hashable {
    /// Back in its group's queue, not dispatched again yet.
    case queued
    /// Re-dispatched to this worker.
    case dispatched(to: PeerID)
}
