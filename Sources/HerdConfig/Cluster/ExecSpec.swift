/// One `KIND=COMMAND` binding: a worker serves subtasks of `KIND` by running `COMMAND`.
///
/// The same text appears in a group's `exec` array and after `herd worker --exec`. The kind
/// follows the rule for names (1 to 64 characters from `a-z 0-9 . _ -`); the command is
/// everything after the first `=` and must not be blank.
public struct ExecSpec: Sendable, Hashable, CustomStringConvertible {
    /// The subtask kind the command serves.
    public var kind: String
    /// The command line that runs one subtask.
    public var command: String

    /// Creates a binding without validating it.
    public init(kind: String, command: String) {
        self.kind = kind
        self.command = command
    }

    /// Reads and validates `KIND=COMMAND`.
    ///
    /// - Parameter text: The binding, such as `shout=tr a-z A-Z`.
    /// - Throws: ``ConfigError`` without a line, such as
    ///   `expected KIND=COMMAND, like "shout=tr a-z A-Z", got "shout"`.
    public init(parsing text: String) throws(ConfigError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ConfigError(
                message: "expected KIND=COMMAND, like \"shout=tr a-z A-Z\", got \(TOMLValue.string(text))"
            )
        }
        let kind = String(text[..<equals])
        let command = String(text[text.index(after: equals)...])
        guard ConfigName.isValid(kind) else {
            throw ConfigError(
                message:
                    "the kind in \(TOMLValue.string(text)) must be \(ConfigName.rule()), got \(TOMLValue.string(kind))"
            )
        }
        guard command.contains(where: { !$0.isWhitespace }) else {
            throw ConfigError(message: "the command for kind '\(kind)' is empty")
        }
        self.init(kind: kind, command: command)
    }

    /// `KIND=COMMAND`.
    public var description: String { "\(self.kind)=\(self.command)" }
}
