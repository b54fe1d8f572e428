// MARK: - Access: roles per command, job ownership, per-client limits

extension CoordinatorStateMachine {
    /// The text of a refusal for want of the operator role, as `herd drain` prints it.
    public static let operatorRequired = "not allowed: operator role required"

    /// Who a peer is for ownership and limits: its public key when authenticated, else its routing id.
    static func identity(of peer: PeerID, principal: Principal?) -> String {
        principal.map { "key " + $0.key } ?? "peer " + peer.description
    }

    /// Handles a message from an authenticated peer: checks what its principal may do, then
    /// handles it like any message. A refusal is an ERROR `notAllowed` with the reason (or a
    /// REJECTED for a SUBMIT, so the client's job fails with it) and changes nothing else.
    ///
    /// What each role may send (docs/SECURITY.md):
    /// - any role: HEARTBEAT, ERROR;
    /// - worker: REGISTER (in its groups, if its key is limited to some), RESULTS, CANCELLED,
    ///   PARTIAL, DRAIN, DEREGISTER, and SUBMIT, CANCEL-JOB and RESULTS-REQUEST of the nested jobs it
    ///   submits from a running subtask;
    /// - client: SUBMIT, STATUS, and CANCEL-JOB and RESULTS-REQUEST of its own jobs (by key: every
    ///   process holding the key is the same client);
    /// - operator: everything, DRAIN-REQUEST and BREAKER included, any job.
    ///
    /// A routing id is bound to the first key it was seen with: a message under the same routing
    /// id with another key is refused (a peer cannot speak as another one).
    mutating func receivedAuthenticated(
        _ message: Message,
        from peer: PeerID,
        as principal: Principal,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        guard self.access.bind(peer, to: principal.key) else {
            actions.append(
                .log(
                    LogLine(
                        .warning,
                        "routing id already in use by another key: message refused",
                        ["peer": peer.description, "key": principal.description]
                    )
                )
            )
            self.refuse(
                message,
                "not allowed: this routing id belongs to another key",
                to: peer,
                now: now,
                into: &actions
            )
            return
        }
        if let reason = self.refusal(of: message, from: peer, as: principal) {
            actions.append(
                .log(
                    LogLine(
                        .info,
                        "command refused",
                        [
                            "command": message.commandName, "peer": peer.description, "key": principal.description,
                            "reason": reason,
                        ]
                    )
                )
            )
            self.refuse(message, reason, to: peer, now: now, into: &actions)
            return
        }
        self.principal = principal
        self.received(message, from: peer, now: now, into: &actions)
        self.principal = nil
    }

    /// Sends the refusal of `message`: REJECTED for a SUBMIT, nothing for an ERROR (never answer an
    /// ERROR with an ERROR), ERROR `notAllowed` for anything else.
    private mutating func refuse(
        _ message: Message,
        _ reason: String,
        to peer: PeerID,
        now: Instant,
        into actions: inout [CoordinatorAction]
    ) {
        switch message {
        case .submit(let submission):
            self.send(
                .rejected(Rejection(token: submission.token, failure: Failure(.auth, reason))),
                to: peer,
                now: now,
                into: &actions
            )
        case .error:
            break
        default:
            self.send(.error(ProtocolError(.notAllowed, reason)), to: peer, now: now, into: &actions)
        }
    }

    /// Why `principal` may not send `message`, or `nil` if it may.
    func refusal(of message: Message, from peer: PeerID, as principal: Principal) -> String? {
        if principal.may(.operator) { return nil }
        let worker = principal.may(.worker)
        let client = principal.may(.client)
        let identity = Self.identity(of: peer, principal: principal)
        switch message {
        case .heartbeat, .error:
            return nil
        case .register(let registration):
            guard worker else { return "not allowed: worker role required" }
            if let groups = principal.groups, !groups.contains(registration.group) {
                return "not allowed: this worker key may not register in group '\(registration.group)'"
                    + " (its groups: \(groups.sorted().joined(separator: ", ")))"
            }
            return nil
        case .results, .cancelled, .partial, .drainWorker, .deregister, .health:
            return worker ? nil : "not allowed: worker role required"
        case .submit(let submission):
            if client || (worker && submission.parent != nil) { return nil }
            return worker
                ? "not allowed: a worker key submits only nested jobs (client role required)"
                : "not allowed: client role required"
        case .statusRequest:
            return client ? nil : "not allowed: client role required"
        case .cancelJob(let request):
            guard client || worker else { return "not allowed: client role required" }
            return self.isOwned(request.job, by: identity)
                ? nil : Self.operatorRequired + " to cancel another client's job"
        case .resultsRequest(let request):
            guard client || worker else { return "not allowed: client role required" }
            return self.isOwned(request.job, by: identity)
                ? nil : Self.operatorRequired + " to read another client's job"
        case .inspect(let request):
            // The job list is what STATUS shows a client too; one job in detail is its owner's.
            guard client || worker else { return "not allowed: client role required" }
            guard let job = request.job else { return nil }
            return self.isOwned(job, by: identity) ? nil : Self.operatorRequired + " to inspect another client's job"
        case .drain, .breaker:
            return Self.operatorRequired
        case .welcome, .dispatch, .cancel, .accepted, .rejected, .jobResults, .jobFinished, .statusReply, .cancelReply,
            .drainReply, .jobNotice, .breakerReply, .resultsReply, .inspectReply:
            return nil  // answered as any wrong-direction command is: ERROR `unexpected`
        }
    }

