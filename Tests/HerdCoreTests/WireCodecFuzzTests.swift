import Testing

@testable import HerdCore

/// Seeded mutation fuzzing: random damage to valid encodings must make ``WireCodec/decode(_:maxBytes:)``
/// throw or return, never trap. A run is replayed from its seed (printed on failure).
@Suite struct WireCodecFuzzTests {
    static let seed: UInt64 = 0x4845_5244_2D46_555A  // "HERD-FUZ"
    static let iterations = 20_000

    @Test func test_decode_randomMutationsOfValidEncodings_neverTrap() {
        var rng = SplitMix64(seed: Self.seed)
        // Every command is seeded (WireCodecFixtures.all covers them all, CANCEL, PARTIAL, CANCEL-JOB,
        // the extended SUBMIT, JOB-FINISHED and STATUS-REPLY, DRAIN, DRAIN-REQUEST with each target,
        // DRAIN-REPLY with empty and nested lists, JOB-NOTICE, BREAKER with each action, BREAKER-REPLY,
        // JOB-RESULTS with fallbacks and STATUS-REPLY with every resilience field included), plus
        // four larger batches.
        let bigCancel = Message.cancel(
            (0 ..< 20).map { AttemptRef(subtask: SubtaskRef(job: JobID(1), index: UInt32($0)), attempt: 1) }
        )
        let extra = [
            WireCodecFixtures.bigResults(20), bigCancel, WireCodecFixtures.bigDrainReply(workers: 6),
            WireCodecFixtures.bigStatusReply(workers: 8, groups: 3),
        ]
        let corpus = (WireCodecFixtures.all + extra).map(WireCodec.encode)
        var decoded = 0
        var rejected: [ProtocolError.Code: Int] = [:]
        for iteration in 0 ..< Self.iterations {
            var frames = corpus[Int.random(in: 0 ..< corpus.count, using: &rng)]
            let mutations = Int.random(in: 1 ... 4, using: &rng)
            for _ in 0 ..< mutations {
                Self.mutate(&frames, using: &rng)
            }
            do {
                let message = try WireCodec.decode(frames, maxBytes: 1 << 20)
                decoded += 1
                // Whatever decodes is a valid message: it must survive its own round trip.
                let again = try? WireCodec.decode(WireCodec.encode(message))
                #expect(again == message, "seed \(Self.seed) iteration \(iteration): \(frames)")
            } catch {
                rejected[error.code, default: 0] += 1
                #expect(!error.message.isEmpty)
            }
        }
        // The mutations must exercise both outcomes and more than one kind of rejection.
        #expect(decoded > 100, "seed \(Self.seed): only \(decoded) mutants decoded")
        #expect(rejected[.malformed, default: 0] > Self.iterations / 2)
        #expect(rejected[.unsupportedVersion, default: 0] > 0)
        #expect(rejected[.tooLarge, default: 0] > 0)
    }

    @Test func test_decode_randomBytes_neverTrap() {
        var rng = SplitMix64(seed: Self.seed ^ 0xFFFF)
        for _ in 0 ..< 2_000 {
            let command = WireCodec.Command.allCases.randomElement(using: &rng)!
            let body = (0 ..< Int.random(in: 0 ..< 64, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng)
            }
            _ = try? WireCodec.decode([[0x48, 0x44, herdProtocolVersion, command.rawValue], body])
        }
    }

