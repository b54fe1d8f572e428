import Foundation
import HerdConfig
import HerdCore

/// The kinds every worker runs without configuration.
public enum BuiltinHandlers {
    /// `echo`: returns its payload.
    public static let echo: SubtaskHandler = { context in context.payload }

    /// `sleep`: waits `payload` milliseconds (honours cancellation), returns "slept N ms".
    public static let sleep: SubtaskHandler = { context in
        guard let ms = UInt64(context.payloadText.trimmingWhitespace()) else {
            throw Failure(.validation, "sleep expects a number of milliseconds, got '\(context.payloadText)'")
        }
        try await Task.sleep(for: .milliseconds(ms))
        return Array("slept \(ms) ms".utf8)
    }

    /// `fail`: fails with the category named by its payload (`transient`, `rate-limited`, ...).
    public static let fail: SubtaskHandler = { context in
        let name = context.payloadText.trimmingWhitespace()
        guard let category = ErrorCategory(name: name) else {
            let names = ErrorCategory.allCases.map(\.name).joined(separator: ", ")
            throw Failure(.validation, "fail expects a category name (\(names)), got '\(name)'")
        }
        throw Failure(category, "failed on request (\(name))")
    }

    /// `stream`: payload `N` or `N:MS`; emits N partial outputs ("token i"), one every MS
    /// milliseconds (default 10), each reporting 1 unit of usage, like an LLM streaming tokens.
    /// Honours cancellation. Returns "streamed N tokens".
    public static let stream: SubtaskHandler = { context in
        let parts = context.payloadText.trimmingWhitespace().split(separator: ":")
        guard let count = parts.first.flatMap({ Int($0) }), count >= 0,
            let interval = parts.count > 1 ? Int(parts[1]) : 10, parts.count <= 2
        else {
            throw Failure(.validation, "stream expects N or N:MS, got '\(context.payloadText)'")
        }
        for token in 0 ..< count {
            try await Task.sleep(for: .milliseconds(interval))
            context.reportUsage(1)
            await context.emit("token \(token)")
        }
        return Array("streamed \(count) tokens".utf8)
    }

    /// The payload of the `fanout` kind.
    struct FanoutRequest: Codable {
        var group: String
        var kind: String
        var count: Int
        var payload: String?
        var policy: String?
        var timeout: String?
        /// Return (successfully) as soon as the nested job has streamed this many partial outputs,
        /// without waiting for it: the coordinator then cancels the children still running, since
        /// no nested work outlives its parent. For showing and testing that rule.
        var returnAfterPartials: Int?

        enum CodingKeys: String, CodingKey {
            case group, kind, count, payload, policy, timeout
            case returnAfterPartials = "return_after_partials"
        }
    }

    /// `fanout`: a subtask that fans out a nested job and waits for it. Payload: JSON
    /// `{"group": G, "kind": K, "count": N, "payload": P, "policy": "all"}` (P may itself be a
    /// `fanout` request, making trees). Succeeds with "N ok" when every child succeeded, fails
    /// with the first failure's category otherwise. Cancelling it cancels its whole subtree.
    /// With `"return_after_partials": M` it returns "left after M partial outputs" once its
    /// children have streamed M partial outputs, leaving the coordinator to cancel the rest.
    public static let fanout: SubtaskHandler = { context in
        let request: FanoutRequest
        do { request = try JSONDecoder().decode(FanoutRequest.self, from: Data(context.payload)) } catch {
            throw Failure(.validation, "fanout expects JSON {group, kind, count, payload, policy}: \(error)")
        }
        guard let policy = FanoutPolicy(parsing: request.policy ?? "all") else {
            throw Failure(.validation, "fanout: bad policy '\(request.policy ?? "")'")
        }
        let timeout = try request.timeout.map { text -> Duration in
            do { return try parseDuration(text) } catch { throw Failure(.validation, "fanout: bad timeout: \(error)") }
        }
        let job = context.submit(
            JobSpec(
                group: request.group,
                kind: request.kind,
                template: request.payload ?? "",
                count: request.count,
                timeout: timeout,
                policy: policy
            )
        )
        var firstFailure: Failure?
        var summary: JobSummary?
        var partials = 0
        for try await update in job {
            switch update {
            case .results(let results):
                for case .failure(let failure) in results.map(\.outcome) where firstFailure == nil {
                    firstFailure = failure
                }
            case .finished(let finished):
                summary = finished
            case .partial:
                partials += 1
                if let limit = request.returnAfterPartials, partials >= limit {
                    return Array("left after \(partials) partial outputs".utf8)
                }
            case .accepted, .notice:
                break
            }
        }
        try Task.checkCancellation()
        guard let summary else { throw Failure(.unknown, "nested job ended without a summary") }
        if policy == .all, let firstFailure {
            throw Failure(
                firstFailure.category,
                "\(summary.failed + summary.cancelled) of \(request.count) children failed; first: \(firstFailure.message)"
            )
        }
        return Array("\(summary.succeeded) ok".utf8)
    }

    /// All built-ins by kind.
    public static let all: [String: SubtaskHandler] = [
        "echo": echo, "sleep": sleep, "fail": fail, "stream": stream, "fanout": fanout,
    ]
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
