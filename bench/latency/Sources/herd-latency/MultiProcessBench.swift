import BenchC
import Foundation
import HerdCore

/// The multi-process modes: cancel, exec-cancel, drain, failover (see main.swift).
enum MultiProcessBench {
    static func main(mode: String, _ arguments: [String]) {
        let bench = Bench(options: Options(arguments), mode: mode)
        let output: String
        do {
            switch mode {
            case "cancel": output = try bench.cancelSwift()
            case "exec-cancel": output = try bench.cancelExec()
            default: output = try bench.moveWork(failover: mode == "failover")
            }
        } catch {
            bench.shutdown()
            fail("\(mode): \(error)")
        }
        bench.shutdown()
        FileHandle.standardOutput.write(Data((output + "\n").utf8))
        exit(0)
    }
}

/// Microseconds from `from` to `to` (CLOCK_MONOTONIC ns; negative if `to` is earlier).
func microseconds(from: UInt64, to: UInt64) -> Double {
    Double(Int64(bitPattern: to &- from)) / 1_000
}

/// One run of one mode: a coordinator, workers, and the trials.
final class Bench {
    let options: Options
    let mode: String
    let harness: Harness
    let events = Events()
    let herd: String
    let logs: String
    var endpoint = ""
    var token: UInt64 = 0

    init(options: Options, mode: String) {
        self.options = options
        self.mode = mode
        self.herd = options.string("herd")
        self.logs = options.string("logs")
        self.harness = Harness(logs: self.logs)
        let events = self.events
        self.harness.onMessage = { message, at in events.message(message, at: at) }
        self.events.reply = { [unowned harness] message in harness.wire?.send(message) }
    }

    func nextToken() -> UInt64 {
        self.token += 1
        return self.token
    }

    func shutdown() {
        // Exec children still running (they outlive a killed `herd worker`, leading process groups
        // of their own) are killed through their pidfds, tracked in BenchC's registry, and by the
        // run's tag in their environment (those whose pids never reached us).
        self.harness.shutdown()
    }

    // MARK: - Cluster

    /// Writes the coordinator's config file (`[coordinator] heartbeat` and `liveness`); returns its path.
    func writeConfig(heartbeat: String, liveness: String) throws -> String {
        let config = "\(self.logs)/\(self.mode)-coordinator.toml"
        try "[coordinator]\nheartbeat = \"\(heartbeat)\"\nliveness = \"\(liveness)\"\n".write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        return config
    }

    /// The cancel modes: the liveness window does not enter the figures, and a worker whose loop
    /// thread starves for over a second while its 250 exec children start (on a loaded 2-core
    /// machine) must not be declared dead: that re-queues its work and opens its breaker, and the
    /// trial then waits for subtasks that are never dispatched. Hence 10 s by default.
    func startCancelCoordinator() throws {
        let config = try self.writeConfig(
            heartbeat: self.options.string("heartbeat", "250ms"),
            liveness: self.options.string("liveness", "10s")
        )
        try self.startCoordinator(config: config)
    }

    func startCoordinator(config: String? = nil) throws {
        var arguments = ["coordinator", "--bind", "tcp://127.0.0.1:*"]
        if let config { arguments += ["--config", config] }
        let child = try self.harness.spawn("\(self.mode)-coordinator", self.herd, arguments)
        self.harness.essential.insert(child.pid)
        var endpoint: String?
        child.onLine = { line, _ in
            if line.contains("listening on"), let last = line.split(separator: " ").last { endpoint = String(last) }
        }
        try self.harness.wait("the coordinator's readiness line", timeout: 30) { endpoint != nil }
        self.endpoint = endpoint!
        self.harness.connect(self.endpoint)
    }

    /// Starts `herd-latency worker` processes and waits until each has registered.
    func startBenchWorkers(
        _ specs: [(id: String, capacity: Int, behaviour: String)],
        group: String,
        essential: Bool
    ) throws -> [Child] {
        var children: [Child] = []
        for spec in specs {
            let child = try self.harness.spawn(
                spec.id,
                Harness.selfPath,
                ["worker", self.endpoint, group, String(spec.capacity), spec.id, spec.behaviour, String(getpid())]
            )
            let events = self.events
            let id = spec.id
            child.onLine = { line, _ in events.workerLine(line, worker: id) }
            if essential { self.harness.essential.insert(child.pid) }
            children.append(child)
        }
        try self.harness.wait("\(specs.count) worker(s) to register", timeout: 30) {
            specs.allSatisfy { self.events.ready.contains($0.id) }
        }
        return children
    }

