import Foundation
import HerdZMQ

/// The keys of a local cluster: what `herd up` generates on its first run in `.herd/keys/` next
/// to its cluster file, and how it hands them to its processes.
///
/// Four pairs: `coordinator`, `worker` (every group), `client` and `operator`. The coordinator
/// gets `--secret-key` and one `--allow-ROLE` per role; workers get `HERD_SERVER_KEY` and
/// `HERD_KEY` (the worker key). `herd` commands run in that directory find
/// `coordinator.pub` and `operator.key` there by themselves (``KeyFiles``; `ConnectOptions`).
public enum LocalKeys {
    /// The keys' directory, relative to the cluster file's.
    public static let directoryName = ".herd/keys"
    /// The key pairs a local cluster has.
    public static let names = ["coordinator", "worker", "client", "operator"]

    /// Generates the key pairs missing in `directory` (created with mode 0700 if absent).
    ///
    /// - Returns: The names of the pairs generated (empty when all were there).
    /// - Throws: ``KeyFileError`` if the directory or a file cannot be written, or if only half of a
    ///   pair is there (a `.pub` without its `.key`).
    @discardableResult
    public static func ensure(in directory: String) throws(KeyFileError) -> [String] {
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw KeyFileError("cannot create \(directory): \(error.localizedDescription)")
        }
        var generated: [String] = []
        for name in Self.names {
            let base = directory + "/" + name
            let hasSecret = FileManager.default.fileExists(atPath: KeyFiles.secretPath(base))
            let hasPublic = FileManager.default.fileExists(atPath: KeyFiles.publicPath(base))
            if hasSecret && hasPublic { continue }
            if hasSecret != hasPublic {
                throw KeyFileError("\(base): one of .key and .pub is missing; remove the other to generate a new pair")
            }
            let pair: CurveKeyPair
            do { pair = try CurveKeyPair.generate() } catch {
                throw KeyFileError("cannot generate a CURVE key pair: \(error)")
            }
            try KeyFiles.write(pair, to: base)
            generated.append(name)
        }
        return generated
    }

    /// `herd coordinator`'s arguments for the keys in `directory`.
    public static func coordinatorArguments(directory: String) -> [String] {
        [
            "--secret-key", KeyFiles.secretPath(directory + "/coordinator"),
            "--allow-worker", KeyFiles.publicPath(directory + "/worker"),
            "--allow-client", KeyFiles.publicPath(directory + "/client"),
            "--allow-operator", KeyFiles.publicPath(directory + "/operator"),
        ]
    }

    /// The environment of a peer using the `key` pair of `directory` (`HERD_SERVER_KEY`, `HERD_KEY`).
    public static func peerEnvironment(directory: String, key: String) -> [String: String] {
        [
            "HERD_SERVER_KEY": KeyFiles.publicPath(directory + "/coordinator"),
            "HERD_KEY": KeyFiles.secretPath(directory + "/" + key),
        ]
    }
}
