import Foundation
import HerdConfig
import HerdCore
import HerdRuntime
import HerdZMQ

#if canImport(Glibc)
import Glibc
#endif

/// CURVE key files: what `herd keygen` writes and every command reads (docs/SECURITY.md).
///
/// `NAME.key` holds the pair and is written with mode 0600; `NAME.pub` holds the public key only
/// and can be handed out. Both are lines of `name = "Z85"`, comments start with `#`:
///
/// ```
/// # Herd CURVE secret key: keep it private (mode 0600)
/// public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
/// secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
/// ```
///
/// A secret key file readable by group or others is refused (as ssh does), and a key file's
/// public key must be the one its secret key derives.
public enum KeyFiles {
    /// The name the public key file of `base` gets.
    public static func publicPath(_ base: String) -> String { base + ".pub" }
    /// The name the secret key file of `base` gets.
    public static func secretPath(_ base: String) -> String { base + ".key" }

    /// Writes `pair` to `BASE.key` (mode 0600) and `BASE.pub` (mode 0644).
    ///
    /// - Throws: ``KeyFileError`` if either file exists (nothing is overwritten) or cannot be written.
    public static func write(_ pair: CurveKeyPair, to base: String) throws(KeyFileError) {
        let secret = Self.secretPath(base)
        let publicFile = Self.publicPath(base)
        for path in [secret, publicFile] where FileManager.default.fileExists(atPath: path) {
            throw KeyFileError("\(path) exists: not overwriting a key (remove it first to rotate)")
        }
        try Self.create(
            secret,
            mode: 0o600,
            "# Herd CURVE secret key: keep it private (mode 0600). docs/SECURITY.md\n"
                + "public-key = \"\(pair.publicKey)\"\nsecret-key = \"\(pair.secretKey)\"\n"
        )
        try Self.create(
            publicFile,
            mode: 0o644,
            "# Herd CURVE public key: give it to the coordinator (or, for the coordinator's, to its peers).\n"
                + "public-key = \"\(pair.publicKey)\"\n"
        )
    }

    /// Writes `text` to a new file of `mode` (created exclusively, so no other process can
    /// open it first with a looser mode).
    private static func create(_ path: String, mode: mode_t, _ text: String) throws(KeyFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw KeyFileError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fchmod(fd, mode)  // the umask may have narrowed it; never widened beyond `mode`
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw KeyFileError("cannot write \(path)") }
    }

    /// Reads a key pair from a secret key file.
    ///
    /// - Throws: ``KeyFileError`` if the file cannot be read, is readable by group or others, has
    ///   no valid `secret-key`, or names a `public-key` that is not its secret key's.
    public static func readPair(_ path: String) throws(KeyFileError) -> CurveKeyPair {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw KeyFileError("cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        if status.st_mode & 0o077 != 0 {
            throw KeyFileError(
                "secret key file \(path) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))):"
                    + " chmod 600 \(path)"
            )
        }
        let fields = try Self.fields(path)
        guard let secret = fields["secret-key"] else {
            throw KeyFileError("\(path) has no secret-key: is it a .pub file? Give the .key file")
        }
        guard let pair = CurveKeyPair(secretKey: secret) else {
            throw KeyFileError("\(path): secret-key is not a CURVE key (40 characters of Z85)")
        }
        if let stated = fields["public-key"], stated != pair.publicKey {
            throw KeyFileError("\(path): public-key does not belong to its secret-key")
        }
        return pair
    }

    /// A public key given as itself (40 characters of Z85) or as a key file's path (`.pub` or
    /// `.key`; a relative path is relative to `directory` when given).
    ///
    /// - Throws: ``KeyFileError`` if it is neither a valid key nor a readable key file with one.
    public static func publicKey(
        _ reference: String,
        relativeTo directory: String? = nil
    ) throws(KeyFileError)
        -> String
    {
        var path = reference
        if let directory, !path.hasPrefix("/") { path = directory + "/" + path }
        // A file first: a 40-character path such as /tmp/demo-try/.herd/keys/coordinator.pub is
        // also valid Z85 ('/' and '.' are in its alphabet), and was taken for a key.
        let isFile = FileManager.default.fileExists(atPath: path)
        if !isFile, reference.utf8.count == 40, CurveKeyPair.isValidKey(reference) { return reference }
        guard isFile else {
            throw KeyFileError("\(reference) is neither a CURVE public key (40 characters of Z85) nor a key file")
        }
        let fields = try Self.fields(path)
        guard let key = fields["public-key"] ?? fields["secret-key"].flatMap({ CurveKeyPair(secretKey: $0)?.publicKey })
        else {
            throw KeyFileError("\(path) has no public-key")
        }
        guard CurveKeyPair.isValidKey(key) else { throw KeyFileError("\(path): public-key is not a CURVE key") }
        return key
    }

    /// The `name = "value"` lines of a key file.
    private static func fields(_ path: String) throws(KeyFileError) -> [String: String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw KeyFileError("cannot read key file \(path): \(error.localizedDescription)")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            fields[name] = value
        }
        return fields
    }

    /// The client side of CURVE from a server key reference and a secret key file.
    public static func clientSecurity(serverKey: String, keyFile: String) throws(KeyFileError) -> CurveSecurity {
        .client(try Self.readPair(keyFile), serverKey: try Self.publicKey(serverKey))
    }
}

/// A key file could not be written or read, or does not hold a valid key.
public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
