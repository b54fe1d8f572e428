import Foundation
import HerdLauncher
import HerdRuntime
import HerdTestKit
import HerdZMQ
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// CURVE and roles with the real `herd` binary on real sockets (docs/SECURITY.md): traffic is
/// encrypted, an unknown key gets no reply at all, each role may do what it may and nothing more,
/// and a coordinator will not listen off loopback without keys.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SecurityTests {
    /// Key pairs for one test, in a directory of their own.
    struct Keys {
        let directory: String

        init(_ names: [String] = ["coordinator", "worker", "client", "operator", "stranger"]) throws {
            self.directory =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("herd-keys-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
            for name in names { try KeyFiles.write(try CurveKeyPair.generate(), to: self.directory + "/" + name) }
        }

        func pub(_ name: String) -> String { KeyFiles.publicPath(self.directory + "/" + name) }
        func key(_ name: String) -> String { KeyFiles.secretPath(self.directory + "/" + name) }

        /// `herd coordinator`'s arguments: the coordinator's key, a worker, a client and an operator key.
        var coordinatorArguments: [String] {
            [
                "--secret-key", self.key("coordinator"), "--allow-worker", self.pub("worker"), "--allow-client",
                self.pub("client"), "--allow-operator", self.pub("operator"),
            ]
        }

        /// A peer's arguments to connect as `name`.
        func peer(_ name: String) -> [String] { ["--server-key", self.pub("coordinator"), "--key", self.key(name)] }
    }

    /// Runs `herd ARGUMENTS`, returning its exit status, standard output lines and standard error.
    static func herd(_ arguments: [String]) async throws -> (status: Int32, output: [String], error: String) {
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("herd-\(UUID().uuidString).err")
            .path
        let process = try ChildProcess(
            name: arguments.first ?? "herd",
            executable: TestCluster.herd,
            arguments: arguments,
            environment: TestCluster.dieWithUs,
            stderr: .file(errorPath)
        )
        var output: [String] = []
        for await line in process.lines { output.append(line) }
        let status = await process.waitForExit()
        let error = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errorPath)
        return (status, output, error)
    }

    static func port(of endpoint: String) -> UInt16 { UInt16(endpoint.split(separator: ":").last!)! }

    /// The payload (and, echoed, the output) the encryption test looks for on the wire.
    static let marker = "HERD-PLAINTEXT-MARKER"

    /// Submits an echo job of 20 subtasks through a recording proxy; returns whether the marker
    /// was seen on the wire.
    static func markerOnTheWire(cluster: TestCluster, peer: [String]) async throws -> Bool {
        let proxy = try RecordingProxy(targetPort: Self.port(of: cluster.endpoint))
        let run = try await Self.herd(
            [
                "submit", "--connect", proxy.endpoint, "--group", "g", "--kind", "echo", "--fanout", "20", "--payload",
                "\(Self.marker) {index}", "--json",
            ] + peer
        )
        await proxy.stop()
        #expect(run.status == 0, "submit: \(run.error)")
        let outputs = run.output.filter { $0.contains("\"index\"") }
        #expect(outputs.count == 20)
        #expect(outputs.allSatisfy { $0.contains(Self.marker) }, "the client read every output in clear")
        #expect(proxy.bytes.count > 0, "the proxy carried the traffic")
        return proxy.saw(Self.marker)
    }

    @Test func test_curve_trafficIsEncrypted_andWithoutCurveItIsNot() async throws {
        let keys = try Keys()
        try await withCluster(coordinatorArguments: keys.coordinatorArguments) { cluster in
            try await cluster.addWorker("w1", group: "g", extra: keys.peer("worker"))
            let seen = try await Self.markerOnTheWire(cluster: cluster, peer: keys.peer("client"))
            #expect(!seen, "with CURVE no payload or output byte is in clear on the wire")
        }
        // Control: the same job without CURVE shows the marker, so the test can see it.
        try await withCluster { cluster in
            try await cluster.addWorker("w1", group: "g")
            let seen = try await Self.markerOnTheWire(cluster: cluster, peer: [])
            #expect(seen, "without CURVE the payload is in clear (the proxy does capture it)")
        }
    }

    @Test func test_unknownKey_getsNoReply_andIsLoggedOnce() async throws {
        let keys = try Keys()
        try await withCluster(coordinatorArguments: keys.coordinatorArguments) { cluster in
            for _ in 0 ..< 2 {
                let run = try await Self.herd(
                    [
                        "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--connect-timeout",
                        "1s",
                    ] + keys.peer("stranger")
                )
                #expect(run.status == 2)
                #expect(run.error.contains("no coordinator at"), "no reply at all: \(run.error)")
            }
            let strangerKey = try KeyFiles.publicKey(keys.pub("stranger"))
            let log = try String(contentsOfFile: cluster.logDirectory + "/coordinator.log", encoding: .utf8)
            let refusals = log.split(separator: "\n").filter { $0.contains("connection refused") }
            #expect(refusals.count == 1, "each unknown key is logged once: \(refusals)")
            #expect(refusals.first?.contains(strangerKey) == true)
            // A peer without CURVE cannot talk to it either.
            let plain = try await Self.herd(
                [
                    "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--connect-timeout",
                    "1s",
                    "--insecure",
                ]
            )
            #expect(plain.status == 2)
        }
    }

    @Test func test_roles_eachMayDoWhatItMay_andNothingMore() async throws {
        let keys = try Keys()
        try await withCluster(coordinatorArguments: keys.coordinatorArguments) { cluster in
            try await cluster.addWorker("w1", group: "g", extra: keys.peer("worker"))
            // A client submits and reads status...
            let job = try await Self.herd(
                ["submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--fanout", "5"]
                    + keys.peer("client")
            )
            #expect(job.status == 0, "\(job.error)")
            let status = try await Self.herd(["status", "--connect", cluster.endpoint] + keys.peer("client"))
            #expect(status.status == 0, "\(status.error)")
            // ...but may not drain or command breakers.
            for command in [["drain", "--group", "g"], ["breaker", "open", "g"]] {
                let refused = try await Self.herd(command + ["--connect", cluster.endpoint] + keys.peer("client"))
                #expect(refused.status == 2)
                #expect(refused.error == "herd: not allowed: operator role required\n", "\(command): \(refused.error)")
            }
            // A worker key may not act as a client.
            let asWorker = try await Self.herd(["status", "--connect", cluster.endpoint] + keys.peer("worker"))
            #expect(asWorker.status == 2)
            #expect(asWorker.error.contains("not allowed: client role required"), "\(asWorker.error)")
            let submitAsWorker = try await Self.herd(
                ["submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo"] + keys.peer("worker")
            )
            #expect(submitAsWorker.status == 2)
            #expect(submitAsWorker.error.contains("not allowed"), "\(submitAsWorker.error)")
            // The operator may do everything.
            let breaker = try await Self.herd(
                ["breaker", "open", "g", "--connect", cluster.endpoint] + keys.peer("operator")
            )
            #expect(breaker.status == 0, "\(breaker.error)")
            let drain = try await Self.herd(
                ["drain", "--group", "g", "--grace", "1s", "--connect", cluster.endpoint] + keys.peer("operator")
            )
            #expect(drain.status == 0, "\(drain.error)")
            #expect(drain.output.contains { $0.contains("w1: drained") }, "\(drain.output)")
        }
    }

    @Test func test_groupKeysAndLimits_fromTheClusterFile() async throws {
        let keys = try Keys()
        let config = """
            [coordinator]
            heartbeat = "100ms"
            liveness = "600ms"
            secret-key = "\(keys.key("coordinator"))"
            client-keys = ["\(keys.pub("client"))"]
            max-fanout = 50
            max-payload-bytes = 64

            [[group]]
            name = "g"
            workers = 0
            worker-keys = ["\(keys.pub("worker"))"]
            """
        try await withCluster(config: config) { cluster in
            try await cluster.addWorker("w1", group: "g", extra: keys.peer("worker"))
            let ok = try await Self.herd(
                ["submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--fanout", "50"]
                    + keys.peer("client")
            )
            #expect(ok.status == 0, "\(ok.error)")
            let wide = try await Self.herd(
                ["submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--fanout", "51"]
                    + keys.peer("client")
            )
            #expect(wide.status == 2)
            #expect(
                wide.error.contains("limit exceeded: a job may have at most 50 subtasks, got 51 (max-fanout)"),
                "\(wide.error)"
            )
            let big = try await Self.herd(
                [
                    "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "echo", "--payload",
                    String(repeating: "x", count: 65),
                ] + keys.peer("client")
            )
            #expect(big.status == 2)
            #expect(big.error.contains("(max-payload-bytes)"), "\(big.error)")
        }
    }

    @Test func test_nonLoopbackBind_withoutKeys_refusesToStart_unlessInsecure() async throws {
        let refused = try await Self.herd(["coordinator", "--bind", "tcp://0.0.0.0:*"])
        #expect(refused.status == 2)
        #expect(refused.error.contains("refusing to listen on tcp://0.0.0.0:* without CURVE"), "\(refused.error)")
        #expect(refused.error.contains("--insecure"))
        let process = try ChildProcess(
            name: "insecure",
            executable: TestCluster.herd,
            arguments: ["coordinator", "--bind", "tcp://0.0.0.0:*", "--insecure"],
            environment: TestCluster.dieWithUs
        )
        let line = await process.firstLine { $0.hasPrefix(LocalCluster.listeningPrefix) }
        #expect(line != nil, "with --insecure it listens")
        process.signal(SIGKILL)
        _ = await process.waitForExit()
    }

    @Test func test_keygen_writesAPairTheCoordinatorReads() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herd-keygen-\(UUID().uuidString)"
        )
        .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let run = try await Self.herd(["keygen", "--out", directory + "/me"])
        #expect(run.status == 0, "\(run.error)")
        let pair = try KeyFiles.readPair(directory + "/me.key")
        #expect(run.output.contains("public key: \(pair.publicKey)"))
        #expect(try KeyFiles.publicKey(directory + "/me.pub") == pair.publicKey)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/me.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let again = try await Self.herd(["keygen", "--out", directory + "/me"])
        #expect(again.status == 2, "an existing key is never overwritten")
        // A key file whose path is 40 characters is read as a file, although the path is valid Z85
        // too ('/' and '.' are in its alphabet); `herd up` in /tmp/demo-try hit exactly that.
        let short = "/tmp/herd-k-\(UInt32.random(in: 100_000 ... 999_999))"
        let padded = short + "/" + String(repeating: "k", count: 40 - short.utf8.count - 5) + ".pub"
        #expect(padded.utf8.count == 40 && CurveKeyPair.isValidKey(padded))
        try FileManager.default.createDirectory(atPath: short, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: short) }
        try FileManager.default.copyItem(atPath: directory + "/me.pub", toPath: padded)
        #expect(try KeyFiles.publicKey(padded) == pair.publicKey)
    }
}
