/// How a simulation run is shaped. The defaults are what `swift test` and `herd sim` use.
public struct SimOptions: Hashable, Sendable {
    /// Events processed while the world draws faults and jobs. After them, every fault is healed,
    /// nothing new happens, and the run continues until the cluster is quiescent.
    public var steps: Int
    /// The most virtual time the settling phase may take before the run is declared stuck.
    public var settleLimit: Duration
    /// Keep a readable line per event (costly: for replays, not for soaks).
    public var trace: Bool
    /// High-water marks a connection may draw (messages queued per direction before a send is
    /// dropped). Herd's sockets queue about 100,000 messages, so the default never drops; smaller
    /// values exercise loss on a full queue.
    public var highWaterMarks: [Int]
    /// **Test-only fault injection.** Simulates a coordinator that does not check attempt
    /// numbers: a RESULTS entry from a superseded attempt is rewritten, on its way in, to the
    /// subtask's current attempt at the worker holding it. The invariant checker must catch it.
    public var corruptSupersededResults: Bool
    /// **Test-only fault injection.** Simulates a coordinator that ignores its retry budget: it is
    /// given a budget that never runs dry, while the checker holds it to the budget the scenario
    /// configured. The retry-budget invariant must catch it.
    public var ignoreRetryBudget: Bool
    /// **Test-only fault injection.** Simulates a journal that loses committed results: a
    /// coordinator restarted after a crash reads its journal without them, so it runs those
    /// subtasks again. The "result sent twice" invariant must catch it.
    public var forgetJournaledResults: Bool

    /// The default run: ``defaultSteps`` active steps, never-dropping queues, no corruption.
    public init(
        steps: Int = SimOptions.defaultSteps,
        settleLimit: Duration = .seconds(120),
        trace: Bool = false,
        highWaterMarks: [Int] = [100_000],
        corruptSupersededResults: Bool = false,
        ignoreRetryBudget: Bool = false,
        forgetJournaledResults: Bool = false
    ) {
        self.steps = steps
        self.settleLimit = settleLimit
        self.trace = trace
        self.highWaterMarks = highWaterMarks
        self.corruptSupersededResults = corruptSupersededResults
        self.ignoreRetryBudget = ignoreRetryBudget
        self.forgetJournaledResults = forgetJournaledResults
    }

    /// Active steps of a default run.
    public static let defaultSteps = 400
}
