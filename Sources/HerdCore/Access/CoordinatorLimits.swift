/// What one job and one client may ask of the coordinator (docs/SECURITY.md, "Limits").
///
/// Each limit is checked by the coordinator's machine when a SUBMIT or a RESULTS arrives; a
/// submission over a limit is answered with REJECTED (category `validation`, or `rateLimited` for the
/// rate) whose message starts with `limit exceeded:` and names the `[coordinator]` key that sets
/// it; an output over ``maxOutputBytes`` becomes a `validation` failure of its subtask. The size of
/// a whole message is limited below the machine, by libzmq (`ZMQ_MAXMSGSIZE`) and the codec
/// (`max-message-bytes`).
///
/// A client is identified by its CURVE public key when the coordinator authenticates peers (all
/// processes sharing a key are one client), and by its connection's routing id when it does not.
public struct CoordinatorLimits: Hashable, Sendable {
    /// The most subtasks one job may have (`max-fanout`).
    public var maxSubtasksPerJob: Int
    /// The most jobs one client may have open (accepted, not finished) at once
    /// (`max-open-jobs-per-client`). Nested jobs count against the worker key that submits them.
    public var maxOpenJobsPerClient: Int
    /// The most SUBMITs per second one client may send, sustained; a burst of as many is
    /// allowed (`max-submissions-per-second`; a token bucket). Nested jobs are not counted: a
    /// worker's capacity bounds them.
    public var maxSubmissionsPerSecond: Int
    /// The largest payload of one subtask, in bytes (`max-payload-bytes`); a template counts with
    /// every `{index}` expanded to the longest index.
    public var maxPayloadBytes: Int
    /// The largest output of one subtask's result, in bytes (`max-output-bytes`).
    public var maxOutputBytes: Int

    public init(
        maxSubtasksPerJob: Int = 10_000_000,
        maxOpenJobsPerClient: Int = 10_000,
        maxSubmissionsPerSecond: Int = 10_000,
        maxPayloadBytes: Int = 16 << 20,
        maxOutputBytes: Int = 16 << 20
    ) {
        self.maxSubtasksPerJob = maxSubtasksPerJob
        self.maxOpenJobsPerClient = maxOpenJobsPerClient
        self.maxSubmissionsPerSecond = maxSubmissionsPerSecond
        self.maxPayloadBytes = maxPayloadBytes
        self.maxOutputBytes = maxOutputBytes
    }

    /// The largest payload of `source`, in bytes (a template's with its longest index).
    static func largestPayload(_ source: PayloadSource) -> Int {
        switch source {
        case .list(let payloads):
            return payloads.reduce(0) { max($0, $1.count) }
        case .template(let template, let count):
            let placeholders = PayloadTemplate(template).markerCount
            let digits = String(max(0, Int(count) - 1)).utf8.count
            return template.count + placeholders * max(0, digits - "{index}".utf8.count)
        }
    }
}
