import HerdCore

/// The readable event trace of a run: one line per step and per effect, built only when tracing
/// is on (every call site passes its text as an autoclosure).
public struct SimTrace: Sendable {
    /// Whether lines are kept.
    public let enabled: Bool
    /// The lines so far.
    public private(set) var lines: [String] = []

    init(enabled: Bool) { self.enabled = enabled }

    /// Appends a line, if tracing.
    mutating func add(_ line: @autoclosure () -> String) {
        if self.enabled { self.lines.append(line()) }
    }

    /// `t=1.234567s`: virtual time with microsecond resolution.
    public static func time(_ instant: Instant) -> String {
        let micros = instant.nanoseconds / 1000
        let fraction = String(micros % 1_000_000)
        return "t=\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)s"
    }

    /// `250ms`, `1.5s`: a duration for a trace line.
    public static func duration(_ duration: Duration) -> String {
        let ms = duration.nanosecondsClamped / 1_000_000
        return ms >= 1000 && ms % 100 == 0 ? "\(Double(ms) / 1000)s" : "\(ms)ms"
    }

    /// A compact description of a message: its command and what matters for following a run.
    public static func describe(_ message: Message) -> String {
        switch message {
        case .register(let registration):
            let holding =
                registration.holding.isEmpty
                ? "" : " holding \(registration.holding.map(\.description).joined(separator: ","))"
            return "REGISTER \(registration.workerID) \(registration.group) cap \(registration.capacity)\(holding)"
        case .results(let results):
            return "RESULTS ["
                + results.map { "\($0.attempt) \(Self.describe($0.outcome))\($0.usage > 0 ? " u\($0.usage)" : "")" }
                .joined(separator: ", ") + "]"
        case .cancelled(let attempts):
            return "CANCELLED [" + attempts.map(\.description).joined(separator: ", ") + "]"
        case .partial(let partial):
            return "PARTIAL \(partial.attempt)\(partial.worker.isEmpty ? "" : "@\(partial.worker)") u\(partial.usage)"
        case .welcome(let welcome):
            return "WELCOME \(welcome.coordinatorID)"
        case .dispatch(let assignments):
            return "DISPATCH ["
                + assignments.map { "\($0.attempt)\($0.deadline.map { " dl " + Self.duration($0) } ?? "")" }.joined(
                    separator: ", "
                ) + "]"
        case .cancel(let attempts):
            return "CANCEL [" + attempts.map(\.description).joined(separator: ", ") + "]"
        case .submit(let submission):
            var text =
                "SUBMIT tok \(submission.token) \(submission.group) x\(submission.payloads.count) \(submission.policy)"
            if let timeout = submission.timeout { text += " timeout \(Self.duration(timeout))" }
            if let budget = submission.budget { text += " budget \(budget)" }
            if let parent = submission.parent { text += " parent \(parent)" }
            return text
        case .cancelJob(let request):
            return "CANCEL-JOB \(request.job) (\(request.reason))"
        case .accepted(let accepted):
            return "ACCEPTED tok \(accepted.token) -> \(accepted.job) x\(accepted.subtasks)"
        case .rejected(let rejection):
            return "REJECTED tok \(rejection.token): \(rejection.failure)"
        case .jobResults(let results):
            return "JOB-RESULTS ["
                + results.map {
                    "\($0.subtask) \(Self.describe($0.outcome)) (\($0.attempts) att\($0.worker.isEmpty ? "" : " @\($0.worker)"))"
                }.joined(separator: ", ") + "]"
        case .jobFinished(let summary):
            var text =
                "JOB-FINISHED \(summary.job) \(summary.succeeded)ok/\(summary.failed)failed/\(summary.cancelled)cancelled u\(summary.usage)"
            if let reason = summary.reason { text += " (\(reason))" }
            return text
        case .cancelReply(let reply):
            return "CANCEL-REPLY \(reply.job) found \(reply.found) cancelled \(reply.cancelled)"
        case .error(let error):
            return "ERROR \(error)"
        case .breaker(let command):
            return "BREAKER \(command.action) \(command.path)"
        case .breakerReply(let reply):
            return "BREAKER-REPLY \(reply.ok ? "ok" : "refused"): \(reply.message)"
        case .drainWorker(let order):
            return "DRAIN-WORKER grace \(Self.duration(order.grace))"
        default:
            return message.commandName
        }
    }

    /// `ok "…"` or the failure's category and message.
    public static func describe(_ outcome: Outcome) -> String {
        switch outcome {
        case .success(let bytes): "ok \"\(String(decoding: bytes.prefix(48), as: UTF8.self))\""
        case .failure(let failure): "\(failure.category) \"\(failure.message.prefix(60))\""
        }
    }
}
