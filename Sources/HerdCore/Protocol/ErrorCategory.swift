/// The class of a failure, as it travels on the wire and drives retries.
///
/// Raw values are part of the protocol (docs/PROTOCOL.md) and never change.
public enum ErrorCategory: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case transient = 1
    case rateLimited = 2
    case auth = 3
    case validation = 4
    case notFound = 5
    case server = 6
    case timeout = 7
    case network = 8
    case cancelled = 9
    case unknown = 10
    case budgetExhausted = 11
    case circuitOpen = 12

    /// The name used in logs, JSON and on the command line (`rate-limited`, `not-found`, ...).
    public var name: String {
        switch self {
        case .transient: "transient"
        case .rateLimited: "rate-limited"
        case .auth: "auth"
        case .validation: "validation"
        case .notFound: "not-found"
        case .server: "server"
        case .timeout: "timeout"
        case .network: "network"
        case .cancelled: "cancelled"
        case .unknown: "unknown"
        case .budgetExhausted: "budget-exhausted"
        case .circuitOpen: "circuit-open"
        }
    }

    /// Parses a category name; returns `nil` for an unknown one.
    public init?(name: String) {
        guard let match = ErrorCategory.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    public var description: String { self.name }
}

/// A failure as it crosses the wire: a category, a human message, an optional retry-after, and
/// the earlier failures that led to it.
public struct Failure: Hashable, Sendable, Error, CustomStringConvertible {
    public var category: ErrorCategory
    public var message: String
    /// How long the caller should wait before trying again (rate limits), if the failure says so.
    public var retryAfter: Duration?
    /// The failures that led to this one, oldest first: a subtask that failed after retries
    /// carries the failure of every earlier attempt here (a refusal by the retry budget carries
    /// every attempt's). The chain is flat: a cause has no causes of its own on the wire, and at
    /// most ``maxCauses`` are kept (the oldest are dropped).
    public var causes: [Failure]

    /// The most causes a failure carries.
    public static let maxCauses = 16

    public init(_ category: ErrorCategory, _ message: String, retryAfter: Duration? = nil, causes: [Failure] = []) {
        self.category = category
        self.message = message
        self.retryAfter = retryAfter
        self.causes = causes
    }

    /// This failure with `causes` as its cause chain (flattened, the last ``maxCauses`` kept).
    public func causedBy(_ causes: [Failure]) -> Failure {
        var flat = causes.map { Failure($0.category, $0.message, retryAfter: $0.retryAfter) }
        if flat.count > Self.maxCauses { flat.removeFirst(flat.count - Self.maxCauses) }
        return Failure(self.category, self.message, retryAfter: self.retryAfter, causes: flat)
    }

    public var description: String { "\(self.category): \(self.message)" }
}
