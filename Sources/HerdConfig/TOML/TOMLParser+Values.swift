// MARK: - Values

extension TOMLParser {
    /// How deeply arrays may nest before the reader gives up.
    static let maximumArrayDepth = 32

    /// Reads the value after `=`, or an element of an array.
    mutating func parseValue(depth: Int) throws(ConfigError) -> TOMLValue {
        switch self.peek() {
        case UInt8(ascii: "\""):
            if self.peek(offset: 1) == UInt8(ascii: "\""), self.peek(offset: 2) == UInt8(ascii: "\"") {
                throw self.error("multi-line strings are not supported by Herd's config reader; use \"...\" with \\n")
            }
            return .string(try self.parseBasicString())
        case UInt8(ascii: "'"):
            if self.peek(offset: 1) == UInt8(ascii: "'"), self.peek(offset: 2) == UInt8(ascii: "'") {
                throw self.error("multi-line strings are not supported by Herd's config reader; use \"...\" with \\n")
            }
            return .string(try self.parseLiteralString())
        case UInt8(ascii: "["):
            return try self.parseArray(depth: depth)
        case UInt8(ascii: "{"):
            throw self.error("inline tables are not supported by Herd's config reader; use a [table] header")
        default:
            return try self.parseBareValue()
        }
    }

    // MARK: Strings

