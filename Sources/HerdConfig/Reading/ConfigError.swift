/// A problem found in a configuration text or value: what is wrong and, when known, on which line.
///
/// Every error the TOML reader raises carries the 1-based line it was detected on. Errors from the
/// typed layer (``ClusterSpec/parse(_:)``) carry the line of the offending key, or of the table's
/// header when a required key is missing. Errors about a value that did not come from a file (a
/// `--timeout` flag passed to ``parseDuration(_:)``) have no line.
///
/// ```
/// line 7: inline tables are not supported by Herd's config reader
/// line 12: group 'tools': capacity must be an integer 1...10000, got "eight"
/// ```
public struct ConfigError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The 1-based line the problem was found on, or `nil` when the text did not come from a file.
    public var line: Int?
    /// What is wrong, in a sentence fragment meant for an operator (no trailing period).
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - line: The 1-based line the problem was found on, if the text came from a file.
    ///   - message: What is wrong.
    public init(line: Int? = nil, message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: message`, or just the message when there is no line.
    public var description: String {
        guard let line = self.line else { return self.message }
        return "line \(line): \(self.message)"
    }
}
