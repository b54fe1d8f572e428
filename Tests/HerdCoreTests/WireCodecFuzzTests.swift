import Testing

@testable import HerdCore

/// Seeded mutation fuzzing: random damage to valid encodings must make ``WireCodec/decode(_:maxBytes:)``
/// throw or return, never trap. A run is replayed from its seed (printed on failure).
@Suite struct WireCodecFuzzTests {
    static let seed: UInt64 = 0x4845_5244_2D46_555A  // "HERD-FUZ"
    static let iterations = 20_000

    @Test func test_decode_randomMutationsOfValidEncodings_neverTrap() {
        var rng = SplitMix64(seed: Self.seed)
        // Every command is seeded (WireCodecFixtures.all covers them all, CANCEL, PARTIAL, CANCEL-JOB
        // and the extended SUBMIT, JOB-FINISHED and STATUS-REPLY included), plus two larger batches.
        let bigCancel = Message.cancel(
            (0..<20).map { AttemptRef(subtask: SubtaskRef(job: JobID(1), index: UInt32($0)), attempt: 1) }
        )
        let corpus = (WireCodecFixtures.all + [WireCodecFixtures.bigResults(20), bigCancel]).map(WireCodec.encode)
        var decoded = 0
        var rejected: [ProtocolError.Code: Int] = [:]
        for iteration in 0..<Self.iterations {
            var frames = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
            let mutations = Int.random(in: 1...4, using: &rng)
            for _ in 0..<mutations {
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
        for _ in 0..<2_000 {
            let command = WireCodec.Command.allCases.randomElement(using: &rng)!
            let body = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? WireCodec.decode([[0x48, 0x44, 0x01, command.rawValue], body])
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
        for _ in 0..<5_000 {
            // A mostly well-formed tail (tag 0…5, quorum 0, 1 or random, flags 0…2), sometimes cut or extended.
            let tag = UInt8.random(in: 0...5, using: &rng)
            var tail: [UInt8] = [tag]
            if tag == 3 {
                let k: UInt32 = [0, 1, .random(in: 0...UInt32.max, using: &rng)].randomElement(using: &rng)!
                withUnsafeBytes(of: k.littleEndian) { tail.append(contentsOf: $0) }
            }
            for width in [8, 16] {  // budget u64?, parent attempt?
                let flag = UInt8.random(in: 0...2, using: &rng)
                tail.append(flag)
                if flag == 1 { tail += (0..<width).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: tail.removeLast(Int.random(in: 1...tail.count, using: &rng))
            case 1: tail.append(UInt8.random(in: 0...255, using: &rng))
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

    /// Applies one random mutation to `frames`.
    static func mutate(_ frames: inout [[UInt8]], using rng: inout SplitMix64) {
        let frameIndex = frames.count > 1 && Int.random(in: 0..<8, using: &rng) != 0 ? frames.count - 1 : 0
        var frame = frames[frameIndex]
        switch Int.random(in: 0..<11, using: &rng) {
        case 0 where !frame.isEmpty:  // flip one bit
            let index = Int.random(in: 0..<frame.count, using: &rng)
            frame[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case 1 where !frame.isEmpty:  // overwrite one byte
            frame[Int.random(in: 0..<frame.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        case 2 where !frame.isEmpty:  // truncate
            frame.removeLast(Int.random(in: 1...frame.count, using: &rng))
        case 3:  // insert random bytes
            let index = Int.random(in: 0...frame.count, using: &rng)
            let count = Int.random(in: 1...8, using: &rng)
            frame.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: index)
        case 4 where !frame.isEmpty:  // delete a range
            let start = Int.random(in: 0..<frame.count, using: &rng)
            let end = Int.random(in: start...min(frame.count, start + 16), using: &rng)
            frame.removeSubrange(start..<end)
        case 5 where frame.count >= 4:  // overwrite a plausible u32 length or count
            let index = Int.random(in: 0...(frame.count - 4), using: &rng)
            let value: UInt32 = [0, 1, 255, 256, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt32(frame.count)]
                .randomElement(using: &rng)!
            withUnsafeBytes(of: value.littleEndian) { frame.replaceSubrange(index..<(index + 4), with: $0) }
        case 6 where !frame.isEmpty:  // duplicate a region
            let start = Int.random(in: 0..<frame.count, using: &rng)
            let end = Int.random(in: start...min(frame.count, start + 32), using: &rng)
            frame.insert(contentsOf: frame[start..<end], at: Int.random(in: 0...frame.count, using: &rng))
        case 7:  // damage the header: version, command or magic
            var header = frames[0]
            if header.count == 4 {
                header[Int.random(in: 0..<4, using: &rng)] = UInt8.random(in: 0...0x80, using: &rng)
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
