import HerdCore
import HerdZMQ
import Logging
import Synchronization

/// How a coordinator authenticates its peers: its CURVE key pair and the keys it knows, with
/// their roles (docs/SECURITY.md).
public struct CoordinatorSecurity: Sendable {
    /// The coordinator's own key pair; workers and clients name its public key.
    public var keyPair: CurveKeyPair
    /// The public keys allowed to connect, and what each may do.
    public var keyring: Keyring

    public init(keyPair: CurveKeyPair, keyring: Keyring) {
        self.keyPair = keyPair
        self.keyring = keyring
    }
}

/// The coordinator's ZAP decisions: a known key is accepted with its principal as the User-Id, an
/// unknown one is refused (its handshake fails, it gets no reply) and logged, rate-limited.
///
/// Logging: each refused key is logged the first time it is seen (up to ``rememberedKeys``), at
/// most ``linesPerWindow`` lines per ``window``; what is not logged is counted and summed up in
/// the next line, so a flood of connections cannot flood the log.
final class ZAPAuthenticator: Sendable {
    static let rememberedKeys = 1_024
    static let linesPerWindow = 10
    static let window: Duration = .seconds(10)

    private struct State {
        var seen: Set<String> = []
        var windowStart: ContinuousClock.Instant = .now
        var lines = 0
        var suppressed = 0
    }

    private let keyring: Keyring
    private let logger: Logger
    private let state = Mutex(State())

    init(keyring: Keyring, logger: Logger) {
        self.keyring = keyring
        self.logger = logger
    }

    /// The verdict on one handshake (called on the ZAP handler's thread).
    func authenticate(_ request: ZAPRequest) -> ZAPVerdict {
        guard request.mechanism == "CURVE", let key = request.publicKey else {
            self.refused(key: "mechanism \(request.mechanism)", address: request.address, reason: "not CURVE")
            return .deny(reason: "CURVE required")
        }
        guard let principal = self.keyring[key] else {
            self.refused(key: key, address: request.address, reason: "unknown key")
            return .deny(reason: "unknown key")
        }
        return .allow(userID: principal.userID)
    }

    private func refused(key: String, address: String, reason: String) {
        let (log, suppressed) = self.state.withLock { state -> (Bool, Int) in
            let now = ContinuousClock.now
            if state.windowStart.duration(to: now) >= Self.window {
                state.windowStart = now
                state.lines = 0
            }
            let fresh = state.seen.count < Self.rememberedKeys ? state.seen.insert(key).inserted : false
            guard fresh, state.lines < Self.linesPerWindow else {
                state.suppressed += 1
                return (false, 0)
            }
            state.lines += 1
            defer { state.suppressed = 0 }
            return (true, state.suppressed)
        }
        guard log else { return }
        var metadata: Logger.Metadata = ["key": "\(key)", "address": "\(address)", "reason": "\(reason)"]
        if suppressed > 0 { metadata["refused-unlogged"] = "\(suppressed)" }
        self.logger.warning("connection refused: no reply is sent", metadata: metadata)
    }
}
