import CZeroMQ

/// The ZeroMQ socket patterns Herd uses.
public enum SocketType: Sendable, Hashable {
    /// `ZMQ_ROUTER`: prefixes each received message with the sender's routing id; sends to the peer
    /// named by the first frame.
    case router
    /// `ZMQ_DEALER`: round-robins sends over peers, fair-queues receives; no envelope.
    case dealer
    /// `ZMQ_PAIR`: exactly one peer (inproc signalling).
    case pair
    /// `ZMQ_REQ`: strict send/receive alternation.
    case req
    /// `ZMQ_REP`: strict receive/send alternation.
    case rep
    /// `ZMQ_PUSH`: send-only, round-robin.
    case push
    /// `ZMQ_PULL`: receive-only, fair-queued.
    case pull

    /// The libzmq constant.
    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }
}
