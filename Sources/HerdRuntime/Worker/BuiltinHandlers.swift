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

    /// All built-ins by kind.
    public static let all: [String: SubtaskHandler] = ["echo": echo, "sleep": sleep, "fail": fail]
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
