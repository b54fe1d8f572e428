/// Which breaker a failure counts against: the worker's, its group's, or none.
///
/// | Category | Scope | Why |
/// | --- | --- | --- |
/// | `timeout` | worker | The attempt overran on that worker (overloaded, stuck, partitioned) |
/// | `network` | worker | The path to that worker failed |
/// | `transient` | worker | A passing fault reported by that worker's handler |
/// | `unknown` | worker | Unclassified: blame the smallest blast radius |
/// | worker lost / crashed | worker | The worker died or went silent with the attempt (``workerLost``) |
/// | `server` | group | The group's shared dependency returned an error |
/// | `rate-limited` | group | The shared dependency is throttling the group |
/// | `auth` | group | The group's credentials are rejected (every worker shares them) |
/// | `validation` | none | The caller's input is wrong; no worker would do better |
/// | `not-found` | none | The caller asked for something that does not exist |
/// | `cancelled` | none | The caller (or a deadline it set) stopped the attempt |
/// | `budget-exhausted` | none | The caller's job or the retry budget ran out |
/// | `circuit-open` | none | Herd's own fail-fast; counting it would keep breakers open by their own refusals |
///
/// A failure with scope *none* is still a failure of its subtask, but no breaker learns from it (the
/// permit is released, as resilience4j does for ignored exceptions).
public enum FailureAttribution {
    /// The level of the breaker hierarchy a failure is evidence against.
    public enum Scope: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// The worker that ran the attempt.
        case worker
        /// The worker's group (a dependency all its workers share).
        case group
        /// No breaker: the caller's own doing, or Herd's.
        case none

        /// `worker`, `group` or `none`.
        public var description: String { self.rawValue }
    }

    /// The scope of a failure of `category`, as tabled above.
    public static func scope(of category: ErrorCategory) -> Scope {
        switch category {
        case .timeout, .network, .transient, .unknown: .worker
        case .server, .rateLimited, .auth: .group
        case .validation, .notFound, .cancelled, .budgetExhausted, .circuitOpen: .none
        }
    }

    /// The scope of a worker that crashed or was declared dead while holding an attempt.
    public static let workerLost: Scope = .worker
}
