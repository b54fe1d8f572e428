/// Splits an exec child's stderr into lines and reads the `herd:` directives among them.
///
/// Lines end at `\n` (a trailing `\r` is dropped). A line longer than ``maximumLineBytes`` is cut
/// there and the rest starts a new line, so a child that never prints a newline cannot make the
/// worker buffer without bound. Bytes that are not UTF-8 are replaced (U+FFFD).
///
/// Directives (docs/EXEC.md), one per line, surrounding spaces ignored:
///
/// | line                        | effect                                                        |
/// |-----------------------------|---------------------------------------------------------------|
/// | `herd: retry-after=SECONDS` | ``retryAfter`` (decimal seconds, ≥ 0, capped at 1 day; last one wins) |
/// | `herd: usage=N`             | adds N (an unsigned integer) to ``usage``, saturating         |
///
/// A directive with a malformed value is reported as ``Line/malformedDirective(_:)`` and otherwise
/// ignored. Any other line — including `herd: something-else` — is an ordinary ``Line/text(_:)``
/// line, and the last non-blank one becomes ``lastLine``, the failure message.
struct ExecStderr {
    /// One line, classified.
    enum Line: Equatable {
        /// An ordinary line, to log.
        case text(String)
        /// A directive that was applied.
        case directive(String)
        /// A `herd: retry-after=` or `herd: usage=` line whose value could not be read.
        case malformedDirective(String)
    }

    /// The longest line kept whole, in bytes.
    static let maximumLineBytes = 16 * 1024
    /// The longest failure message, in UTF-8 bytes.
    static let maximumMessageBytes = 512
    /// The largest retry-after a child can ask for.
    static let maximumRetryAfter = Duration.seconds(86_400)

    /// The last non-blank ordinary line, trimmed and cut to ``maximumMessageBytes``.
    private(set) var lastLine: String?
    /// The last valid `retry-after` directive.
    private(set) var retryAfter: Duration?
    /// The sum of the `usage` directives.
    private(set) var usage: UInt64 = 0

    private var pending: [UInt8] = []

    /// Feeds bytes read from the pipe; returns the lines they complete.
    mutating func feed(_ bytes: some Collection<UInt8>) -> [Line] {
        var lines: [Line] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(self.takeLine())
            } else {
                self.pending.append(byte)
                if self.pending.count >= Self.maximumLineBytes {
                    lines.append(self.takeLine())
                }
            }
        }
        return lines
    }

    /// Ends the stream: returns the last line if it had no newline.
    mutating func finish() -> [Line] {
        self.pending.isEmpty ? [] : [self.takeLine()]
    }

    private mutating func takeLine() -> Line {
        if self.pending.last == UInt8(ascii: "\r") { self.pending.removeLast() }
        let text = String(decoding: self.pending, as: UTF8.self)
        self.pending.removeAll(keepingCapacity: true)
        return self.classify(text)
    }

    private mutating func classify(_ text: String) -> Line {
        let trimmed = Self.trimmed(text)
        if let directive = Self.directive(in: trimmed) {
            switch directive.key {
            case "retry-after":
                guard let seconds = Double(directive.value), seconds.isFinite, seconds >= 0 else {
                    return .malformedDirective(trimmed)
                }
                let millis = min(seconds * 1000, 86_400_000).rounded()
                self.retryAfter = min(.milliseconds(Int64(millis)), Self.maximumRetryAfter)
                return .directive(trimmed)
            case "usage":
                guard let amount = UInt64(directive.value) else { return .malformedDirective(trimmed) }
                let (sum, overflow) = self.usage.addingReportingOverflow(amount)
                self.usage = overflow ? .max : sum
                return .directive(trimmed)
            default:
                break
            }
        }
        if !trimmed.isEmpty { self.lastLine = Self.cut(trimmed, toUTF8Bytes: Self.maximumMessageBytes) }
        return .text(text)
    }

    /// The key and value of `herd: KEY=VALUE`, or `nil` when the line is not shaped like one.
    private static func directive(in line: String) -> (key: Substring, value: String)? {
        guard line.hasPrefix("herd:") else { return nil }
        let body = line.dropFirst("herd:".count).drop(while: { $0 == " " || $0 == "\t" })
        guard let equals = body.firstIndex(of: "=") else { return nil }
        return (body[..<equals], Self.trimmed(String(body[body.index(after: equals)...])))
    }

    /// `text` without leading and trailing whitespace.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first ... last])
    }

    /// The longest prefix of `text` (whole Unicode scalars) that fits in `limit` UTF-8 bytes.
    static func cut(_ text: String, toUTF8Bytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= limit else { break }
            result.append(scalar)
        }
        return String(result)
    }
}
