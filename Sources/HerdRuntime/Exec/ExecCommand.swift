import HerdConfig
import HerdCore

/// An operator-declared exec kind: subtasks of ``kind`` run ``command`` through `/bin/sh -c`.
///
/// A worker gets these from `herd worker --exec KIND=COMMAND` (or a group's `exec` array in a
/// cluster file). The parsing rules are the ones of ``HerdConfig/ExecSpec``, so the flag and the
/// cluster file accept exactly the same text. See docs/EXEC.md for what the child sees.
public struct ExecCommand: Sendable, Hashable, CustomStringConvertible {
    /// The subtask kind the command serves: 1 to 64 characters from `a-z 0-9 . _ -`.
    public var kind: String
    /// The shell command line that runs one subtask (passed to `/bin/sh -c`).
    public var command: String

    /// Parses `KIND=COMMAND`, the argument of `--exec`.
    ///
    /// The kind is everything before the first `=`, the command everything after it.
    ///
    /// - Parameter text: The binding, such as `shout=tr a-z A-Z`.
    /// - Throws: ``HerdConfig/ConfigError`` when there is no `=`, the kind breaks the naming rule
    ///   or the command is blank; its message says which, for the operator.
    public init(parsing text: String) throws {
        let spec = try ExecSpec(parsing: text)
        self.kind = spec.kind
        self.command = spec.command
    }

    /// Creates a binding from a parsed cluster-file entry.
    ///
    /// - Parameter spec: A binding already validated by ``HerdConfig/ExecSpec/init(parsing:)``.
    public init(_ spec: ExecSpec) {
        self.kind = spec.kind
        self.command = spec.command
    }

    /// `KIND=COMMAND`.
    public var description: String { "\(self.kind)=\(self.command)" }
}
