import HerdCore

/// A client process: it runs one ``ClientStateMachine`` per job, each on its own connection with
/// its own routing id (as `HerdClient` does).
struct ClientProcess {
    /// Where one job stands, for the client.
    enum JobState {
        case running
        case finished(JobSummary)
        case failed(Failure)
    }

    /// One job of the client.
    struct Job {
        let index: Int
        let peer: PeerID
        var link: Int
        /// `nil` once the job is done (its connection is then closed).
        var machine: ClientStateMachine?
        let submission: Submission
        var state: JobState = .running
        var job: JobID?
        var delivered: Set<UInt32> = []

        var isRunning: Bool { if case .running = self.state { true } else { false } }
    }

    let index: Int
    /// Killed: its jobs are abandoned (the coordinator cancels them once it notices).
    var crashed = false
    var jobs: [Job] = []

    init(index: Int) { self.index = index }
}

/// A one-shot request on its own connection (`herd cancel`, `herd drain`): no heartbeats, waits
/// for the matching reply or a timeout.
struct Requester {
    let index: Int
    let peer: PeerID
    var link: Int?
    let request: Message
    var answered = false
    var timedOut = false
    /// The coordinator it asked crashed before answering: `herd cancel` would fail; not a fault.
    var lostWithCoordinator = false

    var isDone: Bool { self.answered || self.timedOut || self.lostWithCoordinator }
}

// MARK: - Clients and requests

extension Simulation {
    /// How long a request waits for its reply (`herd cancel`'s default wait).
    static let requestTimeout: Duration = .seconds(60)

    /// A client submits a new root job.
    func submitRootJob(client: Int) {
        let index = self.clients[client].jobs.count
        let peer = PeerID("c\(client).\(index)")
        let link = self.network.open(peer, owner: .clientJob(client: client, job: index), random: &self.random)
        let count = UInt32(self.random.int(1 ... 6))
        let submission = Submission(
            token: self.token(),
            group: self.random.pick(self.scenario.groups),
            kind: SimScenario.kind,
            payloads: .template(Array("p{index}".utf8), count: count),
            timeout: self.random.chance(0.35) ? self.random.milliseconds(300, 4000) : nil,
            policy: self.drawPolicy(count: count),
            budget: self.random.chance(0.2) ? UInt64(self.random.int(1 ... 8)) : nil
        )
        let machine = ClientStateMachine(configuration: .init(endpoint: "sim://coordinator"))
        self.clients[client].jobs.append(
            ClientProcess.Job(index: index, peer: peer, link: link, machine: machine, submission: submission)
        )
        self.stats.jobsSubmitted += 1
        self.trace.add("\(self.prefix) \(peer) submits: \(SimTrace.describe(.submit(submission)))")
        self.clientEvent(client, job: index, .submit(submission))
        self.queue.push(
            .clientPatience(client: client, job: index),
            at: self.now + self.random.milliseconds(1500, 10_000)
        )
    }

    func clientEvent(_ client: Int, job: Int, _ event: ClientStateMachine.Event) {
        guard !self.clients[client].crashed, var machine = self.clients[client].jobs[job].machine else { return }
        self.clients[client].jobs[job].machine = nil
        let actions = machine.handle(event, now: self.now)
        self.clients[client].jobs[job].machine = machine
        self.performClient(client, job: job, actions)
    }

