import CZeroMQ

/// A socket option to set with ``ZMQSocket/set(_:)``. Each case names its libzmq option.
public enum SocketOption: Sendable, Hashable {
    /// `ZMQ_SNDHWM`: at most this many outgoing messages queued per peer (0 = no limit).
    case sendHighWaterMark(Int32)
    /// `ZMQ_RCVHWM`: at most this many incoming messages queued per peer (0 = no limit).
    case receiveHighWaterMark(Int32)
    /// `ZMQ_LINGER`: how long pending outgoing messages are kept after close (-1 = forever,
    /// which can make context termination hang; 0 = drop at once).
    case linger(milliseconds: Int32)
    /// `ZMQ_MAXMSGSIZE`: peers sending a larger frame are disconnected (-1 = no limit).
    case maxMessageSize(Int64)
    /// `ZMQ_ROUTING_ID`: this socket's identity as seen by a ROUTER peer (1–255 bytes, not starting
    /// with 0). Set before connecting.
    case routingID([UInt8])
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER fails a send to an unknown peer with `EHOSTUNREACH`, and to
    /// a full peer with `EAGAIN`, instead of dropping the message silently.
    case routerMandatory(Bool)
    /// `ZMQ_ROUTER_HANDOVER`: a new connection with a routing id already in use takes it over.
    case routerHandover(Bool)
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections (sends block, i.e. return
    /// `false`, while no peer is connected).
    case immediate(Bool)
    /// `ZMQ_HEARTBEAT_IVL`: send a ZMTP PING this often (0 = off).
    case heartbeatInterval(milliseconds: Int32)
    /// `ZMQ_HEARTBEAT_TIMEOUT`: drop the connection if nothing arrives this long after a PING.
    case heartbeatTimeout(milliseconds: Int32)
    /// `ZMQ_HEARTBEAT_TTL`: ask the peer to drop the connection after this much silence from us
    /// (libzmq keeps a resolution of 100 ms).
    case heartbeatTTL(milliseconds: Int32)
    /// `ZMQ_RECONNECT_IVL`: first delay before reconnecting (-1 = never reconnect).
    case reconnectInterval(milliseconds: Int32)
    /// `ZMQ_RECONNECT_IVL_MAX`: cap of the exponential reconnect backoff (0 = no backoff).
    case reconnectIntervalMax(milliseconds: Int32)
    /// `ZMQ_CURVE_SERVER`: act as the CURVE server (needs ``curveSecretKey(_:)``).
    case curveServer(Bool)
    /// `ZMQ_CURVE_PUBLICKEY`: this socket's long-term public key (32 bytes, or 40 Z85 characters).
    case curvePublicKey([UInt8])
    /// `ZMQ_CURVE_SECRETKEY`: this socket's long-term secret key (32 bytes, or 40 Z85 characters).
    case curveSecretKey([UInt8])
    /// `ZMQ_CURVE_SERVERKEY`: the server's public key, set on a client (32 bytes, or 40 Z85 characters).
    case curveServerKey([UInt8])
    /// `ZMQ_TCP_KEEPALIVE`: enable `SO_KEEPALIVE` on TCP connections.
    case tcpKeepalive(Bool)

    /// The libzmq option name and its value as bytes, ready for `zmq_setsockopt`.
    var encoded: (name: Int32, label: String, value: Value) {
        switch self {
        case .sendHighWaterMark(let v): (ZMQ_SNDHWM, "ZMQ_SNDHWM", .int32(v))
        case .receiveHighWaterMark(let v): (ZMQ_RCVHWM, "ZMQ_RCVHWM", .int32(v))
        case .linger(let v): (ZMQ_LINGER, "ZMQ_LINGER", .int32(v))
        case .maxMessageSize(let v): (ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", .int64(v))
        case .routingID(let v): (ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", .bytes(v))
        case .routerMandatory(let v): (ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", .bool(v))
        case .routerHandover(let v): (ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER", .bool(v))
        case .immediate(let v): (ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", .bool(v))
        case .heartbeatInterval(let v): (ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", .int32(v))
        case .heartbeatTimeout(let v): (ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", .int32(v))
        case .heartbeatTTL(let v): (ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", .int32(v))
        case .reconnectInterval(let v): (ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", .int32(v))
        case .reconnectIntervalMax(let v): (ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", .int32(v))
        case .curveServer(let v): (ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", .bool(v))
        case .curvePublicKey(let v): (ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", .bytes(v))
        case .curveSecretKey(let v): (ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", .bytes(v))
        case .curveServerKey(let v): (ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", .bytes(v))
        case .tcpKeepalive(let v): (ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE", .bool(v))
        }
    }

    /// The C representation of an option value.
    enum Value {
        case int32(Int32)
        case int64(Int64)
        case bool(Bool)
        case bytes([UInt8])
    }
}

extension SocketOption: CustomStringConvertible {
    /// The libzmq option name and its value; key material is not printed.
    public var description: String {
        let (_, label, value) = encoded
        switch value {
        case .int32(let v): return "\(label)=\(v)"
        case .int64(let v): return "\(label)=\(v)"
        case .bool(let v): return "\(label)=\(v ? 1 : 0)"
        case .bytes(let v):
            switch self {
            case .routingID: return "\(label)=\(v)"
            default: return "\(label)=<\(v.count) bytes>"
            }
        }
    }
}
