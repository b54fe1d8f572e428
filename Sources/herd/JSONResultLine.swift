import HerdCore

/// The `--json` line of a successful result, written byte by byte: `herd submit` prints one per
/// subtask, and `JSONEncoder` (a `Codable` tree, a dictionary and a sort per line) cost more CPU
/// than the coordinator spends on the subtask (issue 13's end-to-end figure). The bytes are exactly
/// `JSONEncoder`'s with `.sortedKeys` and `.withoutEscapingSlashes`, which `SubmitOutput` uses for
/// every other line (a test compares the two on awkward strings); failures, rarer and with nested
/// causes, keep the encoder.
enum JSONResultLine {
    /// Appends `{"attempts":A,"fallback":F,"index":I,"job":J,"output":O,"status":"ok","worker":W}`
    /// (without `fallback` when the result came from its own group) and no newline.
    static func appendSuccess(
        _ result: JobResult,
        output: [UInt8],
        to line: inout [UInt8]
    ) {
        line.append(contentsOf: #"{"attempts":"#.utf8)
        self.appendNumber(UInt64(result.attempts), to: &line)
        if let fallback = result.fallback {
            line.append(contentsOf: #","fallback":"#.utf8)
            self.appendString(Array(fallback.wireName.utf8), to: &line)
        }
        line.append(contentsOf: #","index":"#.utf8)
        self.appendNumber(UInt64(result.subtask.index), to: &line)
        line.append(contentsOf: #","job":"#.utf8)
        self.appendNumber(result.subtask.job.rawValue, to: &line)
        line.append(contentsOf: #","output":"#.utf8)
        self.appendString(output, to: &line)
        line.append(contentsOf: #","status":"ok","worker":"#.utf8)
        self.appendString(Array(result.worker.utf8), to: &line)
        line.append(UInt8(ascii: "}"))
    }

    static func appendNumber(_ value: UInt64, to line: inout [UInt8]) {
        guard value >= 10 else {
            line.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: [UInt8] = []
        var rest = value
        while rest > 0 {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        line.append(contentsOf: digits.reversed())
    }

    /// A JSON string of `bytes` read as UTF-8 (ill-formed sequences become U+FFFD, as
    /// `String(decoding:as:)` makes them): `"` and `\` escaped, control characters as `JSONEncoder`
    /// writes them (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`), everything else as is.
    static func appendString(_ bytes: [UInt8], to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            line.append(contentsOf: bytes)  // the common case: plain ASCII, nothing to escape
        } else {
            for byte in String(decoding: bytes, as: UTF8.self).utf8 { self.appendEscaped(byte, to: &line) }
        }
        line.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ byte: UInt8, to line: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): line.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): line.append(contentsOf: #"\\"#.utf8)
        case 0x0A: line.append(contentsOf: #"\n"#.utf8)
        case 0x0D: line.append(contentsOf: #"\r"#.utf8)
        case 0x09: line.append(contentsOf: #"\t"#.utf8)
        case 0x08: line.append(contentsOf: #"\b"#.utf8)
        case 0x0C: line.append(contentsOf: #"\f"#.utf8)
        case 0x00 ..< 0x20:
            let hex = Array("0123456789abcdef".utf8)
            line.append(contentsOf: #"\u00"#.utf8)
            line.append(hex[Int(byte >> 4)])
            line.append(hex[Int(byte & 0x0F)])
        default: line.append(byte)
        }
    }
}
