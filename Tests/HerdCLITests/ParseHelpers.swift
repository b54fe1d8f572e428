import ArgumentParser
import Testing

@testable import herd

/// Parse-only checks of `herd`'s command line (swift-argument-parser's habit): arguments in,
/// command fields (or a usage error) out; nothing runs.
enum CLI {
    /// Parses `arguments` as `herd ARGUMENTS` and expects a `T`.
    static func parse<T: ParsableCommand>(_ arguments: [String], as type: T.Type = T.self) throws -> T {
        let command = try Herd.parseAsRoot(arguments)
        return try #require(
            command as? T,
            "herd \(arguments.joined(separator: " ")) parsed as \(Swift.type(of: command))"
        )
    }

    /// Parses `arguments`, expects a usage error (not --help), and returns its message as `herd` prints it.
    static func rejection(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            let command = try Herd.parseAsRoot(arguments)
            Issue.record(
                "herd \(arguments.joined(separator: " ")) was accepted as \(type(of: command))",
                sourceLocation: sourceLocation
            )
            return ""
        } catch {
            #expect(Herd.exitCode(for: error) != .success, "a rejection, not help", sourceLocation: sourceLocation)
            return Herd.fullMessage(for: error)
        }
    }

    /// Expects `arguments` rejected with a message containing `expected`.
    static func expectRejected(
        _ arguments: [String],
        _ expected: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let message = Self.rejection(arguments, sourceLocation: sourceLocation)
        #expect(
            message.contains(expected),
            "herd \(arguments.joined(separator: " ")): '\(message)' should say '\(expected)'",
            sourceLocation: sourceLocation
        )
    }
}
