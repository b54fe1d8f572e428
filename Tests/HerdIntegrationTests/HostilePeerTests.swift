import Foundation
import HerdCore
import HerdLauncher
import HerdTestKit
import HerdZMQ
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A hostile peer never takes the coordinator down: random multipart messages of every shape from
/// a valid key, oversized frames, hundreds of sockets that connect and vanish (known, unknown and
/// plain-text keys), and a valid key that floods submissions, all while a normal 1,000-subtask job
/// runs. That job returns every result once, and the coordinator's memory stays bounded.
@Suite(.serialized, .timeLimit(.minutes(3))) struct HostilePeerTests {
    /// The coordinator's resident memory, from /proc.
    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// What the hostile peer did, and what it heard.
    struct Report: Sendable {
        var garbage = 0
        var oversized = 0
        var churned = 0
        var floods = 0
        var rateLimited = 0
        var errors = 0
    }

    /// One hostile run against `endpoint`, synchronous on the calling thread (one thread owns
    /// every socket it opens).
    static func attack(endpoint: String, serverKey: String, valid: CurveKeyPair, seed: UInt64) throws -> Report {
        var rng = SplitMix64(seed: seed)
        var report = Report()
        let context = try ZMQContext()
        func dealer(_ pair: CurveKeyPair?) throws -> ZMQSocket {
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.sendHighWaterMark(100_000))
            if let pair { try socket.secure(.client(pair, serverKey: serverKey)) }
            try socket.connect(endpoint)
            return socket
        }
        func bytes(_ count: Int) -> [UInt8] { (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &rng) } }
        // 1. Random multipart messages of every shape, from a valid key.
        let garbage = try dealer(valid)
        for _ in 0 ..< 3_000 {
            let command = WireCodec.Command.allCases.randomElement(using: &rng)!.rawValue
            var frames: [[UInt8]]
            switch Int.random(in: 0 ..< 5, using: &rng) {
            case 0: frames = [bytes(Int.random(in: 0 ..< 16, using: &rng))]
            case 1: frames = [[0x48, 0x44, 1, command]]
            case 2: frames = [[0x48, 0x44, 1, command], bytes(Int.random(in: 0 ..< 200, using: &rng))]
            case 3:
                frames = (0 ..< Int.random(in: 2 ... 9, using: &rng)).map { _ in
                    bytes(Int.random(in: 0 ..< 40, using: &rng))
                }
            default: frames = [[0x48, 0x44, UInt8.random(in: 0 ... 255, using: &rng), command], bytes(8)]
            }
            if frames.allSatisfy(\.isEmpty) { frames = [[0]] }
            if try garbage.send(frames) { report.garbage += 1 }
        }
        // 2. Oversized frames: libzmq drops the connection (ZMQ_MAXMSGSIZE).
        for _ in 0 ..< 5 {
            let big = try dealer(valid)
            if try big.send([[0x48, 0x44, 1, 0x30], [UInt8](repeating: 0x41, count: 1 << 20)]) {
                report.oversized += 1
            }
            big.close()
        }
        // 3. Hundreds of sockets that connect, say something (or not) and vanish.
        let stranger = try CurveKeyPair.generate()
        for n in 0 ..< 300 {
            let pair: CurveKeyPair? = [valid, stranger, nil][n % 3]
            let socket = try dealer(pair)
            if n % 2 == 0 { _ = try socket.send(WireCodec.encode(.statusRequest(token: UInt64(n + 1)))) }
            socket.close()
            report.churned += 1
        }
        // 4. A valid key floods submissions.
        let flood = try dealer(valid)
        for n in 0 ..< 2_000 {
            let submission = Submission(
                token: UInt64(n + 1),
                group: "g",
                kind: "echo",
                payloads: .template(Array("flood {index}".utf8), count: 1)
            )
            if try flood.send(WireCodec.encode(.submit(submission))) { report.floods += 1 }
        }
        // Read what the flood and the garbage were answered: until every SUBMIT of the flood had its
        // answer (ACCEPTED or REJECTED) and some garbage its ERROR, or 60 s on a crawling machine.
        let until = ContinuousClock.now.advanced(by: .seconds(60))
        var answered = 0
        while ContinuousClock.now < until, answered < report.floods || report.errors == 0 {
            var got = false
            for socket in [flood, garbage] {
                while let frames = try socket.receive() {
                    got = true
                    switch try? WireCodec.decode(frames) {
                    case .rejected(let rejection):
                        answered += 1
                        if rejection.failure.category == .rateLimited { report.rateLimited += 1 }
                    case .accepted: answered += 1
                    case .error: report.errors += 1
                    default: break
                    }
                }
            }
            if !got { usleep(10_000) }  // a plain poll: this peer is hostile, not well-behaved
        }
        flood.close()
        garbage.close()
        return report
    }

    @Test func test_hostilePeer_neverTakesTheCoordinatorDown_andANormalJobReturnsEveryResultOnce() async throws {
        let keys = try SecurityTests.Keys(["coordinator", "worker", "client", "hostile"])
        let config = """
            [coordinator]
            heartbeat = "100ms"
            liveness = "600ms"
            max-message-bytes = 262_144
            max-submissions-per-second = 50
            """
        let arguments = [
            "--secret-key", keys.key("coordinator"), "--allow-worker", keys.pub("worker"), "--allow-client",
            keys.pub("client"), "--allow-client", keys.pub("hostile"),
        ]
        try await withCluster(config: config, coordinatorArguments: arguments) { cluster in
            try await cluster.addWorker("w1", group: "g", capacity: 16, extra: keys.peer("worker"))
            try await cluster.addWorker("w2", group: "g", capacity: 16, extra: keys.peer("worker"))
            let pid = cluster.coordinator.pid
            let before = Self.residentKiB(pid)
            let hostile = try KeyFiles.readPair(keys.key("hostile"))
            let serverKey = try KeyFiles.publicKey(keys.pub("coordinator"))
            let endpoint = cluster.endpoint
            let attack = Task.detached {
                try Self.attack(endpoint: endpoint, serverKey: serverKey, valid: hostile, seed: 0x484F_5354)
            }
            let job = try await cluster.submit(
                ["--group", "g", "--kind", "echo", "--fanout", "1000", "--payload", "item {index}"]
                    + keys.peer("client")
            )
            let report = try await attack.value
            #expect(job.status == 0)
            #expect(job.results.count == 1000, "every result")
            #expect(Set(job.results.indexes) == Set(0 ..< 1000), "each once")
            #expect(job.results.allSatisfy { ($0["output"] as? String) == "item \($0["index"] as! Int)" })
            #expect(report.rateLimited > 0, "the flood was rate-limited: \(report)")
            #expect(report.errors > 0, "garbage is answered with ERROR: \(report)")
            #expect(cluster.coordinator.isRunning, "the coordinator is still up")
            // Still serving: status with the client key.
            let status = try await SecurityTests.herd(["status", "--connect", cluster.endpoint] + keys.peer("client"))
            #expect(status.status == 0, "\(status.error)")
            let after = Self.residentKiB(pid)
            #expect(after - before < 128 * 1024, "coordinator RSS \(before) KiB → \(after) KiB")
            print("hostile peer: \(report); coordinator RSS \(before) KiB → \(after) KiB")
        }
    }
}
