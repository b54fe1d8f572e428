/// Where a retry should run: preferably on a worker that has not tried this subtask yet.
///
/// A retry on the worker that just failed is likely to fail the same way (a worker-local fault,
/// a poisoned cache, a bad disk), so the scheduler offers candidates in the order this returns and
/// takes the first that has credit and whose breakers admit it.
public enum RetryPlacement {
    /// Orders `candidates` for a retry.
    ///
    /// Workers that have not tried the subtask come first, in their given order (the scheduler's own
    /// preference); then those that have, least recently tried first. Duplicates in `candidates` are
    /// kept as given.
    ///
    /// - Parameters:
    ///   - candidates: The workers able to run the subtask, in the scheduler's order of preference.
    ///   - tried: The workers that ran earlier attempts, oldest attempt first (repeats allowed).
    /// - Returns: `candidates`, reordered. Deterministic: no randomness.
    public static func order<WorkerID: Hashable>(_ candidates: [WorkerID], tried: [WorkerID]) -> [WorkerID] {
        var lastTry: [WorkerID: Int] = [:]
        for (index, worker) in tried.enumerated() { lastTry[worker] = index }
        let fresh = candidates.filter { lastTry[$0] == nil }
        let again = candidates.enumerated()
            .compactMap { entry in
                lastTry[entry.element].map { (lastTry: $0, offset: entry.offset, worker: entry.element) }
            }
            .sorted { ($0.lastTry, $0.offset) < ($1.lastTry, $1.offset) }
            .map(\.worker)
        return fresh + again
    }
}
