/// How one call ended, as a sliding window counts it: failed or not, slow or not.
///
/// A call is *slow* when its duration is strictly greater than the breaker's `slowCallDuration`
/// (resilience4j's `SLOW_SUCCESS` / `SLOW_ERROR`). Slowness and failure are independent: a slow
/// failure counts towards both the failure rate and the slow-call rate.
public enum CallOutcome: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The call succeeded within the slow-call duration.
    case success
    /// The call failed within the slow-call duration.
    case failure
    /// The call succeeded but took longer than the slow-call duration.
    case slowSuccess
    /// The call failed and took longer than the slow-call duration.
    case slowFailure

    /// Builds an outcome from its two independent properties.
    ///
    /// - Parameters:
    ///   - failed: Whether the call failed.
    ///   - slow: Whether the call was slower than the slow-call duration.
    public init(failed: Bool, slow: Bool) {
        switch (failed, slow) {
        case (false, false): self = .success
        case (true, false): self = .failure
        case (false, true): self = .slowSuccess
        case (true, true): self = .slowFailure
        }
    }

    /// Whether the call failed (slow or not).
    public var isFailure: Bool { self == .failure || self == .slowFailure }

    /// Whether the call was slow (succeeded or not).
    public var isSlow: Bool { self == .slowSuccess || self == .slowFailure }

    /// `success`, `failure`, `slow-success` or `slow-failure`.
    public var description: String {
        switch self {
        case .success: "success"
        case .failure: "failure"
        case .slowSuccess: "slow-success"
        case .slowFailure: "slow-failure"
        }
    }
}