    /// Random policy tags, quorum values and presence flags after a valid SUBMIT prefix: the decoder
    /// never traps, and whatever it accepts has a quorum of at least 1 and round-trips.
    @Test func test_decode_randomSubmitTails_neverTrapAndNeverYieldAZeroQuorum() {
        var rng = SplitMix64(seed: Self.seed ^ 0x5355_424D)  // "SUBM"
        let base = Submission(token: 1, group: "g", kind: "k", payloads: .list([[1]]), timeout: nil)
        let prefix = Array(wireBody(.submit(base)).dropLast(3))  // up to and including the timeout
        var accepted = 0
        var zeroQuorums = 0
        for _ in 0 ..< 5_000 {
            // A mostly well-formed tail (tag 0…5, quorum 0, 1 or random, flags 0…2), sometimes cut or extended.
            let tag = UInt8.random(in: 0 ... 5, using: &rng)
            var tail: [UInt8] = [tag]
            if tag == 3 {
                let k: UInt32 = [0, 1, .random(in: 0 ... UInt32.max, using: &rng)].randomElement(using: &rng)!
                withUnsafeBytes(of: k.littleEndian) { tail.append(contentsOf: $0) }
            }
            for width in [8, 16] {  // budget u64?, parent attempt?
                let flag = UInt8.random(in: 0 ... 2, using: &rng)
                tail.append(flag)
                if flag == 1 { tail += (0 ..< width).map { _ in UInt8.random(in: 0 ... 255, using: &rng) } }
            }
            switch Int.random(in: 0 ..< 6, using: &rng) {
            case 0: tail.removeLast(Int.random(in: 1 ... tail.count, using: &rng))
            case 1: tail.append(UInt8.random(in: 0 ... 255, using: &rng))
            default: break
            }
            let message: Message
            do {
                message = try WireCodec.decode([wireHeader(.submit), prefix + tail])
            } catch {
                if error.message.contains("quorum of 0") { zeroQuorums += 1 }
                continue
            }
            accepted += 1
            guard case .submit(let submission) = message else {
                Issue.record("decoded \(message) from a SUBMIT")
                continue
            }
            if case .quorum(let k) = submission.policy { #expect(k > 0) }
            #expect((try? WireCodec.decode(WireCodec.encode(message))) == message)
        }
        #expect(accepted > 500, "only \(accepted) random tails decoded")
        #expect(zeroQuorums > 50, "only \(zeroQuorums) zero quorums refused")
    }

    /// Random target tags, name lengths and cuts in DRAIN-REQUEST bodies, and random counts in
    /// DRAIN-REPLY bodies: the decoder never traps, and whatever it accepts round-trips.
    @Test func test_decode_randomDrainBodies_neverTrapAndRoundTrip() {
        var rng = SplitMix64(seed: Self.seed ^ 0x4452_4149)  // "DRAI"
        var accepted = 0
        var badTags = 0
        for _ in 0 ..< 5_000 {
            var writer = ByteWriter(capacity: 64)
            let command: WireCodec.Command
            if Bool.random(using: &rng) {
                command = .drain
                writer.u64(UInt64.random(in: 0 ... UInt64.max, using: &rng))
                writer.u8(UInt8.random(in: 0 ... 4, using: &rng))
                // A name of 0…8 letters whose declared length is mostly right, sometimes off or huge.
                let name = (0 ..< Int.random(in: 0 ... 8, using: &rng)).map { _ in
                    UInt8.random(in: 0x61 ... 0x7A, using: &rng)
                }
                let declared: UInt32 = [UInt32(name.count), UInt32(name.count), UInt32(name.count) + 1, 256, .max]
                    .randomElement(using: &rng)!
                writer.u32(declared)
                for byte in name { writer.u8(byte) }
                writer.u64(UInt64.random(in: 0 ... UInt64.max, using: &rng))
            } else {
                command = .drainReply
                writer.u64(1)
                let workers: UInt32 = [0, 1, 2, .random(in: 0 ... UInt32.max, using: &rng)].randomElement(using: &rng)!
                writer.u32(workers)
                for _ in 0 ..< Int.random(in: 0 ... 3, using: &rng) {
                    writer.name("w")
                    writer.u32(UInt32.random(in: 0 ... 9, using: &rng))
                    let moved: UInt32 = [0, 1, 2, .random(in: 0 ... UInt32.max, using: &rng)].randomElement(
                        using: &rng
                    )!
                    writer.u32(moved)
                    for _ in 0 ..< Int.random(in: 0 ... 2, using: &rng) {
                        writer.u64(7)
                        writer.u32(UInt32.random(in: 0 ... 9, using: &rng))
                        writer.name(Bool.random(using: &rng) ? "" : "w-2")
                    }
                }
            }
            var body = writer.bytes
            if Int.random(in: 0 ..< 4, using: &rng) == 0 {
                body.removeLast(Int.random(in: 0 ... body.count, using: &rng))
            }
            let message: Message
            do {
                message = try WireCodec.decode([wireHeader(command), body])
            } catch {
                if error.message.contains("bad target tag") { badTags += 1 }
                #expect(!error.message.isEmpty)
                continue
            }
            accepted += 1
            #expect(WireCodec.Command(message) == command)
            #expect((try? WireCodec.decode(WireCodec.encode(message))) == message)
            #expect(WireCodec.encode(message).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
        }
        #expect(accepted > 300, "only \(accepted) random drain bodies decoded")
        #expect(badTags > 100, "only \(badTags) bad target tags refused")
    }

    /// Random action tags, path lengths and cuts in BREAKER bodies, and random booleans and message
    /// lengths in BREAKER-REPLY bodies: the decoder never traps, and whatever it accepts round-trips.
    @Test func test_decode_randomBreakerBodies_neverTrapAndRoundTrip() {
        var rng = SplitMix64(seed: Self.seed ^ 0x4252_4B52)  // "BRKR"
        var accepted = 0
        var badTags = 0
        var tooLong = 0
        for _ in 0 ..< 5_000 {
            var writer = ByteWriter(capacity: 600)
            let command: WireCodec.Command
            writer.u64(UInt64.random(in: 0 ... UInt64.max, using: &rng))
            if Bool.random(using: &rng) {
                command = .breaker
                writer.u8(UInt8.random(in: 0 ... 5, using: &rng))
                // A path of 0…8 bytes or at the limit, its declared length mostly right, sometimes off or huge.
                let length = [Int.random(in: 0 ... 8, using: &rng), 511, 512].randomElement(using: &rng)!
                let path = (0 ..< length).map { _ in [0x67, 0x2F, 0x77, 0x2D].randomElement(using: &rng)! as UInt8 }
                let declared: UInt32 = [UInt32(length), UInt32(length), UInt32(length) + 1, 511, 512, .max]
                    .randomElement(using: &rng)!
                writer.u32(declared)
                for byte in path { writer.u8(byte) }
            } else {
                command = .breakerReply
                writer.u8(UInt8.random(in: 0 ... 2, using: &rng))
                let message = Array("g/w: forced-open".utf8.prefix(Int.random(in: 0 ... 16, using: &rng)))
                let declared: UInt32 = [UInt32(message.count), UInt32(message.count), UInt32(message.count) + 1, .max]
                    .randomElement(using: &rng)!
                writer.u32(declared)
                for byte in message { writer.u8(byte) }
            }
            var body = writer.bytes
            switch Int.random(in: 0 ..< 5, using: &rng) {
            case 0: body.removeLast(Int.random(in: 0 ... body.count, using: &rng))
            case 1: body.append(UInt8.random(in: 0 ... 255, using: &rng))
            default: break
            }
            let message: Message
            do {
                message = try WireCodec.decode([wireHeader(command), body])
            } catch {
                if error.message.contains("bad action tag") { badTags += 1 }
                if error.code == .tooLarge { tooLong += 1 }
                #expect(!error.message.isEmpty)
                continue
            }
            accepted += 1
            #expect(WireCodec.Command(message) == command)
            if case .breaker(let decoded) = message {
                #expect(decoded.path.utf8.count <= WireCodec.maxBreakerPathBytes)
            }
            #expect((try? WireCodec.decode(WireCodec.encode(message))) == message)
            #expect(WireCodec.encode(message).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
        }
        #expect(accepted > 500, "only \(accepted) random breaker bodies decoded")
        #expect(badTags > 100, "only \(badTags) bad action tags refused")
        #expect(tooLong > 100, "only \(tooLong) over-long paths refused")
    }

    /// Random resilience tails after a valid STATUS-REPLY prefix: random categories (0…14) and
    /// counts in `errors`, sometimes a huge count, sometimes cut. Never traps; accepted ones round-trip.
    @Test func test_decode_randomStatusResilienceTails_neverTrapAndRoundTrip() {
        var rng = SplitMix64(seed: Self.seed ^ 0x5354_4154)  // "STAT"
        var accepted = 0
        var badCategories = 0
        var hugeCounts = 0
        for _ in 0 ..< 5_000 {
            var writer = ByteWriter(capacity: 128)
            writer.u64(1)  // token
            writer.text("c")
            writer.u32(0)  // workers
            writer.u32(1)  // groups
            writer.name("g")
            for _ in 0 ..< 3 { writer.u32(UInt32.random(in: 0 ... 9, using: &rng)) }
            writer.text(["closed", "open", ""].randomElement(using: &rng)!)
            writer.name(Bool.random(using: &rng) ? "" : "cpu")
            writer.u32(0)  // jobs
            writer.text(["closed", "forced-open", "half-open"].randomElement(using: &rng)!)
            for _ in 0 ..< 3 { writer.u32(UInt32.random(in: 0 ... UInt32.max, using: &rng)) }
            let entries = Int.random(in: 0 ... 4, using: &rng)
            let declared: UInt32 = [UInt32(entries), UInt32(entries), UInt32(entries) + 1, .max]
                .randomElement(using: &rng)!
            writer.u32(declared)
            for _ in 0 ..< entries {
                writer.u8(UInt8.random(in: 0 ... 14, using: &rng))
                writer.u32(UInt32.random(in: 0 ... UInt32.max, using: &rng))
            }
            writer.u32(UInt32.random(in: 0 ... UInt32.max, using: &rng))  // recentCalls
            writer.text(["", "/var/lib/herd/journal.sqlite: 12 records, 4096 bytes"].randomElement(using: &rng)!)  // journal
            var body = writer.bytes
            if Int.random(in: 0 ..< 5, using: &rng) == 0 {
                body.removeLast(Int.random(in: 0 ... body.count, using: &rng))
            }
            let message: Message
            do {
                message = try WireCodec.decode([wireHeader(.statusReply), body])
            } catch {
                if error.message.contains("unknown error category") { badCategories += 1 }
                if error.message.contains("count 4294967295 needs") { hugeCounts += 1 }
                // A miscounted errors array reads into the journal text: its bytes may then claim a
                // string over the limit (tooLarge); anything else is malformed.
                #expect(
                    error.code == .malformed || (error.code == .tooLarge && error.message.contains("exceeds the limit"))
                )
                continue
            }
            accepted += 1
            guard case .statusReply(let report) = message else {
                Issue.record("decoded \(message) from a STATUS-REPLY")
                continue
            }
            #expect(report.errors.count == entries)
            #expect((try? WireCodec.decode(WireCodec.encode(message))) == message)
            #expect(WireCodec.encode(message).reduce(0) { $0 + $1.count } == WireCodec.encodedSize(of: message))
        }
        #expect(accepted > 500, "only \(accepted) random status tails decoded")
        #expect(badCategories > 500, "only \(badCategories) unknown categories refused")
        #expect(hugeCounts > 300, "only \(hugeCounts) huge counts refused")
    }

