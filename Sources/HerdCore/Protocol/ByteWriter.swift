/// Appends the primitive wire types of the Herd protocol to one growing byte array.
///
/// Integers are little-endian and fixed width; strings and blobs are a `u32` length then the bytes;
/// an optional is a `u8` presence flag (0 or 1) then the value; a boolean is a `u8` 0 or 1; a
/// duration is a `u64` count of milliseconds. The writer never validates limits: see ``WireCodec``
/// for which limits the encoder enforces (it truncates free text) and which it leaves to the
/// receiver (names, total size).
struct ByteWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8]

    /// Creates an empty writer whose buffer can hold `capacity` bytes without reallocating.
    init(capacity: Int) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    // MARK: - Integers

    mutating func u8(_ value: UInt8) {
        self.bytes.append(value)
    }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { self.bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { self.bytes.append(contentsOf: $0) }
    }

    /// Writes an array's element count as a `u32`.
    ///
    /// An array of more than `UInt32.max` elements cannot be held in memory and sent in a 64 MiB
    /// message, so exceeding it is a programming error.
    mutating func count(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "Herd wire: array of \(count) elements cannot be encoded")
        self.u32(UInt32(truncatingIfNeeded: count))
    }

    /// Writes a presence flag: 1 if `present`, else 0.
    mutating func flag(_ present: Bool) {
        self.bytes.append(present ? 1 : 0)
    }

    /// Writes a boolean as a `u8`: 1 for true, 0 for false.
    mutating func bool(_ value: Bool) {
        self.bytes.append(value ? 1 : 0)
    }

    /// Writes an optional `u64`: a presence flag, then the value if present.
    mutating func optionalU64(_ value: UInt64?) {
        if let value {
            self.flag(true)
            self.u64(value)
        } else {
            self.flag(false)
        }
    }

    // MARK: - Composite primitives

    /// Writes a byte blob: `u32` length, then the bytes.
    mutating func blob(_ value: [UInt8]) {
        self.count(value.count)
        self.bytes.append(contentsOf: value)
    }

    /// Writes a name (group, kind, worker, node) as `u32` length + UTF-8, unchanged.
    ///
    /// Names are identities: the encoder does not shorten them. A name over
    /// ``WireCodec/maxNameBytes`` is sent as is and rejected by the receiver with `tooLarge`;
    /// configuration should refuse such names before they reach the wire.
    mutating func name(_ value: String) {
        let utf8 = value.utf8
        self.count(utf8.count)
        self.bytes.append(contentsOf: utf8)
    }

    /// Writes free text as `u32` length + UTF-8, cut to at most ``WireCodec/maxTextBytes`` bytes
    /// at a Unicode scalar boundary, so that one over-long failure message cannot make a whole
    /// batch undeliverable.
    mutating func text(_ value: String) {
        let utf8 = value.utf8
        let count = utf8.count
        guard count > WireCodec.maxTextBytes else {
            self.u32(UInt32(truncatingIfNeeded: count))
            self.bytes.append(contentsOf: utf8)
            return
        }
        var end = utf8.index(utf8.startIndex, offsetBy: WireCodec.maxTextBytes)
        // Step back over continuation bytes (10xxxxxx) so the cut falls before a scalar's lead byte.
        while end > utf8.startIndex && utf8[end] & 0xC0 == 0x80 {
            end = utf8.index(before: end)
        }
        let prefix = utf8[utf8.startIndex ..< end]
        self.count(utf8.distance(from: utf8.startIndex, to: end))
        self.bytes.append(contentsOf: prefix)
    }

    /// Writes a duration as a `u64` count of whole milliseconds.
    ///
    /// Sub-millisecond parts are truncated toward zero, negative durations are written as 0 and
    /// durations beyond `UInt64.max` milliseconds as `UInt64.max`.
    mutating func duration(_ value: Duration) {
        self.u64(Self.milliseconds(value))
    }

    /// Writes an optional duration: a presence flag, then the milliseconds if present.
    mutating func optionalDuration(_ value: Duration?) {
        if let value {
            self.flag(true)
            self.duration(value)
        } else {
            self.flag(false)
        }
    }

    /// The whole milliseconds in `value`, clamped to `0...UInt64.max`.
    static func milliseconds(_ value: Duration) -> UInt64 {
        let (seconds, attoseconds) = value.components
        guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return 0 }
        // `components` keeps both parts the same sign, so here both are non-negative.
        let (wholeMs, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1000)
        if overflow { return .max }
        let (total, overflow2) = wholeMs.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000_000_000))
        return overflow2 ? .max : total
    }
}
