/// The worker groups: each one's live workers and its queue of subtasks waiting for one, which
/// groups need a dispatch pass at the next flush, and which ones told their clients that no
/// worker can take their work.
///
/// Invariants: a group's `queued` counts the queued subtasks of its live jobs (re-queues add one,
/// dispatches and early ends subtract); every change to a group's queue or workers marks it dirty,
/// so the flush that follows gives it a dispatch pass.
struct GroupQueues {
    /// Each group's fallback group, for the groups that have one.
    let fallbacks: [String: String]
    private var groups: [String: GroupRecord] = [:]
    /// Groups whose queue or workers changed since the last flush.
    private var dirty: Set<String> = []
    /// Groups whose jobs' clients were told that no worker can take their work.
    private var waiting: Set<String> = []

    init(fallbacks: [String: String]) { self.fallbacks = fallbacks }

    /// The group named `name`, if any worker ever registered it.
    subscript(name: String) -> GroupRecord? { self.groups[name] }

    /// Every group, in name order.
    var sorted: [GroupRecord] { self.groups.values.sorted { $0.name < $1.name } }

    /// The names of every group, in name order.
    var names: [String] { self.groups.keys.sorted() }

    /// Subtasks queued across all groups.
    var queuedTotal: Int { self.groups.values.reduce(0) { $0 + $1.queued } }

    // MARK: Workers

    /// A worker registered in `group` (creating the group the first time).
    mutating func addWorker(_ peer: PeerID, to group: String) {
        self.groups[group, default: GroupRecord(name: group)].workers.append(peer)
        self.dirty.insert(group)
    }

    /// A worker left `group` (dead, deregistered, or registering again).
    mutating func removeWorker(_ peer: PeerID, from group: String) {
        self.groups[group]?.workers.removeAll { $0 == peer }
        self.dirty.insert(group)
    }

    // MARK: Queues

    /// Queues all `count` subtasks of a new job at the back of `group`'s queue.
    mutating func enqueue(_ job: JobID, count: UInt32, in group: String) {
        self.groups[group, default: GroupRecord(name: group)].queue.append(
            GroupRecord.QueueEntry(job: job, next: 0, end: count)
        )
        self.groups[group]!.queued += Int(count)
        self.dirty.insert(group)
    }

    /// Queues the subtasks `range` of a job at the back of `group`'s queue (a job restored from
    /// the journal is queued as the runs of its unfinished subtasks).
    mutating func enqueue(_ job: JobID, range: Range<UInt32>, in group: String) {
        guard !range.isEmpty else { return }
        self.groups[group, default: GroupRecord(name: group)].queue.append(
            GroupRecord.QueueEntry(job: job, next: range.lowerBound, end: range.upperBound)
        )
        self.groups[group]!.queued += range.count
        self.dirty.insert(group)
    }

    /// Queues one subtask at the front of `group`'s queue, so it runs next: a subtask whose
    /// worker was lost, that a worker gave back, or whose retry is due. The only way back into a
    /// queue (callers set the subtask's phase to queued).
    mutating func requeueAtFront(_ subtask: SubtaskRef, in group: String) {
        self.groups[group, default: GroupRecord(name: group)].queue.prepend(
            GroupRecord.QueueEntry(job: subtask.job, next: subtask.index, end: subtask.index + 1)
        )
        self.groups[group]!.queued += 1
        self.dirty.insert(group)
    }

    /// `count` queued subtasks of `group` left its queue other than by dispatch (their job ended,
    /// or a returning worker was found to still hold one).
    mutating func dropped(_ count: Int, from group: String) { self.groups[group]?.queued -= count }

    /// Takes a group out while a dispatch pass changes it (so its queue is never copied); give it
    /// back with ``put(_:)``.
    mutating func take(_ name: String) -> GroupRecord? { self.groups.removeValue(forKey: name) }

    /// Gives back a group taken with ``take(_:)``.
    mutating func put(_ group: GroupRecord) { self.groups[group.name] = group }

    // MARK: Flush bookkeeping

    /// Marks a group for a dispatch pass at the next flush.
    mutating func markDirty(_ group: String) { self.dirty.insert(group) }

    /// Marks every group for a dispatch pass (an operator changed a breaker).
    mutating func markAllDirty() { self.dirty.formUnion(self.groups.keys) }

    /// Marks every group with queued work for a dispatch pass (time alone may have freed credit).
    mutating func markQueuedDirty() {
        for (name, group) in self.groups where group.queued > 0 { self.dirty.insert(name) }
    }

    /// The groups due a dispatch pass, in name order: the dirty ones and the groups that fall back
    /// to one of them (credit freed in a fallback group may serve those). Call ``clearDirty()``
    /// after the pass.
    func dueDispatch() -> [String] {
        guard !self.dirty.isEmpty else { return [] }
        var due = self.dirty
        for (name, fallback) in self.fallbacks where self.dirty.contains(fallback) { due.insert(name) }
        return due.sorted()
    }

    /// Ends the dispatch passes of a flush.
    mutating func clearDirty() { self.dirty.removeAll(keepingCapacity: true) }

    /// Records whether `group` is stuck (work queued, no worker can take it). Returns true when it
    /// has just become stuck: its clients are to be told, once.
    mutating func setStuck(_ group: String, _ stuck: Bool) -> Bool {
        guard stuck != self.waiting.contains(group) else { return false }
        if stuck { self.waiting.insert(group) } else { self.waiting.remove(group) }
        return stuck
    }
}