    func performClient(_ client: Int, job index: Int, _ actions: [ClientStateMachine.Action]) {
        let peer = self.clients[client].jobs[index].peer
        for action in actions {
            self.mix(0xB0)
            switch action {
            case .send(let message):
                self.trace.add("\(self.prefix)   \(peer) => coord: \(SimTrace.describe(message))")
                let outcome = self.network.nodeSend(
                    message,
                    link: self.clients[client].jobs[index].link,
                    now: self.now,
                    random: &self.random
                )
                self.schedule(outcome, "\(peer) -> coord: \(SimTrace.describe(message))")
            case .schedule(.tick, let instant):
                self.queue.push(.clientTimer(client: client, job: index), at: max(instant, self.now))
            case .accepted(let accepted):
                self.clients[client].jobs[index].job = accepted.job
                self.ledger.rootAccepted(accepted.job)
            case .deliver(let results):
                for result in results
                where !self.clients[client].jobs[index].delivered.insert(result.subtask.index).inserted {
                    self.fail(.resultTwice, "client \(peer) was handed \(result.subtask) twice")
                }
            case .partial:
                break
            case .notice(let notice):
                self.trace.add("\(self.prefix)   \(peer) notice: \(notice.message)")
            case .finished(let summary):
                self.trace.add("\(self.prefix) \(peer) finished \(summary.job)")
                self.clients[client].jobs[index].state = .finished(summary)
                self.stats.jobsFinished += 1
                self.checkClientFinished(client, job: index, summary)
                self.closeClientJob(client, job: index)
            case .failed(let failure):
                self.trace.add("\(self.prefix) \(peer) failed: \(failure)")
                self.clients[client].jobs[index].state = .failed(failure)
                self.stats.jobsFailed += 1
                if failure.message.isEmpty {
                    self.fail(
                        .failedWithoutReason,
                        "client \(peer)'s job failed with an empty reason (\(failure.category))"
                    )
                }
                self.closeClientJob(client, job: index)
            case .log(let line):
                self.trace.add("\(self.prefix)   \(peer) log: \(line)")
            }
        }
    }

    /// The client's loop stops and its socket closes once the job is done (as a HerdClient job does when its consumer stops listening).
    func closeClientJob(_ client: Int, job: Int) {
        self.clients[client].jobs[job].machine = nil
        self.network.close(self.clients[client].jobs[job].link, random: &self.random)
    }

    /// The person at the terminal presses Ctrl-C.
    func clientPatienceRanOut(_ client: Int, job: Int) {
        guard !self.clients[client].crashed, self.clients[client].jobs[job].isRunning else { return }
        self.trace.add("\(self.prefix) \(self.clients[client].jobs[job].peer): Ctrl-C")
        self.stats.cancels += 1
        self.clientEvent(client, job: job, .cancel(reason: "interrupted (Ctrl-C)"))
    }

    /// The client process is killed: its connections close; the coordinator must notice and
    /// cancel its jobs.
    func crashClient(_ client: Int) {
        guard !self.clients[client].crashed else { return }
        self.clients[client].crashed = true
        self.stats.crashes += 1
        self.trace.add("\(self.prefix) FAULT kill client c\(client)")
        for index in self.clients[client].jobs.indices where self.clients[client].jobs[index].machine != nil {
            self.closeClientJob(client, job: index)
        }
        self.deferred[.client(client)] = nil
        if self.network.isStalled(.client(client)) { _ = self.network.resume(.client(client), now: self.now) }
    }

    // MARK: - One-shot requests

    /// Sends a request (CANCEL-JOB, DRAIN or BREAKER) on a new connection.
    func request(_ message: Message) {
        let index = self.requesters.count
        let peer = PeerID("x\(index)")
        let link = self.network.open(peer, owner: .requester(index), random: &self.random)
        self.requesters.append(Requester(index: index, peer: peer, link: link, request: message))
        self.trace.add("\(self.prefix) \(peer) requests: \(SimTrace.describe(message))")
        let outcome = self.network.nodeSend(message, link: link, now: self.now, random: &self.random)
        self.schedule(outcome, "\(peer) -> coord: \(SimTrace.describe(message))")
        self.queue.push(.requesterTimeout(index), at: self.now + Self.requestTimeout)
    }

    func requesterReceives(_ index: Int, _ message: Message) {
        guard !self.requesters[index].isDone else { return }
        let matches: Bool
        switch (self.requesters[index].request, message) {
        case (.cancelJob(let request), .cancelReply(let reply)): matches = request.token == reply.token
        case (.drain(let request), .drainReply(let reply)): matches = request.token == reply.token
        case (.breaker(let command), .breakerReply(let reply)): matches = command.token == reply.token
        default: matches = false
        }
        guard matches else { return }
        self.requesters[index].answered = true
        if let link = self.requesters[index].link { self.network.close(link, random: &self.random) }
        self.requesters[index].link = nil
    }

    func requesterTimedOut(_ index: Int) {
        guard !self.requesters[index].isDone else { return }
        self.requesters[index].timedOut = true
        self.trace.add("\(self.prefix) \(self.requesters[index].peer) gives up waiting for its reply")
        if let link = self.requesters[index].link { self.network.close(link, random: &self.random) }
        self.requesters[index].link = nil
    }
}