    /// SUBMIT on the harness's own connection; returns the job's id once ACCEPTED.
    func submitWire(count: Int, kind: String, group: String) throws -> UInt64 {
        let token = self.nextToken()
        let payloads = PayloadSource.template(Array("x{index}".utf8), count: UInt32(count))
        self.harness.wire!.send(.submit(Submission(token: token, group: group, kind: kind, payloads: payloads)))
        try self.harness.wait("ACCEPTED") { self.events.accepted[token] != nil || self.events.rejected[token] != nil }
        if let rejection = self.events.rejected[token] { throw BenchError("job rejected: \(rejection)") }
        return self.events.accepted[token]!
    }

    func checkProblems() throws {
        if !self.events.problems.isEmpty { throw BenchError(self.events.problems.joined(separator: "; ")) }
    }

    // MARK: - Cancel, Swift handlers

    /// CANCEL-JOB to (a) every handler having observed the cancellation, and to CANCEL-REPLY.
    func cancelSwift() throws -> String {
        let workers = self.options.int("workers", 4)
        let capacity = self.options.int("capacity", 250)
        let counts = self.options.ints("counts", [1, 100, 1000])
        let trials = self.options.ints("trials", [50, 20, 10])
        let warmup = self.options.int("warmup", 2)
        guard counts.count == trials.count, counts.max()! <= workers * capacity else {
            fail("--counts and --trials must pair up, within --workers x --capacity")
        }
        try self.startCancelCoordinator()
        _ = try self.startBenchWorkers(
            (1 ... workers).map { ("cancel-w\($0)", capacity, "hold") },
            group: "cancel",
            essential: true
        )
        var fields: [(String, String)] = [
            ("mode", "\"cancel\""), ("handlers", "\"swift\""), ("workers", "\(workers)"),
            ("capacity_each", "\(capacity)"), ("warmup", "\(warmup)"),
            ("liveness", "\"\(self.options.string("liveness", "10s"))\""),
            ("counts", "[\(counts.map(String.init).joined(separator: ","))]"),
        ]
        let samplesPath = "\(self.logs)/cancel-swift.samples"
        Stats.append(
            "# in_flight trial observed_last_us delivered_last_us observed_first_us cancel_reply_us job_finished_us first_job_results_us\n",
            to: samplesPath
        )
        for (count, trialCount) in zip(counts, trials) {
            var observed: [Double] = []
            var delivered: [Double] = []
            var firstObserved: [Double] = []
            var replies: [Double] = []
            var finished: [Double] = []
            var firstResults: [Double] = []
            for trial in 0 ..< (warmup + trialCount) {
                let job = try self.submitWire(count: count, kind: "hold", group: "cancel")
                try self.harness.wait("\(count) handlers running (job \(job))") {
                    (self.events.starts[job]?.count ?? 0) >= count
                }
                let cancelToken = self.nextToken()
                let t0 = bench_now_ns()
                self.harness.wire!.send(
                    .cancelJob(CancelJob(token: cancelToken, job: JobID(job), reason: "bench: cancel latency"))
                )
                try self.harness.wait("job \(job)'s cancellation (\(count) handlers, CANCEL-REPLY, JOB-FINISHED)") {
                    (self.events.observed[job]?.count ?? 0) >= count && self.events.cancelReplies[cancelToken] != nil
                        && self.events.finished[job] != nil
                }
                try self.checkProblems()
                let seen = self.events.observed[job]!
                let (replyAt, reply) = self.events.cancelReplies[cancelToken]!
                let (finishedAt, summary) = self.events.finished[job]!
                guard seen.count == count, Set(seen.map(\.index)).count == count else {
                    throw BenchError("job \(job): \(seen.count) cancellations observed for \(count) subtasks")
                }
                guard reply.found, reply.cancelled == count, summary.cancelled == count else {
                    throw BenchError(
                        "job \(job): CANCEL-REPLY \(reply), JOB-FINISHED \(summary); expected \(count) cancelled"
                    )
                }
                if trial >= warmup {
                    let sample = (
                        microseconds(from: t0, to: seen.map(\.observed).max()!),
                        microseconds(from: t0, to: seen.map(\.delivered).max()!),
                        microseconds(from: t0, to: seen.map(\.observed).min()!), microseconds(from: t0, to: replyAt),
                        microseconds(from: t0, to: finishedAt),
                        microseconds(from: t0, to: self.events.firstResults[job] ?? finishedAt)
                    )
                    observed.append(sample.0)
                    delivered.append(sample.1)
                    firstObserved.append(sample.2)
                    replies.append(sample.3)
                    finished.append(sample.4)
                    firstResults.append(sample.5)
                    Stats.append(
                        String(
                            format: "%d %d %.1f %.1f %.1f %.1f %.1f %.1f\n",
                            count,
                            trial - warmup + 1,
                            sample.0,
                            sample.1,
                            sample.2,
                            sample.3,
                            sample.4,
                            sample.5
                        ),
                        to: samplesPath
                    )
                }
                self.events.forget(job: job)
                self.events.cancelReplies[cancelToken] = nil
            }
            fields.append(("n\(count)_trials", "\(trialCount)"))
            fields += Stats.summary(observed, prefix: "n\(count)_observed")
            fields += Stats.summary(delivered, prefix: "n\(count)_delivered")
            fields += Stats.summary(firstObserved, prefix: "n\(count)_first_observed")
            fields += Stats.summary(replies, prefix: "n\(count)_reply")
            fields += Stats.summary(finished, prefix: "n\(count)_finished")
            fields += Stats.summary(firstResults, prefix: "n\(count)_first_results")
        }
        return Stats.object(fields)
    }

