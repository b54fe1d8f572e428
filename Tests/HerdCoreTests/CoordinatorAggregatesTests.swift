import Testing

@testable import HerdCore

/// The coordinator's aggregates on their own: each keeps its invariants without the machine.
@Suite struct CoordinatorAggregatesTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let client = PeerID("client")

    func submission(_ count: Int, group: String = "g", parent: AttemptRef? = nil) -> Submission {
        Submission(
            token: 1,
            group: group,
            kind: "k",
            payloads: .template(Array("p{index}".utf8), count: UInt32(count)),
            parent: parent
        )
    }

    func worker(_ id: String, group: String = "g", capacity: UInt32 = 4) -> WorkerRecord {
        WorkerRecord(
            peer: PeerID(id),
            registration: Registration(workerID: id, group: group, node: "n", capacity: capacity, kinds: ["k"]),
            now: self.t0
        )
    }

    // MARK: - GroupQueues

    @Test func test_groupQueues_requeueAtFront_runsBeforeTheQueuedJobs_andCountsOne() {
        var queues = GroupQueues(fallbacks: [:])
        queues.enqueue(JobID(1), count: 10, in: "g")
        queues.clearDirty()
        queues.requeueAtFront(SubtaskRef(job: JobID(2), index: 7), in: "g")
        #expect(queues["g"]?.queue.first == GroupRecord.QueueEntry(job: JobID(2), next: 7, end: 8))
        #expect(queues["g"]?.queued == 11)
        #expect(queues.dueDispatch() == ["g"])
    }

    @Test func test_groupQueues_dirtyFallbackGroup_makesItsDependentsDue() {
        var queues = GroupQueues(fallbacks: ["gpu": "cpu", "edge": "spare"])
        queues.addWorker(PeerID("w"), to: "cpu")
        #expect(queues.dueDispatch() == ["cpu", "gpu"])
        queues.clearDirty()
        #expect(queues.dueDispatch().isEmpty)
    }

    @Test func test_groupQueues_stuckGroup_isReportedOnce_untilUnstuck() {
        var queues = GroupQueues(fallbacks: [:])
        let answers = [
            queues.setStuck("g", true), queues.setStuck("g", true), queues.setStuck("g", false),
            queues.setStuck("g", true),
        ]
        #expect(answers == [true, false, false, true])
    }

    @Test func test_groupRecord_advanceHead_dropsAnEntryOnceItsRunIsDone() {
        var group = GroupRecord(name: "g")
        group.queue.append(GroupRecord.QueueEntry(job: JobID(1), next: 0, end: 2))
        group.advanceHead()
        #expect(group.queue.first?.next == 1)
        group.advanceHead()
        #expect(group.queue.isEmpty)
    }

    // MARK: - JobTable

    @Test func test_jobTable_nestedJob_keepsItsParentOpen_untilForgotten() {
        var jobs = JobTable()
        let parent = jobs.accept(self.submission(1), from: self.client, deadline: nil)
        let attempt = AttemptRef(subtask: SubtaskRef(job: parent.id, index: 0), attempt: 1)
        let child = jobs.accept(self.submission(2, parent: attempt), from: PeerID("w"), deadline: nil)
        #expect(child.id > parent.id)
        #expect(jobs[parent.id]?.openChildJobs == 1)
        #expect(jobs.hasNestedJobs)
        _ = jobs.takeDirty()
        let forgotten = jobs.forget(child.id)
        #expect(forgotten?.id == child.id)
        #expect(jobs[parent.id]?.openChildJobs == 0)
        let dirty = jobs.takeDirty()
        #expect(dirty == [parent.id], "the parent may complete now: it is flushed again")
        let children = jobs.takeChildren(of: attempt)
        #expect(children == [child.id])
        #expect(!jobs.hasNestedJobs)
    }

    @Test func test_jobTable_idsAreNeverReused_andDirtyComesOutInOrder() {
        var jobs = JobTable()
        let a = jobs.accept(self.submission(1), from: self.client, deadline: nil).id
        _ = jobs.forget(a)
        let b = jobs.accept(self.submission(1), from: self.client, deadline: nil).id
        let c = jobs.accept(self.submission(1), from: self.client, deadline: nil).id
        #expect(b != a && c > b)
        jobs.markDirty(c)
        jobs.markDirty(b)
        let dirty = jobs.takeDirty()
        #expect(dirty == [b, c])
        #expect(!jobs.hasDirty)
    }

    // MARK: - Membership

    @Test func test_membership_deadWorker_holdsNothing_andIsNotHeard() {
        var members = Membership()
        members.admit(self.worker("w"))
        let subtask = SubtaskRef(job: JobID(1), index: 0)
        members.dispatched(subtask, to: PeerID("w"))
        #expect(members[PeerID("w")]?.freeCredit == 3)
        let lost = [AttemptRef(subtask: subtask, attempt: 1)]
        members.markDead(PeerID("w"), reason: "silent", now: self.t0, lostAtDeath: lost)
        #expect(members[PeerID("w")]?.running.isEmpty == true)
        #expect(members[PeerID("w")]?.lostAtDeath == lost)
        let heardDead = members.heard(from: PeerID("w"), now: self.t0)
        let heardUnknown = members.heard(from: PeerID("nobody"), now: self.t0)
        #expect(!heardDead && !heardUnknown)
    }

    @Test func test_membership_drain_completesOnceEveryWorkerLeft_andReportsWhereWorkMoved() {
        var members = Membership()
        members.admit(self.worker("a"))
        members.admit(self.worker("b"))
        members.admit(self.worker("c", group: "other"))
        let covered = members.matching(.group("g"))
        #expect(covered == [PeerID("a"), PeerID("b")])
        let started = members.startDrain(PeerID("a"), now: self.t0, grace: .seconds(1))
        let again = members.startDrain(PeerID("a"), now: self.t0, grace: .seconds(1))
        #expect(started == "g")
        #expect(again == nil, "already draining")
        members.add(DrainRecord(token: 9, requester: self.client, workers: [PeerID("a")]))
        let moved = SubtaskRef(job: JobID(1), index: 3)
        members.dispatched(moved, to: PeerID("a"))
        _ = members.gaveBack(moved, by: PeerID("a"), requeued: true)
        members.dispatched(moved, to: PeerID("b"))
        let early = members.takeCompletedDrains()
        #expect(early.isEmpty, "a is still live")
        members.markDead(PeerID("a"), reason: "deregistered", now: self.t0, lostAtDeath: [])
        let done = members.takeCompletedDrains()
        #expect(done.map(\.requester) == [self.client])
        #expect(done.first?.report.workers.first?.moved == [MovedSubtask(subtask: moved, to: "b")])
        let later = members.takeCompletedDrains()
        #expect(later.isEmpty, "answered once")
    }

    // MARK: - RetryScheduler

    @Test func test_retryScheduler_armsTheTimerOnlyForAnEarlierRetry_andReleasesInDueOrder() {
        var retries = RetryScheduler(seed: 1, budget: RetryBudget.Configuration(minRetriesPerSecond: 100))
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), jitter: .none)
        let a = SubtaskRef(job: JobID(1), index: 0)
        let b = SubtaskRef(job: JobID(1), index: 1)
        let failure = Failure(.transient, "flaky")
        guard
            case .scheduled = retries.consider(
                a,
                failure: failure,
                attempt: 2,
                worker: PeerID("w"),
                policy: policy,
                deadline: nil,
                now: self.t0
            )
        else {
            Issue.record("a retry was expected")
            return
        }
        let first = retries.timerToArm()
        #expect(first == self.t0 + .milliseconds(200))
        _ = retries.consider(
            b,
            failure: failure,
            attempt: 1,
            worker: PeerID("w"),
            policy: policy,
            deadline: nil,
            now: self.t0
        )
        let rearmed = retries.timerToArm()
        #expect(rearmed == self.t0 + .milliseconds(100), "an earlier retry re-arms the timer")
        let due = retries.takeDue(now: self.t0 + .milliseconds(150))
        #expect(due == [b])
        let next = retries.timerToArm()
        #expect(next == first)
        #expect(retries.lastTried(a) == PeerID("w"))
        let chained = retries.withEarlierFailures(Failure(.timeout, "late"), of: a)
        #expect(chained.causes == [failure])
    }

    @Test func test_retryScheduler_retryThatCannotFinishInTime_isNotMade_andSpendsNoBudget() {
        var retries = RetryScheduler(seed: 1, budget: RetryBudget.Configuration(ratio: 0, minRetriesPerSecond: 0))
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1), jitter: .none)
        let subtask = SubtaskRef(job: JobID(1), index: 0)
        let failure = Failure(.transient, "flaky")
        guard
            case .final(let late) = retries.consider(
                subtask,
                failure: failure,
                attempt: 1,
                worker: PeerID("w"),
                policy: policy,
                deadline: self.t0 + .milliseconds(10),
                now: self.t0
            )
        else {
            Issue.record("the deadline should stop the retry")
            return
        }
        #expect(late == failure)
        guard
            case .refusedByBudget(let refused) = retries.consider(
                subtask,
                failure: failure,
                attempt: 1,
                worker: PeerID("w"),
                policy: policy,
                deadline: nil,
                now: self.t0
            )
        else {
            Issue.record("an empty budget should refuse")
            return
        }
        #expect(refused.category == .budgetExhausted)
        let timer = retries.timerToArm()
        #expect(timer == nil)
    }

    // MARK: - Outbound, clients, life cycle

    @Test func test_outbound_cancelsComeOutByWorker_once() {
        var outbound = Outbound()
        let attempt = AttemptRef(subtask: SubtaskRef(job: JobID(1), index: 0), attempt: 1)
        outbound.cancel(attempt, at: PeerID("w2"))
        outbound.cancel(attempt, at: PeerID("w1"))
        let batches = outbound.takeCancels()
        #expect(batches.map(\.worker) == [PeerID("w1"), PeerID("w2")])
        #expect(!outbound.hasCancels)
        outbound.sent(to: PeerID("w1"), at: self.t0)
        #expect(!outbound.isQuiet(PeerID("w1"), now: self.t0 + .milliseconds(100), interval: .milliseconds(250)))
        #expect(outbound.isQuiet(PeerID("w1"), now: self.t0 + .milliseconds(125), interval: .milliseconds(250)))
    }

    @Test func test_clientTable_heardFromAnUnknownPeer_doesNotMakeItAClient() {
        var clients = ClientTable()
        clients.heard(from: self.client, now: self.t0)
        #expect(!clients.contains(self.client))
        clients.touch(self.client, now: self.t0)
        clients.add(JobID(3), to: self.client)
        let removed = clients.remove(self.client)
        #expect(removed?.jobs == [JobID(3)])
    }

    @Test func test_lifeCycle_acceptsJobsOnlyBeforeShutdown() {
        #expect(CoordinatorLifeCycle.created.acceptsJobs && CoordinatorLifeCycle.running.acceptsJobs)
        #expect(!CoordinatorLifeCycle.shuttingDown.acceptsJobs && !CoordinatorLifeCycle.stopped.acceptsJobs)
    }

    @Test func test_fallbackSource_wireNames_roundTrip() {
        for source in [FallbackSource.group("cpu"), .lastGood, .staticValue] {
            #expect(FallbackSource(wireName: source.wireName) == source)
        }
        #expect(FallbackSource(wireName: "") == nil)
    }
}
