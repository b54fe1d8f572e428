/// An error of the runtime shells (sockets, processes, configuration), with a message for people.
public struct HerdRuntimeError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { self.message }
}
