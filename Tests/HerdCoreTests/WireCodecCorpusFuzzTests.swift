import Foundation
import Testing

@testable import HerdCore

/// A seeded random corpus of multipart messages of every shape fed to the decoder: no crash, and
/// every reject is a ``ProtocolError`` with a message saying what and where.
///
/// CI runs 20,000 frames (about 3 s in a debug build); `bench/fuzz` runs 10^6 or more, with
/// `HERD_FUZZ_FRAMES` and `HERD_FUZZ_SEED` (a failing run prints its seed and message number).
@Suite struct WireCodecCorpusFuzzTests {
    static let frames = ProcessInfo.processInfo.environment["HERD_FUZZ_FRAMES"].flatMap { Int($0) } ?? 20_000
    static let seed =
        ProcessInfo.processInfo.environment["HERD_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x4845_5244_434F_5250
    /// A small message limit, so oversized frames are cheap to make.
    static let maxBytes = 4_096

    /// The shapes a hostile peer can send.
    enum Shape: CaseIterable {
        case empty, oneRandomFrame, headerOnly, headerAndRandomBody, manyFrames, mutatedValid, oversized, truncatedValid
    }

    /// One message of `shape`.
    static func message(_ shape: Shape, corpus: [[[UInt8]]], rng: inout SplitMix64) -> [[UInt8]] {
        func bytes(_ count: Int) -> [UInt8] { (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &rng) } }
        func header() -> [UInt8] {
            let command = WireCodec.Command.allCases.randomElement(using: &rng)!.rawValue
            let raw = Bool.random(using: &rng) ? command : UInt8.random(in: 0 ... 255, using: &rng)
            return [0x48, 0x44, herdProtocolVersion, raw]
        }
        switch shape {
        case .empty:
            return []
        case .oneRandomFrame:
            return [bytes(Int.random(in: 0 ..< 48, using: &rng))]
        case .headerOnly:
            return [header()]
        case .headerAndRandomBody:
            return [header(), bytes(Int.random(in: 0 ..< 256, using: &rng))]
        case .manyFrames:
            return [header()]
                + (0 ..< Int.random(in: 2 ... 8, using: &rng)).map { _ in bytes(Int.random(in: 0 ..< 32, using: &rng)) }
        case .mutatedValid:
            var frames = corpus.randomElement(using: &rng)!
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) { WireCodecFuzzTests.mutate(&frames, using: &rng) }
            return frames
        case .oversized:
            var frames = corpus.randomElement(using: &rng)!
            frames.append(bytes(Self.maxBytes + Int.random(in: 1 ... 64, using: &rng)))
            return frames
        case .truncatedValid:
            var frames = corpus.randomElement(using: &rng)!
            if let last = frames.indices.last, !frames[last].isEmpty {
                frames[last].removeLast(Int.random(in: 1 ... frames[last].count, using: &rng))
            }
            return frames
        }
    }

    @Test func test_decode_randomCorpusOfEveryShape_neverTraps_andEveryRejectSaysWhy() {
        var rng = SplitMix64(seed: Self.seed)
        let corpus = WireCodecFixtures.all.map(WireCodec.encode)
        var frames = 0
        var messages = 0
        var decoded = 0
        var rejected: [ProtocolError.Code: Int] = [:]
        while frames < Self.frames {
            let shape = Shape.allCases.randomElement(using: &rng)!
            let message = Self.message(shape, corpus: corpus, rng: &rng)
            frames += max(1, message.count)
            messages += 1
            do {
                let value = try WireCodec.decode(message, maxBytes: Self.maxBytes)
                decoded += 1
                let again = try? WireCodec.decode(WireCodec.encode(value))
                #expect(again == value, "seed \(Self.seed) message \(messages): \(message)")
            } catch {
                rejected[error.code, default: 0] += 1
                if error.message.count < 8 {
                    Issue.record("seed \(Self.seed) message \(messages): unclear reject '\(error.message)'")
                }
            }
        }
        print("decoder fuzz: \(frames) frames, \(messages) messages, \(decoded) decoded, rejected \(rejected)")
        #expect(decoded > 0)
        #expect(rejected[.malformed, default: 0] > 0)
        #expect(rejected[.tooLarge, default: 0] > 0)
    }
}
