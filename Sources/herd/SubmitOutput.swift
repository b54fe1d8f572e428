import Foundation
import HerdCore
import HerdRuntime

/// How `herd submit` shows a job: result lines (or JSON objects), a progress bar on a terminal,
/// and a summary that lists every failure grouped by category.
final class SubmitOutput {
    private let json: Bool
    private let quiet: Bool
    private let total: Int
    private let started = ContinuousClock.now
    private let progressOnTerminal = isatty(STDERR_FILENO) == 1
    private var lastProgress = ContinuousClock.now
    private var job: JobID?
    private(set) var summary = JobSummaryReport()
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    init(json: Bool, quiet: Bool, total: Int) {
        self.json = json
        self.quiet = quiet
        self.total = total
    }

    func handle(_ update: JobUpdate) {
        switch update {
        case .accepted(let accepted):
            self.job = accepted.job
            if self.json, !self.quiet {
                // First, so that a script can cancel or inspect the job while it runs.
                let body = JSONAccepted.Body(job: accepted.job.rawValue, subtasks: accepted.subtasks)
                let line = (try? self.encoder.encode(JSONAccepted(accepted: body))) ?? Data()
                FileHandle.standardOutput.write(line + Data("\n".utf8))
            } else if !self.quiet {
                self.err("job \(accepted.job) accepted: \(accepted.subtasks) subtasks")
            }
        case .results(let results):
            var out: [UInt8] = []
            if !self.quiet { out.reserveCapacity(results.count * 128) }
            for result in results {
                self.summary.add(result)
                if self.quiet { continue }
                if self.json, case .success(let output) = result.outcome {
                    JSONResultLine.appendSuccess(result, output: output, to: &out)
                } else {
                    out.append(contentsOf: (self.json ? self.jsonLine(result) : self.textLine(result)).utf8)
                }
                out.append(UInt8(ascii: "\n"))
            }
            self.finishProgress()
            if !out.isEmpty { FileHandle.standardOutput.write(Data(out)) }
            self.showProgress()
        case .notice(let message):
            self.finishProgress()
            self.err("herd: \(message)")
        case .partial(let partial):
            guard !self.quiet else { return }
            self.finishProgress()
            let line: String
            if self.json {
                let body = JSONPartial.Body(
                    job: partial.attempt.subtask.job.rawValue,
                    index: partial.attempt.subtask.index,
                    attempt: partial.attempt.attempt,
                    worker: partial.worker,
                    output: String(decoding: partial.data, as: UTF8.self),
                    usage: partial.usage
                )
                line = String(decoding: (try? self.encoder.encode(JSONPartial(partial: body))) ?? Data(), as: UTF8.self)
            } else {
                line =
                    "[\(partial.attempt.subtask.index)] … \(String(decoding: partial.data, as: UTF8.self).trimmingCharacters(in: .newlines))"
            }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        case .finished(let summary):
            self.finishProgress()
            let elapsed = self.started.duration(to: .now)
            if self.json {
                FileHandle.standardOutput.write(Data((self.jsonSummary(summary, elapsed: elapsed) + "\n").utf8))
            } else {
                var text = self.summary.text(job: summary.job, elapsed: elapsed)
                if let reason = summary.reason { text += "ended early: \(reason)\n" }
                if summary.usage > 0 { text += "usage: \(summary.usage) units\n" }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    // MARK: - Text

    private func textLine(_ result: JobResult) -> String {
        let index = result.subtask.index
        let retries = result.attempts > 1 ? " (attempt \(result.attempts))" : ""
        switch result.outcome {
        case .success(let output):
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .newlines)
            let fallback = result.fallback.map { " (fallback: \($0))" } ?? ""
            return "[\(index)] ok \(result.worker)\(retries)\(fallback): \(text)"
        case .failure(let failure) where failure.category == .cancelled:
            return "[\(index)] cancelled\(retries): \(failure.message)"
        case .failure(let failure):
            return "[\(index)] error \(failure.category)\(retries) \(result.worker): \(failure.message)"
        }
    }

    private func showProgress() {
        guard self.progressOnTerminal, !self.json else { return }
        let now = ContinuousClock.now
        guard self.lastProgress.duration(to: now) > .milliseconds(100) || self.summary.count == self.total else {
            return
        }
        self.lastProgress = now
        let width = 30
        let done = self.total == 0 ? width : width * self.summary.count / self.total
        let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
        self.err(
            "\r[\(bar)] \(self.summary.count)/\(self.total) ok \(self.summary.succeeded) failed \(self.summary.failed) cancelled \(self.summary.cancelled)",
            newline: false
        )
        self.progressShown = true
    }

    private var progressShown = false

    /// Clears the progress line before other output.
    func finishProgress() {
        guard self.progressShown else { return }
        self.progressShown = false
        self.err("\r\u{1B}[2K", newline: false)
    }

    private func err(_ text: String, newline: Bool = true) {
        FileHandle.standardError.write(Data((newline ? text + "\n" : text).utf8))
    }

    // MARK: - JSON

    private struct JSONResult: Encodable {
        struct JSONError: Encodable {
            var category: String
            var message: String
            var retryAfterMs: Int64?
            /// The earlier failures that led to this one, oldest first (omitted when none).
            var causes: [JSONError]?
            enum CodingKeys: String, CodingKey { case category, message, retryAfterMs = "retry_after_ms", causes }

            init(category: String, message: String, retryAfterMs: Int64?, causes: [JSONError]? = nil) {
                self.category = category
                self.message = message
                self.retryAfterMs = retryAfterMs
                self.causes = causes
            }

            init(_ failure: Failure) {
                self.init(
                    category: failure.category.name,
                    message: failure.message,
                    retryAfterMs: failure.retryAfter.map { $0.nanosecondsClamped / 1_000_000 },
                    causes: failure.causes.isEmpty ? nil : failure.causes.map(JSONError.init)
                )
            }
        }
        var job: UInt64
        var index: UInt32
        var status: String
        var output: String?
        var error: JSONError?
        var worker: String
        var attempts: UInt32
        var fallback: String?
    }

    /// `{"accepted":{"job":N,"subtasks":M}}`, the first line of `--json` output.
    private struct JSONAccepted: Encodable {
        struct Body: Encodable {
            var job: UInt64
            var subtasks: UInt32
        }
        var accepted: Body
    }

    private struct JSONPartial: Encodable {
        struct Body: Encodable {
            var job: UInt64
            var index: UInt32
            var attempt: UInt32
            var worker: String
            var output: String
            var usage: UInt64
        }
        var partial: Body
    }

    private struct JSONSummary: Encodable {
        struct Body: Encodable {
            var job: UInt64
            var total: Int
            var succeeded: UInt32
            var failed: UInt32
            var cancelled: UInt32
            var elapsedMs: Int64
            var failuresByCategory: [String: Int]
            var usage: UInt64
            var reason: JSONResult.JSONError?
            enum CodingKeys: String, CodingKey {
                case job, total, succeeded, failed, cancelled, usage, reason
                case elapsedMs = "elapsed_ms"
                case failuresByCategory = "failures_by_category"
            }
        }
        var summary: Body
    }

    /// The `JSONEncoder` form of a result's line (failures; and the reference for ``JSONResultLine``).
    func jsonLine(_ result: JobResult) -> String {
        var line = JSONResult(
            job: result.subtask.job.rawValue,
            index: result.subtask.index,
            status: "ok",
            worker: result.worker,
            attempts: result.attempts,
            fallback: result.fallback?.wireName
        )
        switch result.outcome {
        case .success(let output):
            line.output = String(decoding: output, as: UTF8.self)
        case .failure(let failure):
            line.status = failure.category == .cancelled ? "cancelled" : "error"
            line.error = .init(failure)
        }
        return String(decoding: (try? self.encoder.encode(line)) ?? Data(), as: UTF8.self)
    }

    private func jsonSummary(_ summary: JobSummary, elapsed: Duration) -> String {
        let body = JSONSummary.Body(
            job: summary.job.rawValue,
            total: self.total,
            succeeded: summary.succeeded,
            failed: summary.failed,
            cancelled: summary.cancelled,
            elapsedMs: elapsed.nanosecondsClamped / 1_000_000,
            failuresByCategory: self.summary.failures.mapValues(\.count).reduce(into: [:]) {
                $0[$1.key.name] = $1.value
            },
            usage: summary.usage,
            reason: summary.reason.map { .init(category: $0.category.name, message: $0.message, retryAfterMs: nil) }
        )
        return String(decoding: (try? self.encoder.encode(JSONSummary(summary: body))) ?? Data(), as: UTF8.self)
    }
}

/// Counts and failures of a job, grouped by category (every failure kept, not just the first).
struct JobSummaryReport {
    var succeeded = 0
    var failed = 0
    var cancelled = 0
    var failures: [ErrorCategory: [JobResult]] = [:]
    /// Results served by a fallback (a group, the last good results, the static value), by source.
    var fallbacks: [FallbackSource: Int] = [:]

    var count: Int { self.succeeded + self.failed + self.cancelled }
    var allSucceeded: Bool { self.failed == 0 && self.cancelled == 0 }

    mutating func add(_ result: JobResult) {
        if let fallback = result.fallback { self.fallbacks[fallback, default: 0] += 1 }
        switch result.outcome {
        case .success: self.succeeded += 1
        case .failure(let failure):
            if failure.category == .cancelled { self.cancelled += 1 } else { self.failed += 1 }
            self.failures[failure.category, default: []].append(result)
        }
    }

    func text(job: JobID, elapsed: Duration) -> String {
        let seconds = Double(elapsed.nanosecondsClamped) / 1e9
        let rate = seconds > 0 ? Double(self.count) / seconds : 0
        var text = String(
            format: "job %@: %d subtasks, %d ok, %d failed, %d cancelled in %.2f s (%.0f/s)\n",
            job.description,
            self.count,
            self.succeeded,
            self.failed,
            self.cancelled,
            seconds,
            rate
        )
        for (source, count) in self.fallbacks.sorted(by: { $0.key.wireName < $1.key.wireName }) {
            switch source {
            case .lastGood: text += "  \(count) served from the group's last good results (its breaker was open)\n"
            case .staticValue: text += "  \(count) served with the group's fallback value (its breaker was open)\n"
            case .group(let group): text += "  \(count) served by fallback group \(group)\n"
            }
        }
        guard !self.failures.isEmpty else { return text }
        text += "failures by category:\n"
        for category in self.failures.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let results = self.failures[category]!.sorted { $0.subtask.index < $1.subtask.index }
            text += "  \(category) (\(results.count)):\n"
            for result in results {
                guard case .failure(let failure) = result.outcome else { continue }
                let worker = result.worker.isEmpty ? "" : " on \(result.worker)"
                text += "    [\(result.subtask.index)]\(worker), attempts \(result.attempts): \(failure.message)\n"
                for (number, cause) in failure.causes.enumerated() {
                    text += "      attempt \(number + 1): \(cause)\n"
                }
            }
        }
        return text
    }
}