    /// Applies one random mutation to `frames`.
    static func mutate(_ frames: inout [[UInt8]], using rng: inout SplitMix64) {
        let frameIndex = frames.count > 1 && Int.random(in: 0 ..< 8, using: &rng) != 0 ? frames.count - 1 : 0
        var frame = frames[frameIndex]
        switch Int.random(in: 0 ..< 11, using: &rng) {
        case 0 where !frame.isEmpty:  // flip one bit
            let index = Int.random(in: 0 ..< frame.count, using: &rng)
            frame[index] ^= 1 << UInt8.random(in: 0 ..< 8, using: &rng)
        case 1 where !frame.isEmpty:  // overwrite one byte
            frame[Int.random(in: 0 ..< frame.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
        case 2 where !frame.isEmpty:  // truncate
            frame.removeLast(Int.random(in: 1 ... frame.count, using: &rng))
        case 3:  // insert random bytes
            let index = Int.random(in: 0 ... frame.count, using: &rng)
            let count = Int.random(in: 1 ... 8, using: &rng)
            frame.insert(contentsOf: (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }, at: index)
        case 4 where !frame.isEmpty:  // delete a range
            let start = Int.random(in: 0 ..< frame.count, using: &rng)
            let end = Int.random(in: start ... min(frame.count, start + 16), using: &rng)
            frame.removeSubrange(start ..< end)
        case 5 where frame.count >= 4:  // overwrite a plausible u32 length or count
            let index = Int.random(in: 0 ... (frame.count - 4), using: &rng)
            let value: UInt32 = [0, 1, 255, 256, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt32(frame.count)]
                .randomElement(using: &rng)!
            withUnsafeBytes(of: value.littleEndian) { frame.replaceSubrange(index ..< (index + 4), with: $0) }
        case 6 where !frame.isEmpty:  // duplicate a region
            let start = Int.random(in: 0 ..< frame.count, using: &rng)
            let end = Int.random(in: start ... min(frame.count, start + 32), using: &rng)
            frame.insert(contentsOf: frame[start ..< end], at: Int.random(in: 0 ... frame.count, using: &rng))
        case 7:  // damage the header: version, command or magic
            var header = frames[0]
            if header.count == 4 {
                header[Int.random(in: 0 ..< 4, using: &rng)] = UInt8.random(in: 0 ... 0x80, using: &rng)
            }
            frames[0] = header
            return
        case 8:  // add or drop a frame
            if frames.count > 1 && Bool.random(using: &rng) {
                frames.removeLast()
            } else {
                frames.append(Bool.random(using: &rng) ? [] : [0x00, 0x01])
            }
            return
        case 9:  // make it huge
            frame.append(contentsOf: [UInt8](repeating: 0, count: 1 << 20))
        default:  // swap in a body of another command
            let other = WireCodecFixtures.all.randomElement(using: &rng)!
            let encoded = WireCodec.encode(other)
            if encoded.count == 2 { frame = encoded[1] }
        }
        frames[frameIndex] = frame
    }
}