    /// Whether `job` is `identity`'s; a job this coordinator does not know (never accepted, or
    /// forgotten) counts as owned, so the answer is the usual "not found" rather than a refusal.
    private func isOwned(_ job: JobID, by identity: String) -> Bool {
        guard let owner = self.access.owners[job] else {
            return self.jobs[job] == nil && self.archive[job] == nil
        }
        return owner == identity
    }

    // MARK: - Limits

    /// Why `submission` is over one of the configured limits, or `nil`; takes a submission token
    /// from the client's rate when it is not.
    mutating func limitExceeded(_ submission: Submission, from peer: PeerID, now: Instant) -> Failure? {
        let limits = self.configuration.limits
        let count = submission.payloads.count
        if count > limits.maxSubtasksPerJob {
            return Failure(
                .validation,
                "limit exceeded: a job may have at most \(limits.maxSubtasksPerJob) subtasks, got \(count) (max-fanout)"
            )
        }
        let largest = CoordinatorLimits.largestPayload(submission.payloads)
        if largest > limits.maxPayloadBytes {
            return Failure(
                .validation,
                "limit exceeded: a payload of \(largest) bytes is over the limit of \(limits.maxPayloadBytes) bytes"
                    + " (max-payload-bytes)"
            )
        }
        let identity = Self.identity(of: peer, principal: self.principal)
        let open = self.access.openJobs(of: identity) { self.jobs[$0] != nil }
        if open >= limits.maxOpenJobsPerClient {
            return Failure(
                .validation,
                "limit exceeded: this client has \(open) jobs open, at most \(limits.maxOpenJobsPerClient) are allowed"
                    + " (max-open-jobs-per-client)"
            )
        }
        if submission.parent == nil,
            !self.access.admitSubmission(of: identity, rate: limits.maxSubmissionsPerSecond, now: now)
        {
            return Failure(
                .rateLimited,
                "limit exceeded: more than \(limits.maxSubmissionsPerSecond) submissions per second from this client"
                    + " (max-submissions-per-second); retry later"
            )
        }
        return nil
    }

    /// Records the submitter of an accepted job (for ownership and the open-jobs limit).
    mutating func recordOwner(of job: JobID, from peer: PeerID) {
        self.access.accepted(job, by: Self.identity(of: peer, principal: self.principal))
    }

    /// `outcome`, or a `validation` failure when its output is over ``CoordinatorLimits/maxOutputBytes``.
    func limitedOutput(_ outcome: Outcome) -> Outcome {
        let limit = self.configuration.limits.maxOutputBytes
        guard case .success(let output) = outcome, output.count > limit else { return outcome }
        return .failure(
            Failure(
                .validation,
                "limit exceeded: an output of \(output.count) bytes is over the limit of \(limit) bytes (max-output-bytes)"
            )
        )
    }

    /// Forgets access records of jobs and peers the coordinator has forgotten (each tick).
    mutating func pruneAccess(now: Instant) {
        let jobs = self.jobs
        let archive = self.archive
        let membership = self.membership
        let clients = self.clients
        self.access.prune(
            isKnown: { jobs[$0] != nil || archive[$0] != nil },
            isPeer: { membership[$0] != nil || clients.contains($0) },
            rate: self.configuration.limits.maxSubmissionsPerSecond,
            now: now
        )
    }
}
