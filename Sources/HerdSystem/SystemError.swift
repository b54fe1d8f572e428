import Glibc

/// A failed system call: its `errno` value.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `errno` value.
    public var code: CInt

    public init(code: CInt) {
        self.code = code
    }

    /// The calling thread's current `errno`.
    public static var current: SystemError { SystemError(code: errno) }

    /// Whether the system is short of a resource (worth retrying later).
    public var isResourceShortage: Bool {
        [EAGAIN, ENOMEM, EMFILE, ENFILE].contains(self.code)
    }

    public var description: String { Self.describe(errno: self.code) }

    /// The text of an `errno` value.
    public static func describe(errno code: CInt) -> String {
        String(cString: strerror(code))
    }
}
