import ArgumentParser
import Foundation
import HerdLauncher
import HerdZMQ

extension Herd {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (public).",
            discussion: """
                Keys are Z85 text, the format of zmq_curve_keypair. Give NAME.pub to the coordinator (its
                worker-keys, client-keys or operator-keys, or --allow-ROLE), and NAME.key to the peer (--key or
                $HERD_KEY). A coordinator's own NAME.key is its --secret-key; its NAME.pub is its peers'
                --server-key. Existing files are never overwritten. See docs/SECURITY.md.
                """
        )

        @Option(name: .long, help: "Where to write: NAME.key and NAME.pub (default: herd).")
        var out = "herd"

        func run() throws {
            guard CurveKeyPair.isSupported else { throw usageFailure("this libzmq was built without CURVE") }
            let pair: CurveKeyPair
            do { pair = try CurveKeyPair.generate() } catch { throw usageFailure("\(error)") }
            do { try KeyFiles.write(pair, to: self.out) } catch { throw usageFailure(error.description) }
            printLine("wrote \(KeyFiles.secretPath(self.out)) (secret, mode 0600) and \(KeyFiles.publicPath(self.out))")
            printLine("public key: \(pair.publicKey)")
        }
    }
}
