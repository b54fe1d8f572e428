/// Reads the primitive wire types of the Herd protocol from one frame with an index cursor.
///
/// The reader never traps and never allocates from an untrusted length before checking it
/// against the bytes that remain. Every failure is a ``ProtocolError`` whose message names the
/// command, the byte offset in the body, what was being read and, inside an array, which element
/// (`results: truncated at byte 17 reading u64 usage of results[0]`), also inside an array of an
/// array element (`... of workers[1].moved[0]`).
///
/// - Important: The reader holds an unsafe pointer into the frame; it must not outlive the
///   `withUnsafeBufferPointer` call that created it.
struct ByteReader {
    /// The frame being read.
    private let buffer: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    private(set) var offset: Int = 0
    /// The command being decoded, for error messages (`"results"`).
    private let command: StaticString
    /// The array being decoded, if any, for error messages (`"results"`, `"kinds"`).
    private var array: StaticString?
    /// The index of the element of ``array`` being decoded.
    private var element: Int = 0
    /// The array inside an element of ``array`` being decoded, if any (`"moved"`).
    private var nestedArray: StaticString?
    /// The index of the element of ``nestedArray`` being decoded.
    private var nestedElement: Int = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>, command: StaticString) {
        self.buffer = buffer
        self.command = command
    }

    /// The number of bytes not read yet.
    var remaining: Int { self.buffer.count - self.offset }

    // MARK: - Errors

    /// Where the reader is, as it appears at the end of an error message.
    private var location: String {
        guard let array = self.array else { return "" }
        guard let nested = self.nestedArray else { return " of \(array)[\(self.element)]" }
        return " of \(array)[\(self.element)].\(nested)[\(self.nestedElement)]"
    }

    /// A `.malformed` error prefixed with the command name and suffixed with the array element.
    func malformed(_ what: String) -> ProtocolError {
        ProtocolError(.malformed, "\(self.command): \(what)\(self.location)")
    }

    /// A `.tooLarge` error prefixed with the command name and suffixed with the array element.
    func tooLarge(_ what: String) -> ProtocolError {
        ProtocolError(.tooLarge, "\(self.command): \(what)\(self.location)")
    }

    /// Throws unless `count` more bytes can be read.
    private func need(_ count: Int, _ type: StaticString, _ field: StaticString) throws(ProtocolError) {
        if self.remaining < count {
            throw self.malformed("truncated at byte \(self.offset) reading \(type) \(field)")
        }
    }

    // MARK: - Arrays

    /// Marks the start of element `index` of the array named `name`, for error messages.
    mutating func enter(_ name: StaticString, element index: Int) {
        self.array = name
        self.element = index
    }

    /// Marks the end of an array, for error messages.
    mutating func leave() {
        self.array = nil
        self.nestedArray = nil
    }

    /// Marks the start of element `index` of the array named `name` inside the current element
    /// of the array entered with ``enter(_:element:)``, for error messages.
    mutating func enterNested(_ name: StaticString, element index: Int) {
        self.nestedArray = name
        self.nestedElement = index
    }

    /// Marks the end of a nested array: back in the enclosing element.
    mutating func leaveNested() {
        self.nestedArray = nil
    }

    /// Reads an array's `u32` element count and checks that the bytes left could hold that many
    /// elements of at least `minimumSize` bytes each.
    mutating func count(_ field: StaticString, minimumSize: Int) throws(ProtocolError) -> Int {
        let start = self.offset
        let count = Int(try self.u32(field))
        let (needed, overflow) = count.multipliedReportingOverflow(by: minimumSize)
        if overflow || needed > self.remaining {
            throw self.malformed(
                "truncated at byte \(start) reading u32 \(field): count \(count) needs at least "
                    + "\(count) × \(minimumSize) bytes, only \(self.remaining) left"
            )
        }
        return count
    }

    // MARK: - Integers

    mutating func u8(_ field: StaticString) throws(ProtocolError) -> UInt8 {
        try self.need(1, "u8", field)
        defer { self.offset += 1 }
        return self.buffer[self.offset]
    }

    mutating func u32(_ field: StaticString) throws(ProtocolError) -> UInt32 {
        try self.need(4, "u32", field)
        defer { self.offset += 4 }
        return UInt32(
            littleEndian: UnsafeRawBufferPointer(self.buffer).loadUnaligned(
                fromByteOffset: self.offset,
                as: UInt32.self
            )
        )
    }

    mutating func u64(_ field: StaticString) throws(ProtocolError) -> UInt64 {
        try self.need(8, "u64", field)
        defer { self.offset += 8 }
        return UInt64(
            littleEndian: UnsafeRawBufferPointer(self.buffer).loadUnaligned(
                fromByteOffset: self.offset,
                as: UInt64.self
            )
        )
    }

    /// Reads a presence flag; any value other than 0 or 1 is malformed.
    mutating func flag(_ field: StaticString) throws(ProtocolError) -> Bool {
        let start = self.offset
        switch try self.u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw self.malformed("bad presence flag \(other) at byte \(start) for \(field)")
        }
    }

    /// Reads a boolean (`u8` 0 or 1); any other value is malformed.
    mutating func bool(_ field: StaticString) throws(ProtocolError) -> Bool {
        let start = self.offset
        switch try self.u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw self.malformed("bad boolean \(other) at byte \(start) for \(field); expected 0 or 1")
        }
    }

    /// Reads an optional `u64`: a presence flag, then the value if present.
    mutating func optionalU64(_ field: StaticString) throws(ProtocolError) -> UInt64? {
        try self.flag(field) ? try self.u64(field) : nil
    }

    // MARK: - Composite primitives

    /// Reads a `u32` length and returns the offset range of that many following bytes.
    private mutating func lengthPrefixed(
        _ type: StaticString,
        _ field: StaticString,
        limit: Int
    ) throws(ProtocolError) -> Range<Int> {
        let start = self.offset
        let length = Int(try self.u32(field))
        if length > limit {
            throw self.tooLarge("\(type) \(field) of \(length) bytes at byte \(start) exceeds the limit of \(limit)")
        }
        if length > self.remaining {
            throw self.malformed(
                "truncated at byte \(start) reading \(type) \(field): length \(length), only \(self.remaining) left"
            )
        }
        defer { self.offset += length }
        return self.offset ..< (self.offset + length)
    }

    /// Reads a byte blob: `u32` length, then the bytes.
    mutating func blob(_ field: StaticString) throws(ProtocolError) -> [UInt8] {
        let range = try self.lengthPrefixed("bytes", field, limit: Int.max)
        return Array(UnsafeBufferPointer(rebasing: self.buffer[range]))
    }

    /// Reads a name (at most ``WireCodec/maxNameBytes`` bytes of UTF-8).
    mutating func name(_ field: StaticString) throws(ProtocolError) -> String {
        try self.string("name", field, limit: WireCodec.maxNameBytes)
    }

    /// Reads free text (at most ``WireCodec/maxTextBytes`` bytes of UTF-8).
    mutating func text(_ field: StaticString) throws(ProtocolError) -> String {
        try self.string("string", field, limit: WireCodec.maxTextBytes)
    }

    /// Reads a breaker path: text of at most ``WireCodec/maxBreakerPathBytes`` bytes of UTF-8.
    mutating func breakerPath(_ field: StaticString) throws(ProtocolError) -> String {
        try self.string("string", field, limit: WireCodec.maxBreakerPathBytes)
    }

    private mutating func string(
        _ type: StaticString,
        _ field: StaticString,
        limit: Int
    ) throws(ProtocolError) -> String {
        let start = self.offset
        let range = try self.lengthPrefixed(type, field, limit: limit)
        guard let string = String(validating: UnsafeBufferPointer(rebasing: self.buffer[range]), as: UTF8.self) else {
            throw self.malformed("bad UTF-8 in \(type) \(field) at byte \(start)")
        }
        return string
    }

    /// Reads a duration (`u64` milliseconds).
    mutating func duration(_ field: StaticString) throws(ProtocolError) -> Duration {
        let milliseconds = try self.u64(field)
        return Duration(
            secondsComponent: Int64(milliseconds / 1000),
            attosecondsComponent: Int64(milliseconds % 1000) * 1_000_000_000_000_000
        )
    }

    /// Reads an optional duration: a presence flag, then the milliseconds if present.
    mutating func optionalDuration(_ field: StaticString) throws(ProtocolError) -> Duration? {
        try self.flag(field) ? try self.duration(field) : nil
    }

    // MARK: - End

    /// Throws if any byte is left unread.
    func finish() throws(ProtocolError) {
        if self.remaining > 0 {
            throw ProtocolError(
                .malformed,
                "\(self.command): \(self.remaining) trailing bytes at byte \(self.offset) after the last field"
            )
        }
    }
}
