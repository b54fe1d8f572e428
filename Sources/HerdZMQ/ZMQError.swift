import CZeroMQ

/// A failed libzmq call: the `errno` it reported and the operation that failed.
///
/// Two errors are equal when both their code and their operation are equal.
/// Compare `code` against the `errno` constants (`EAGAIN`, `EHOSTUNREACH`, `EINVAL`, `ETERM`…)
/// to decide what to do.
public struct ZMQError: Error, CustomStringConvertible, Hashable {
    /// The `errno` value reported by libzmq (`zmq_errno()`).
    public let code: Int32
    /// What was being done, e.g. `"zmq_connect(tcp://nonsense)"`.
    public let operation: String

    /// Creates an error from an explicit code.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The error that libzmq just reported on this thread (`zmq_errno()`).
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation())
    }

    /// libzmq's message for `code` (`zmq_strerror`).
    public var message: String {
        String(cString: zmq_strerror(code))
    }

    /// `"<operation>: <message> (errno <code>)"`.
    public var description: String {
        "\(operation): \(message) (errno \(code))"
    }
}
