import HerdCore

/// The simulator's one source of randomness: a ``SplitMix64`` generator with the few draws the
/// world needs. Every decision of a run comes from here, so a seed replays the run exactly.
public struct SimRandom: Sendable {
    private var generator: SplitMix64

    /// A generator for `seed`.
    public init(seed: UInt64) { self.generator = SplitMix64(seed: seed) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 { self.generator.next() }

    /// A uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self.generator)
    }

    /// True with probability `probability` (0...1).
    public mutating func chance(_ probability: Double) -> Bool {
        Double(self.generator.next() >> 11) * 0x1.0p-53 < probability
    }

    /// A uniform duration between `low` and `high` milliseconds, with microsecond resolution.
    public mutating func milliseconds(_ low: Int, _ high: Int) -> Duration {
        .microseconds(self.int(low * 1000 ... high * 1000))
    }

    /// A uniformly chosen element of a non-empty array.
    public mutating func pick<Element>(_ elements: [Element]) -> Element {
        precondition(!elements.isEmpty, "pick from an empty array")
        return elements[self.int(0 ... elements.count - 1)]
    }

    /// An index chosen with probability proportional to `weights` (which must not all be zero).
    public mutating func weighted(_ weights: [Int]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "weights must not all be zero")
        var draw = self.int(0 ... total - 1)
        for (index, weight) in weights.enumerated() {
            if draw < weight { return index }
            draw -= weight
        }
        return weights.count - 1
    }
}
