import CZeroMQ

/// A CURVE key pair (CurveZMQ, RFC 26), both keys in Z85: 40 printable characters each, the text
/// `zmq_curve_keypair` produces.
///
/// The secret key is never printed (``description`` shows the public key only).
public struct CurveKeyPair: Sendable, Hashable, CustomStringConvertible {
    /// The public key, Z85: what the other side lists or names.
    public let publicKey: String
    /// The secret key, Z85: kept in a file of mode 0600.
    public let secretKey: String

    /// Draws a new key pair (`zmq_curve_keypair`).
    ///
    /// - Throws: ``ZMQError`` if libzmq was built without CURVE (`ENOTSUP`).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(
            publicKey: String(decoding: publicKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self),
            secretKey: String(decoding: secretKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        )
    }

    /// The pair of `secretKey` (its public key derived with `zmq_curve_public`); `nil` if it is
    /// not a Z85 key.
    public init?(secretKey: String) {
        guard Self.isValidKey(secretKey) else { return nil }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { return nil }
        self.publicKey = String(decoding: publicKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.secretKey = secretKey
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Whether `key` is a CURVE key in Z85: 40 characters that decode to 32 bytes.
    public static func isValidKey(_ key: String) -> Bool {
        guard key.utf8.count == 40 else { return false }
        var bytes = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&bytes, key) != nil
    }

    /// `bytes` (a multiple of 4 bytes long, e.g. a 32-byte key) in Z85.
    public static func z85(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { return nil }
        return String(decoding: text.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether this libzmq supports CURVE (`zmq_has("curve")`).
    public static var isSupported: Bool { zmq_has("curve") != 0 }

    public var description: String { "CurveKeyPair(public: \(self.publicKey))" }
}

/// How a socket uses CURVE.
public enum CurveSecurity: Sendable, Hashable {
    /// The coordinator's side: authenticate clients with this key pair (`ZMQ_CURVE_SERVER`).
    case server(CurveKeyPair)
    /// A worker's or client's side: this key pair, and the server's public key.
    case client(CurveKeyPair, serverKey: String)

    /// The socket options that turn it on; set before `bind` or `connect`.
    public var options: [SocketOption] {
        switch self {
        case .server(let pair):
            [.curveServer(true), .curveSecretKey(Array(pair.secretKey.utf8))]
        case .client(let pair, let serverKey):
            [
                .curveServerKey(Array(serverKey.utf8)), .curvePublicKey(Array(pair.publicKey.utf8)),
                .curveSecretKey(Array(pair.secretKey.utf8)),
            ]
        }
    }
}

extension ZMQSocket {
    /// Sets the CURVE options of `security` (before `bind` or `connect`); nothing for `nil`.
    public func secure(_ security: CurveSecurity?) throws(ZMQError) {
        guard let security else { return }
        for option in security.options { try self.set(option) }
    }
}
