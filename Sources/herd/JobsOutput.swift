import Foundation
import HerdCore

/// How `herd jobs` and `herd inspect` print the coordinator's ``JobDetail``s: aligned text, or
/// JSON (one object per job).
enum JobsOutput {
    /// Seconds with millisecond precision, e.g. `1.250s`.
    static func seconds(_ duration: Duration) -> String {
        String(format: "%.3fs", Double(duration.nanosecondsClamped) / 1e9)
    }

    /// `category: message` then each earlier attempt's failure, oldest first (`← caused by …`).
    static func chain(_ failure: Failure) -> String {
        var text = "\(failure.category): \(failure.message)"
        for cause in failure.causes.reversed() { text += " ← after \(cause.category): \(cause.message)" }
        return text
    }

    static func json(_ failure: Failure) -> [String: Any] {
        var object: [String: Any] = ["category": failure.category.name, "message": failure.message]
        if !failure.causes.isEmpty {
            object["causes"] = failure.causes.map { ["category": $0.category.name, "message": $0.message] }
        }
        return object
    }

    static func json(_ job: JobDetail, subtasks: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "job": "\(job.job)", "group": job.group, "kind": job.kind, "state": job.state.description,
            "total": job.total, "succeeded": job.succeeded, "failed": job.failed, "cancelled": job.cancelled,
            "age_ms": job.age.nanosecondsClamped / 1_000_000,
        ]
        if let elapsed = job.elapsed { object["elapsed_ms"] = elapsed.nanosecondsClamped / 1_000_000 }
        if let reason = job.reason { object["reason"] = Self.json(reason) }
        if subtasks {
            object["subtasks"] = job.subtasks.map { subtask -> [String: Any] in
                var entry: [String: Any] = [
                    "index": subtask.index, "state": subtask.phase.description, "attempts": subtask.attempts,
                ]
                if !subtask.worker.isEmpty { entry["worker"] = subtask.worker }
                if let elapsed = subtask.elapsed { entry["elapsed_ms"] = elapsed.nanosecondsClamped / 1_000_000 }
                if let failure = subtask.failure { entry["failure"] = Self.json(failure) }
                return entry
            }
        }
        return object
    }

    static func jsonLine(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// One line per job: id, state, group/kind, progress, counts, age.
    static func table(_ jobs: [JobDetail]) -> [String] {
        var lines = ["JOB       STATE     GROUP/KIND            DONE          OK  FAILED  CANCELLED  TIME"]
        for job in jobs {
            let done = "\(job.succeeded + job.failed + job.cancelled)/\(job.total)"
            let time = Self.seconds(job.elapsed ?? job.age)
            lines.append(
                Self.pad("\(job.job)", 10) + Self.pad(job.state.description, 10)
                    + Self.pad("\(job.group)/\(job.kind)", 22)
                    + Self.pad(done, 12) + Self.pad("\(job.succeeded)", 4, right: true)
                    + Self.pad("\(job.failed)", 8, right: true) + Self.pad("\(job.cancelled)", 11, right: true) + "  "
                    + time + (job.reason.map { "  (\($0.category): \($0.message))" } ?? "")
            )
        }
        return lines
    }

    /// A job's header and one line per listed subtask.
    static func inspect(_ job: JobDetail) -> [String] {
        var lines = [
            "job \(job.job): \(job.state) · group \(job.group) · kind \(job.kind) · \(job.total) subtasks: "
                + "\(job.succeeded) ok, \(job.failed) failed, \(job.cancelled) cancelled"
                + " · \(job.elapsed.map { "took \(Self.seconds($0))" } ?? "running for \(Self.seconds(job.age))")"
        ]
        if let reason = job.reason { lines.append("ended early: \(Self.chain(reason))") }
        if job.subtasks.isEmpty { return lines }
        lines.append("INDEX  STATE       ATTEMPTS  WORKER                TIME      FAILURE")
        for subtask in job.subtasks {
            lines.append(
                Self.pad("\(subtask.index)", 7) + Self.pad(subtask.phase.description, 12)
                    + Self.pad("\(subtask.attempts)", 10) + Self.pad(subtask.worker.isEmpty ? "-" : subtask.worker, 22)
                    + Self.pad(subtask.elapsed.map(Self.seconds) ?? "-", 10) + (subtask.failure.map(Self.chain) ?? "")
            )
        }
        lines = lines.map { $0.hasSuffix(" ") ? String($0.reversed().drop { $0 == " " }.reversed()) : $0 }
        let listed = job.subtasks.count
        if job.total > JobDetail.maxListedSuccesses, UInt32(listed) < job.total {
            lines.append(
                "(\(Int(job.total) - listed) successes not listed: jobs over \(JobDetail.maxListedSuccesses) subtasks list only the rest)"
            )
        }
        return lines
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.count
        guard count < width else { return text + " " }
        let padding = String(repeating: " ", count: width - count)
        return right ? padding + text : text + padding
    }
}
