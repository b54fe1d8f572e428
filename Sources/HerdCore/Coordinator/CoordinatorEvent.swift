/// Something that happened to the coordinator: the only inputs of ``CoordinatorStateMachine``.
public enum CoordinatorEvent: Hashable, Sendable {
    /// A decoded message from a peer (worker or client).
    case message(Message, from: PeerID)
    /// A decoded message from a peer authenticated by CURVE (the ZAP handler's User-Id): the machine
    /// first checks that the principal's roles allow it (docs/SECURITY.md).
    case authenticated(Message, from: PeerID, as: Principal)
    /// Frames from a peer that did not decode; the machine answers with an ERROR.
    case undecodable(ProtocolError, from: PeerID)
    /// A timer the machine scheduled has come due.
    case timer(CoordinatorTimer)
    /// A send to this peer failed because it is no longer connected (EHOSTUNREACH).
    case unreachable(PeerID)
    /// SIGTERM: refuse new jobs, let in-flight work finish within `grace`, cancel the rest, stop.
    case shutdownRequested(grace: Duration)
}