    /// Reads a `"..."` string, resolving its escapes.
    private mutating func parseBasicString() throws(ConfigError) -> String {
        self.position += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = self.peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw self.error("unterminated string; a string must end with '\"' on the line it starts")
            }
            switch byte {
            case UInt8(ascii: "\""):
                self.position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                self.position += 1
                try self.parseEscape(into: &utf8)
            case _ where byte.isTOMLControlCharacter:
                throw self.error("\(self.describeNext()) must be escaped in a string")
            default:
                utf8.append(byte)
                self.position += 1
            }
        }
    }

    /// Reads the escape after a backslash.
    private mutating func parseEscape(into utf8: inout [UInt8]) throws(ConfigError) {
        guard let byte = self.peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
            throw self.error("unterminated string; a string must end with '\"' on the line it starts")
        }
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case UInt8(ascii: "n"): UInt8(ascii: "\n")
            case UInt8(ascii: "t"): UInt8(ascii: "\t")
            case UInt8(ascii: "r"): UInt8(ascii: "\r")
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            default: nil
            }
        if let simple {
            utf8.append(simple)
            self.position += 1
            return
        }
        guard byte == UInt8(ascii: "u") || byte == UInt8(ascii: "U") else {
            let escape = self.describeNext().dropFirst().dropLast()
            throw self.error(
                #"invalid escape '\\#(escape)' in string; use \", \\, \n, \t, \r, \b, \f, \uXXXX or \UXXXXXXXX"#
            )
        }
        let count = byte == UInt8(ascii: "u") ? 4 : 8
        let start = self.position + 1
        let end = start + count
        guard end <= self.bytes.count, self.bytes[start ..< end].allSatisfy({ $0.tomlHexDigitValue != nil }) else {
            throw self.error("invalid escape: \\\(Character(Unicode.Scalar(byte))) needs exactly \(count) hex digits")
        }
        let value = self.bytes[start ..< end].reduce(UInt32(0)) { $0 << 4 | UInt32($1.tomlHexDigitValue!) }
        let written = String(decoding: self.bytes[(start - 1) ..< end], as: UTF8.self)
        guard let scalar = Unicode.Scalar(value) else {
            throw self.error("invalid escape '\\\(written)': not a Unicode scalar value")
        }
        utf8.append(contentsOf: String(Character(scalar)).utf8)
        self.position = end
    }

    /// Reads a `'...'` string: no escapes.
    private mutating func parseLiteralString() throws(ConfigError) -> String {
        self.position += 1
        let start = self.position
        while true {
            guard let byte = self.peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw self.error("unterminated string; a literal string must end with \"'\" on the line it starts")
            }
            if byte == UInt8(ascii: "'") {
                let string = String(decoding: self.bytes[start ..< self.position], as: UTF8.self)
                self.position += 1
                return string
            }
            if byte.isTOMLControlCharacter {
                throw self.error("\(self.describeNext()) is not allowed in a literal string")
            }
            self.position += 1
        }
    }

    // MARK: Arrays

    /// Reads `[a, b, ...]`, which may span lines, hold comments and end with a trailing comma.
    private mutating func parseArray(depth: Int) throws(ConfigError) -> TOMLValue {
        guard depth < Self.maximumArrayDepth else {
            throw self.error("arrays nested more than \(Self.maximumArrayDepth) deep are not supported")
        }
        let openLine = self.line
        self.position += 1
        var values: [TOMLValue] = []
        while true {
            try self.skipArrayTrivia()
            switch self.peek() {
            case nil:
                throw self.error("unterminated array: expected ']' to close the array opened here", line: openLine)
            case UInt8(ascii: "]"):
                self.position += 1
                return .array(values)
            default:
                values.append(try self.parseValue(depth: depth + 1))
            }
            try self.skipArrayTrivia()
            switch self.peek() {
            case nil:
                throw self.error("unterminated array: expected ']' to close the array opened here", line: openLine)
            case UInt8(ascii: ","):
                self.position += 1
            case UInt8(ascii: "]"):
                self.position += 1
                return .array(values)
            default:
                throw self.error("expected ',' or ']' in the array, got \(self.describeNext())")
            }
        }
    }

    /// Skips what may sit between array elements: spaces, line ends and comments.
    private mutating func skipArrayTrivia() throws(ConfigError) {
        while let byte = self.peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                self.position += 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try self.consumeNewline()
            case UInt8(ascii: "#"):
                try self.skipComment()
            default:
                return
            }
        }
    }

    // MARK: Numbers, booleans and bare words

    /// Reads an unquoted value: a boolean, an integer or a float.
    private mutating func parseBareValue() throws(ConfigError) -> TOMLValue {
        let start = self.position
        while let byte = self.peek(), byte.isTOMLBareValueByte {
            self.position += 1
        }
        let token = self.bytes[start ..< self.position]
        guard !token.isEmpty else {
            throw self.error("expected a value, got \(self.describeNext())")
        }
        let text = String(decoding: token, as: UTF8.self)
        if Self.looksLikeDateOrTime(token) {
            throw self.error(
                "dates and times are not supported by Herd's config reader; write '\(text)' as a string"
            )
        }
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        let unsigned = token.first == UInt8(ascii: "+") || token.first == UInt8(ascii: "-") ? token.dropFirst() : token
        guard let first = unsigned.first, first.isTOMLDigit || first == UInt8(ascii: ".") else {
            if let first = token.first, first.isTOMLLetter || first == UInt8(ascii: "_") {
                throw self.error("expected a value, got '\(text)'; strings must be quoted, like \"\(text)\"")
            }
            throw self.error("invalid value '\(text)'")
        }
        switch Self.number(text) {
        case .value(let value):
            return value
        case .outOfRange:
            throw self.error("the number '\(text)' is out of range (integers are 64-bit, floats must be finite)")
        case .invalid:
            break
        }
        // `250ms`, `1.5s`: most likely a duration or other text someone forgot to quote.
        if let last = unsigned.last, last.isTOMLLetter, last != UInt8(ascii: "e"), last != UInt8(ascii: "E") {
            throw self.error("invalid number '\(text)'; text must be quoted, like \"\(text)\"")
        }
        if Self.hasLeadingZero(unsigned) {
            throw self.error("invalid number '\(text)': leading zeros are not allowed")
        }
        throw self.error("invalid number '\(text)'")
    }

    /// `1979-05-27...` or `07:32...`: the start of a TOML date or time.
    private static func looksLikeDateOrTime(_ token: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(token)
        func digits(_ range: Range<Int>) -> Bool {
            range.upperBound <= bytes.count && bytes[range].allSatisfy(\.isTOMLDigit)
        }
        return (digits(0 ..< 4) && bytes.count > 4 && bytes[4] == UInt8(ascii: "-"))
            || (digits(0 ..< 2) && bytes.count > 2 && bytes[2] == UInt8(ascii: ":"))
    }

    private static func hasLeadingZero(_ unsigned: ArraySlice<UInt8>) -> Bool {
        let integerPart = unsigned.prefix {
            $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E")
        }
        return integerPart.count > 1 && integerPart.first == UInt8(ascii: "0")
            && integerPart.dropFirst().allSatisfy { $0.isTOMLDigit || $0 == UInt8(ascii: "_") }
    }

    /// What ``number(_:)`` made of a token.
    enum Number: Equatable {
        case value(TOMLValue)
        /// Well-formed, but not representable as an `Int64` or a finite `Double`.
        case outOfRange
        case invalid
    }

    /// Parses a TOML integer or float.
    static func number(_ text: String) -> Number {
        var body = Substring(text)
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            let digits = body.dropFirst(2)
            guard text.first != "+", text.first != "-", Self.isDigitRun(digits, radix: radix) else { return .invalid }
            guard let value = Int64(digits.filter { $0 != "_" }, radix: radix) else { return .outOfRange }
            return .value(.integer(value))
        }
        let exponentStart = body.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = body[..<(exponentStart ?? body.endIndex)]
        let dot = mantissa.firstIndex(of: ".")
        let integerPart = mantissa[..<(dot ?? mantissa.endIndex)]
        guard Self.isDigitRun(integerPart, radix: 10), integerPart == "0" || integerPart.first != "0" else {
            return .invalid
        }
        if let dot {
            guard Self.isDigitRun(mantissa[mantissa.index(after: dot)...], radix: 10) else { return .invalid }
        }
        if let exponentStart {
            var exponent = body[body.index(after: exponentStart)...]
            if let first = exponent.first, first == "+" || first == "-" {
                exponent = exponent.dropFirst()
            }
            guard Self.isDigitRun(exponent, radix: 10) else { return .invalid }
        }
        let cleaned = sign + body.filter { $0 != "_" }
        if dot == nil && exponentStart == nil {
            return Int64(cleaned).map { .value(.integer($0)) } ?? .outOfRange
        }
        guard let value = Double(cleaned) else { return .invalid }
        return value.isFinite ? .value(.float(value)) : .outOfRange
    }

    /// Digits of `radix`, with single underscores allowed only between digits.
    private static func isDigitRun(_ text: Substring, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_" else { return false }
        var previousWasUnderscore = false
        for character in text {
            if character == "_" {
                if previousWasUnderscore { return false }
                previousWasUnderscore = true
            } else {
                guard let digit = character.hexDigitValue, digit < radix else { return false }
                previousWasUnderscore = false
            }
        }
        return true
    }
}

extension UInt8 {
    /// Characters that can make up an unquoted value, a date included: `A-Z a-z 0-9 _ + - . :`.
    fileprivate var isTOMLBareValueByte: Bool {
        self.isTOMLBareKeyByte || self == UInt8(ascii: "+") || self == UInt8(ascii: ".") || self == UInt8(ascii: ":")
    }

    fileprivate var isTOMLLetter: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
    }

    /// The value of a hex digit `0-9 a-f A-F`, or `nil`.
    var tomlHexDigitValue: Int? {
        switch self {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): Int(self - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): Int(self - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
