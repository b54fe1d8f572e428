extension JournalStore {
    /// What a committed ``JournalStore/write(_:forgetting:)`` survives.
    ///
    /// | Durability | SQLite | A commit survives | Costs |
    /// | --- | --- | --- | --- |
    /// | ``processCrash`` (default) | WAL, `synchronous=NORMAL` | `kill -9`, a crash or OOM kill of the coordinator | no `fsync` per commit; the WAL is synced at checkpoints |
    /// | ``powerLoss`` | WAL, `synchronous=FULL` | also power loss and kernel panics | one `fsync` of the WAL per commit |
    ///
    /// With ``processCrash`` a commit is in the kernel's page cache when `write` returns, so it
    /// outlives the process; a power loss can lose the last commits before a checkpoint, but never
    /// tears one (the journal reopens consistent, at an earlier commit).
    public enum Durability: Hashable, Sendable {
        /// Commits survive the process being killed (`synchronous=NORMAL`).
        case processCrash
        /// Commits survive power loss too (`synchronous=FULL`: an `fsync` per commit).
        case powerLoss

        /// The value of `PRAGMA synchronous`.
        var pragma: String {
            switch self {
            case .processCrash: "NORMAL"
            case .powerLoss: "FULL"
            }
        }
    }
}
