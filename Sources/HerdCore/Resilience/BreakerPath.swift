/// The address of one breaker in a ``BreakerHierarchy``, as operators type it.
///
/// | Text | Path |
/// | --- | --- |
/// | `/` | ``cluster`` |
/// | `GROUP` | ``group(_:)`` |
/// | `GROUP/WORKER` | ``worker(group:worker:)`` |
///
/// Group and worker ids are non-empty and contain no `/`.
public enum BreakerPath: Hashable, Sendable, CustomStringConvertible {
    /// The cluster-wide breaker.
    case cluster
    /// A group's breaker.
    case group(String)
    /// A worker's breaker, within its group.
    case worker(group: String, worker: String)

    /// Parses `/`, `GROUP` or `GROUP/WORKER`; returns `nil` for anything else (an empty id, more than
    /// one `/`, surrounding slashes).
    public init?(parsing text: String) {
        if text == "/" {
            self = .cluster
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: \.isEmpty) else { return nil }
        switch parts.count {
        case 1: self = .group(String(parts[0]))
        case 2: self = .worker(group: String(parts[0]), worker: String(parts[1]))
        default: return nil
        }
    }

    /// `/`, `GROUP` or `GROUP/WORKER`: the inverse of ``init(parsing:)``.
    public var description: String {
        switch self {
        case .cluster: "/"
        case .group(let group): group
        case .worker(let group, let worker): "\(group)/\(worker)"
        }
    }
}