    // MARK: - Cancel, exec children

    /// CANCEL-JOB to (b) every exec child process having exited (pidfds), and to CANCEL-REPLY.
    func cancelExec() throws -> String {
        let workers = self.options.int("workers", 4)
        let capacity = self.options.int("capacity", 250)
        let counts = self.options.ints("counts", [1, 100, 1000])
        let trials = self.options.ints("trials", [20, 10, 5])
        let warmup = self.options.int("warmup", 1)
        guard counts.count == trials.count, counts.max()! <= workers * capacity else {
            fail("--counts and --trials must pair up, within --workers x --capacity")
        }

        // Each child writes its pid into a FIFO that we hold open (read-write: never end of file,
        // and a writer never blocks on open), so we hear of every child as it starts.
        let fifo = "\(self.logs)/exec-pids.fifo"
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else { throw BenchError("mkfifo \(fifo): \(String(cString: strerror(errno)))") }
        let fifoFD = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fifoFD >= 0 else { throw BenchError("open \(fifo): \(String(cString: strerror(errno)))") }
        defer {
            close(fifoFD)
            unlink(fifo)
        }
        let pidLog = "\(self.logs)/exec-pids"  // bench/run kills whatever of these is left, too
        // Each child's pid, and a pidfd opened as soon as the pid arrives (registered with BenchC,
        // so that a child still running is killed however the harness ends).
        var newPids: [(pid: pid_t, pidfd: Int32)] = []
        var partial: [UInt8] = []
        var openFailures: [String] = []
        self.harness.watched[fifoFD] = { _ in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(fifoFD, &buffer, buffer.count)
                guard count > 0 else { break }
                partial.append(contentsOf: buffer[0 ..< count])
            }
            var pids: [pid_t] = []
            while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                if let pid = pid_t(String(decoding: partial[..<newline], as: UTF8.self)) { pids.append(pid) }
                partial.removeSubrange(...newline)
            }
            for pid in pids {
                let pidfd = bench_pidfd_open(pid)
                if pidfd < 0 {
                    openFailures.append(
                        "pidfd_open(\(pid)): \(String(cString: strerror(errno))) (an exec child ended early?)"
                    )
                    continue
                }
                bench_track_pidfd(pidfd)
                newPids.append((pid, pidfd))
            }
            if !pids.isEmpty { Stats.append(pids.map { "\($0)\n" }.joined(), to: pidLog) }
        }

        try self.startCancelCoordinator()
        var registered = 0
        for index in 1 ... workers {
            let child = try self.harness.spawn(
                "exec-w\(index)",
                self.herd,
                [
                    "worker", "--connect", self.endpoint, "--group", "exec", "--capacity", String(capacity), "--id",
                    "exec-w\(index)",
                    "--exec", "long=echo $$ >> \(fifo); exec sleep 600",
                ]
            )
            self.harness.essential.insert(child.pid)
            child.onLine = { line, _ in if line.contains("registered") { registered += 1 } }
        }
        try self.harness.wait("\(workers) herd workers to register", timeout: 30) { registered == workers }

        var fields: [(String, String)] = [
            ("mode", "\"exec-cancel\""), ("workers", "\(workers)"), ("capacity_each", "\(capacity)"),
            ("warmup", "\(warmup)"),
            ("liveness", "\"\(self.options.string("liveness", "10s"))\""),
            ("counts", "[\(counts.map(String.init).joined(separator: ","))]"),
        ]
        let samplesPath = "\(self.logs)/cancel-exec.samples"
        Stats.append(
            "# in_flight trial children_exited_last_us children_exited_first_us cancel_reply_us job_finished_us\n",
            to: samplesPath
        )
        for (count, trialCount) in zip(counts, trials) {
            var exitedLast: [Double] = []
            var exitedFirst: [Double] = []
            var replies: [Double] = []
            var finished: [Double] = []
            for trial in 0 ..< (warmup + trialCount) {
                newPids.removeAll()
                let job = try self.submitWire(count: count, kind: "long", group: "exec")
                try self.harness.wait("\(count) exec children to start (job \(job))") {
                    newPids.count + openFailures.count >= count
                }
                if !openFailures.isEmpty { throw BenchError(openFailures.joined(separator: "; ")) }
                guard newPids.count == count else {
                    throw BenchError("job \(job): \(newPids.count) children for \(count) subtasks")
                }
                var exits: [UInt64] = []
                for (_, pidfd) in newPids {
                    self.harness.watched[pidfd] = { [unowned harness] at in
                        exits.append(at)
                        bench_untrack_pidfd(pidfd)
                        close(pidfd)
                        harness.watched[pidfd] = nil
                    }
                }
                let cancelToken = self.nextToken()
                let t0 = bench_now_ns()
                self.harness.wire!.send(
                    .cancelJob(CancelJob(token: cancelToken, job: JobID(job), reason: "bench: cancel latency"))
                )
                try self.harness.wait("job \(job)'s \(count) children to exit, CANCEL-REPLY and JOB-FINISHED") {
                    exits.count == count && self.events.cancelReplies[cancelToken] != nil
                        && self.events.finished[job] != nil
                }
                try self.checkProblems()
                let (replyAt, reply) = self.events.cancelReplies[cancelToken]!
                let (finishedAt, summary) = self.events.finished[job]!
                guard reply.found, reply.cancelled == count, summary.cancelled == count else {
                    throw BenchError(
                        "job \(job): CANCEL-REPLY \(reply), JOB-FINISHED \(summary); expected \(count) cancelled"
                    )
                }
                if trial >= warmup {
                    let sample = (
                        microseconds(from: t0, to: exits.max()!), microseconds(from: t0, to: exits.min()!),
                        microseconds(from: t0, to: replyAt),
                        microseconds(from: t0, to: finishedAt)
                    )
                    exitedLast.append(sample.0)
                    exitedFirst.append(sample.1)
                    replies.append(sample.2)
                    finished.append(sample.3)
                    Stats.append(
                        String(
                            format: "%d %d %.1f %.1f %.1f %.1f\n",
                            count,
                            trial - warmup + 1,
                            sample.0,
                            sample.1,
                            sample.2,
                            sample.3
                        ),
                        to: samplesPath
                    )
                }
                self.events.forget(job: job)
                self.events.cancelReplies[cancelToken] = nil
            }
            fields.append(("n\(count)_trials", "\(trialCount)"))
            fields += Stats.summary(exitedLast, prefix: "n\(count)_exited")
            fields += Stats.summary(exitedFirst, prefix: "n\(count)_first_exited")
            fields += Stats.summary(replies, prefix: "n\(count)_reply")
            fields += Stats.summary(finished, prefix: "n\(count)_finished")
        }
        self.harness.watched[fifoFD] = nil
        return Stats.object(fields)
    }

    // MARK: - Drain and failover

    /// A worker A holds N subtasks of a job submitted with `herd submit --json`; a worker B with
    /// room for all of them registers; then A is drained (DRAIN-REQUEST, as `herd drain --worker A
    /// --grace G` sends) or killed with SIGKILL. Measured from that instant: B's restarts of the
    /// subtasks (its handlers' start reports, attempt ≥ 2), A's exit, the DRAIN-REPLY, and the
    /// arrival of the results at `herd submit`, whose output gives the lost and duplicated counts.
    func moveWork(failover: Bool) throws -> String {
        let counts = self.options.ints("counts", failover ? [100, 500] : [10, 100, 500])
        let trials = self.options.int("trials", 5)
        let graceMs = self.options.int("grace-ms", 0)
        let heartbeat = self.options.string("heartbeat", "250ms")
        let liveness = self.options.string("liveness", "1s")
        // failover --how stop: SIGSTOP instead of SIGKILL, a worker that hangs with its connection
        // open (or is cut off): only the coordinator's liveness window can find it.
        let stall = failover && self.options.string("how", "kill") == "stop"
        let group = self.mode
        try self.startCoordinator(config: try self.writeConfig(heartbeat: heartbeat, liveness: liveness))

        var fields: [(String, String)] = [
            ("mode", "\"\(self.mode)\""), ("trials", "\(trials)"),
            ("counts", "[\(counts.map(String.init).joined(separator: ","))]"),
            ("heartbeat", "\"\(heartbeat)\""), ("liveness", "\"\(liveness)\""),
        ]
        if !failover { fields.append(("grace_ms", "\(graceMs)")) }
        if failover { fields.append(("signal", stall ? "\"SIGSTOP\"" : "\"SIGKILL\"")) }
        let samplesPath = "\(self.logs)/\(self.mode).samples"
        Stats.append(
            "# in_flight trial first_restart_us last_restart_us worker_exit_us drain_reply_us last_result_us restarted lost duplicated not_ok\n",
            to: samplesPath
        )
        for count in counts {
            var firstRestart: [Double] = []
            var lastRestart: [Double] = []
            var workerExit: [Double] = []
            var drainReply: [Double] = []
            var lastResult: [Double] = []
            var lost = 0
            var duplicated = 0
            var notOK = 0
            var restartedTotal = 0
            for trial in 1 ... trials {
                let tag = "\(self.mode)-n\(count)-t\(trial)"
                let a = try self.startBenchWorkers([("\(tag)-a", count, "hold")], group: group, essential: false)[0]
                let submit = try self.harness.spawn(
                    "\(tag)-submit",
                    self.herd,
                    [
                        "submit", "--connect", self.endpoint, "--group", group, "--kind", "hold", "--fanout",
                        String(count), "--payload", "p{index}", "--json",
                    ]
                )
                var lines: [(text: String, at: UInt64)] = []
                submit.onLine = { line, at in lines.append((line, at)) }
                let aID = "\(tag)-a"
                var job: UInt64 = 0
                try self.harness.wait("\(count) subtasks running on \(aID)") {
                    if let (id, starts) = self.events.starts.first(where: { $0.value.contains { $0.worker == aID } }) {
                        job = id
                        return starts.count >= count
                    }
                    return false
                }
                if submit.hasExited { throw BenchError("herd submit exited early; see \(self.logs)/\(tag)-submit.err") }
                let bID = "\(tag)-b"
                let b = try self.startBenchWorkers([(bID, count, "quick")], group: group, essential: false)[0]

                let drainToken = self.nextToken()
                let t0 = bench_now_ns()
                if failover {
                    self.harness.signal(a, stall ? SIGSTOP : SIGKILL)
                } else {
                    self.harness.wire!.send(
                        .drain(DrainRequest(token: drainToken, target: .worker(aID), grace: .milliseconds(graceMs)))
                    )
                }
                try self.harness.wait("\(tag): the job to finish and \(aID) to exit") {
                    submit.isDone && (stall || a.hasExited) && (failover || self.events.drainReplies[drainToken] != nil)
                }
                if stall {
                    self.harness.signal(a, SIGKILL)
                    try self.harness.wait("\(aID) to die") { a.hasExited }
                }
                try self.checkProblems()
                if b.hasExited { throw BenchError("\(bID) exited; see \(self.logs)/\(bID).err") }

                let restarts = (self.events.starts[job] ?? []).filter { $0.worker == bID && $0.attempt >= 2 }
                var indices: [UInt32: Int] = [:]
                var resultTimes: [UInt64] = []
                var succeeded = -1
                for line in lines {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any]
                    else {
                        throw BenchError("\(tag): herd submit printed '\(line.text)'")
                    }
                    if let summary = object["summary"] as? [String: Any] {
                        succeeded = summary["succeeded"] as? Int ?? -1
                    } else if let index = object["index"] as? Int {
                        indices[UInt32(index), default: 0] += 1
                        resultTimes.append(line.at)
                        if object["status"] as? String != "ok" { notOK += 1 }
                    }
                }
                let trialLost = (0 ..< UInt32(count)).filter { indices[$0] == nil }.count
                let trialDuplicated = indices.values.reduce(0) { $0 + max(0, $1 - 1) }
                lost += trialLost
                duplicated += trialDuplicated
                restartedTotal += restarts.count
                guard succeeded >= 0 else { throw BenchError("\(tag): no summary from herd submit") }
                let sample = (
                    restarts.isEmpty ? Double.nan : microseconds(from: t0, to: restarts.map(\.at).min()!),
                    restarts.isEmpty ? Double.nan : microseconds(from: t0, to: restarts.map(\.at).max()!),
                    stall ? Double.nan : microseconds(from: t0, to: a.exitedAt!),
                    failover ? Double.nan : microseconds(from: t0, to: self.events.drainReplies[drainToken]!.at),
                    resultTimes.isEmpty ? Double.nan : microseconds(from: t0, to: resultTimes.max()!)
                )
                if !restarts.isEmpty {
                    firstRestart.append(sample.0)
                    lastRestart.append(sample.1)
                }
                if !stall { workerExit.append(sample.2) }
                if !failover { drainReply.append(sample.3) }
                if !resultTimes.isEmpty { lastResult.append(sample.4) }
                Stats.append(
                    String(
                        format: "%d %d %.1f %.1f %.1f %.1f %.1f %d %d %d %d\n",
                        count,
                        trial,
                        sample.0,
                        sample.1,
                        sample.2,
                        sample.3,
                        sample.4,
                        restarts.count,
                        trialLost,
                        trialDuplicated,
                        indices.count - Int(succeeded)
                    ),
                    to: samplesPath
                )

                // B leaves the same way (drained, nothing running), so the next trial starts clean.
                let stopToken = self.nextToken()
                self.harness.wire!.send(.drain(DrainRequest(token: stopToken, target: .worker(bID), grace: .zero)))
                try self.harness.wait("\(bID) to leave") { b.hasExited && self.events.drainReplies[stopToken] != nil }
                self.events.forget(job: job)
                self.events.drainReplies[drainToken] = nil
                self.events.drainReplies[stopToken] = nil
            }
            fields += [
                ("n\(count)_restarted", "\(restartedTotal)"), ("n\(count)_expected", "\(count * trials)"),
                ("n\(count)_lost", "\(lost)"),
                ("n\(count)_duplicated", "\(duplicated)"), ("n\(count)_not_ok", "\(notOK)"),
            ]
            fields += Stats.summary(firstRestart, prefix: "n\(count)_first_restart")
            fields += Stats.summary(lastRestart, prefix: "n\(count)_last_restart")
            fields += Stats.summary(workerExit, prefix: "n\(count)_worker_exit")
            if !failover { fields += Stats.summary(drainReply, prefix: "n\(count)_drain_reply") }
            fields += Stats.summary(lastResult, prefix: "n\(count)_last_result")
        }
        return Stats.object(fields)
    }
}
