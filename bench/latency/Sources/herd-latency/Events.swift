import Foundation
import HerdCore

/// `--key value` options of the multi-process modes.
struct Options {
    private var values: [String: String] = [:]

    init(_ arguments: [String]) {
        var index = 0
        while index < arguments.count {
            let key = arguments[index]
            guard key.hasPrefix("--"), index + 1 < arguments.count else { fail("expected --KEY VALUE, got '\(key)'") }
            self.values[String(key.dropFirst(2))] = arguments[index + 1]
            index += 2
        }
    }

    func string(_ key: String, _ fallback: String? = nil) -> String {
        guard let value = self.values[key] ?? fallback else { fail("--\(key) is required") }
        return value
    }

    func int(_ key: String, _ fallback: Int) -> Int {
        guard let text = self.values[key] else { return fallback }
        guard let value = Int(text) else { fail("--\(key) must be an integer, got '\(text)'") }
        return value
    }

    func ints(_ key: String, _ fallback: [Int]) -> [Int] {
        guard let text = self.values[key] else { return fallback }
        let values = text.split(separator: ",").compactMap { Int($0) }
        guard !values.isEmpty, values.count == text.split(separator: ",").count else {
            fail("--\(key) must be integers separated by commas, got '\(text)'")
        }
        return values
    }
}

/// Everything the harness hears: the coordinator's replies on its DEALER, and the reports of the
/// `herd-latency worker` processes (stamped in those processes with CLOCK_MONOTONIC).
final class Events {
    struct Start {
        var index: UInt32
        var attempt: UInt32
        var at: UInt64
        var worker: String
    }

    struct Observed {
        var index: UInt32
        var attempt: UInt32
        /// When the handler's task was cancelled (its cancellation handler ran, on the worker's loop thread).
        var delivered: UInt64
        /// When the handler's own code resumed with the CancellationError.
        var observed: UInt64
        var worker: String
    }

    var ready: Set<String> = []
    var starts: [UInt64: [Start]] = [:]
    var observed: [UInt64: [Observed]] = [:]
    var accepted: [UInt64: UInt64] = [:]
    var rejected: [UInt64: String] = [:]
    var cancelReplies: [UInt64: (at: UInt64, reply: CancelReply)] = [:]
    var drainReplies: [UInt64: (at: UInt64, report: DrainReport)] = [:]
    var finished: [UInt64: (at: UInt64, summary: JobSummary)] = [:]
    /// When the first JOB-RESULTS of each job arrived.
    var firstResults: [UInt64: UInt64] = [:]
    var problems: [String] = []
    /// Messages the harness must answer at once (HEARTBEAT: the coordinator abandons the jobs of a
    /// client silent for its client-liveness window).
    var reply: (Message) -> Void = { _ in }

    func workerLine(_ line: String, worker: String) {
        let fields = line.split(separator: " ")
        switch fields.first {
        case "ready":
            self.ready.insert(worker)
        case "S" where fields.count == 5:
            guard let job = UInt64(fields[1]), let index = UInt32(fields[2]), let attempt = UInt32(fields[3]),
                let at = UInt64(fields[4])
            else { break }
            self.starts[job, default: []].append(Start(index: index, attempt: attempt, at: at, worker: worker))
            return
        case "C" where fields.count == 6:
            guard let job = UInt64(fields[1]), let index = UInt32(fields[2]), let attempt = UInt32(fields[3]),
                let delivered = UInt64(fields[4]),
                let observed = UInt64(fields[5])
            else { break }
            self.observed[job, default: []].append(
                Observed(index: index, attempt: attempt, delivered: delivered, observed: observed, worker: worker)
            )
            return
        default:
            break
        }
        if fields.first != "ready" { self.problems.append("\(worker): unexpected report '\(line)'") }
    }

    func message(_ message: Message, at: UInt64) {
        switch message {
        case .accepted(let accepted): self.accepted[accepted.token] = accepted.job.rawValue
        case .rejected(let rejection): self.rejected[rejection.token] = "\(rejection.failure)"
        case .cancelReply(let reply): self.cancelReplies[reply.token] = (at, reply)
        case .drainReply(let report): self.drainReplies[report.token] = (at, report)
        case .jobFinished(let summary): self.finished[summary.job.rawValue] = (at, summary)
        case .jobResults(let results):
            for job in Set(results.map(\.subtask.job.rawValue)) where self.firstResults[job] == nil {
                self.firstResults[job] = at
            }
        case .heartbeat: self.reply(.heartbeat)
        case .error(let error): self.problems.append("coordinator error: \(error)")
        default: break  // JOB-RESULTS, JOB-NOTICE
        }
    }

    /// Forgets a job's records (after its trial).
    func forget(job: UInt64) {
        self.starts[job] = nil
        self.observed[job] = nil
        self.finished[job] = nil
        self.firstResults[job] = nil
    }
}
