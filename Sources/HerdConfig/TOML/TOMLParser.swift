/// The reader behind ``TOMLDocument/init(parsing:)``: a single pass over the text's UTF-8 bytes.
/// (Why Herd has a reader of its own rather than TOMLKit: see ``TOMLDocument``.)
///
/// The top level is a sequence of lines, each blank, a comment, a header or a `key = value`; only
/// an array value may carry a statement over several lines. Every error names the line the
/// cursor is on, except an unterminated array, which names the line that opened it.
struct TOMLParser {
    let bytes: [UInt8]
    var position: Int
    var line = 1
    private let root: TOMLTableNode
    /// The table that `key = value` lines go to: the root until the first header.
    private var current: TOMLTableNode

    init(_ text: String) {
        self.bytes = Array(text.utf8)
        self.position = self.bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        self.root = TOMLTableNode(name: "the top level", line: nil, isDefined: true)
        self.current = self.root
    }

    /// Reads the whole text.
    mutating func parseDocument() throws(ConfigError) -> TOMLTable {
        while let byte = self.peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                self.position += 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try self.consumeNewline()
            case UInt8(ascii: "#"):
                try self.skipComment()
            case UInt8(ascii: "["):
                let description = try self.parseHeader()
                try self.expectEndOfLine(after: "the table header \(description)")
            default:
                let key = try self.parseKeyValue()
                try self.expectEndOfLine(after: "the value of '\(key)'")
            }
        }
        return self.root.build()
    }

    /// The characters of bare keys and table names, as messages list them.
    static let bareCharacters = "A-Z, a-z, 0-9, '_' and '-'"

    // MARK: - Key/value lines

    /// Reads `key = value` into the current table and returns the key.
    private mutating func parseKeyValue() throws(ConfigError) -> String {
        let keyLine = self.line
        let key = try self.parseBareKey(isTableName: false)
        let hadSpace = self.skipWhitespace()
        switch self.peek() {
        case UInt8(ascii: "="):
            self.position += 1
        case UInt8(ascii: "."):
            throw self.error("dotted keys are not supported by Herd's config reader; use a [table] header")
        case nil, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
            throw self.error("expected '=' after key '\(key)', got \(self.describeNext())")
        default:
            if hadSpace {
                throw self.error("expected '=' after key '\(key)', got \(self.describeNext())")
            }
            throw self.error(
                "invalid character \(self.describeNext()) in key '\(key)'; bare keys use only \(Self.bareCharacters)"
            )
        }
        self.skipWhitespace()
        let value = try self.parseValue(depth: 0)
        if let existing = self.current[key] {
            switch existing {
            case .value(_, let line):
                throw self.error(
                    "duplicate key '\(key)' in \(self.current.name) (first defined on line \(line))",
                    line: keyLine
                )
            case .table, .tableArray:
                throw self.error(
                    "key '\(key)' in \(self.current.name) conflicts with the table defined on line \(existing.line)",
                    line: keyLine
                )
            }
        }
        self.current.set(key, .value(value, line: keyLine))
        return key
    }

    /// Reads a bare key (`A-Z a-z 0-9 _ -`), the only kind of key or table name Herd reads.
    private mutating func parseBareKey(isTableName: Bool) throws(ConfigError) -> String {
        let start = self.position
        while let byte = self.peek(), byte.isTOMLBareKeyByte {
            self.position += 1
        }
        guard self.position > start else {
            let noun = isTableName ? "table name" : "key"
            if self.peek() == UInt8(ascii: "\"") || self.peek() == UInt8(ascii: "'") {
                throw self.error(
                    "quoted \(noun)s are not supported by Herd's config reader; "
                        + "use a bare \(noun) (\(Self.bareCharacters))"
                )
            }
            throw self.error("expected a \(noun), got \(self.describeNext())")
        }
        return String(decoding: self.bytes[start ..< self.position], as: UTF8.self)
    }

    // MARK: - Headers

    /// Reads a `[name]` or `[[name]]` header, makes its table current, and returns the header as
    /// written (without spaces).
    private mutating func parseHeader() throws(ConfigError) -> String {
        let headerLine = self.line
        self.position += 1
        let isArray = self.peek() == UInt8(ascii: "[")
        if isArray { self.position += 1 }
        var path: [String] = []
        while true {
            self.skipWhitespace()
            path.append(try self.parseBareKey(isTableName: true))
            let hadSpace = self.skipWhitespace()
            switch self.peek() {
            case UInt8(ascii: "."):
                self.position += 1
                continue
            case UInt8(ascii: "]"):
                self.position += 1
            case nil, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
                throw self.error(
                    "expected '\(isArray ? "]]" : "]")' to close the table header, got \(self.describeNext())"
                )
            default:
                if hadSpace {
                    throw self.error(
                        "expected '.' or '\(isArray ? "]]" : "]")' in the table header, got \(self.describeNext())"
                    )
                }
                throw self.error(
                    "invalid character \(self.describeNext()) in table name '\(path.last!)'; "
                        + "bare names use only \(Self.bareCharacters)"
                )
            }
            break
        }
        let name = path.joined(separator: ".")
        if isArray {
            guard self.peek() == UInt8(ascii: "]") else {
                throw self.error("expected ']]' to close the array-of-tables header [[\(name)]]")
            }
            self.position += 1
        }
        try self.openTable(path: path, isArray: isArray, line: headerLine)
        return isArray ? "[[\(name)]]" : "[\(name)]"
    }

    /// Finds or creates the table a header names and makes it current.
    ///
    /// Intermediate names create implicit tables, or step into the last table of an array of
    /// tables, as in TOML.
    private mutating func openTable(path: [String], isArray: Bool, line: Int) throws(ConfigError) {
        let name = path.joined(separator: ".")
        let header = isArray ? "[[\(name)]]" : "[\(name)]"
        var node = self.root
        for (index, key) in path.dropLast().enumerated() {
            let prefix = path[...index].joined(separator: ".")
            switch node[key] {
            case .table(let child):
                node = child
            case .tableArray(let children):
                node = children[children.count - 1]
            case .value(_, let valueLine):
                throw self.error(
                    "table \(header) conflicts with key '\(prefix)' defined on line \(valueLine)",
                    line: line
                )
            case nil:
                let child = TOMLTableNode(name: "[\(prefix)]", line: line, isDefined: false)
                node.set(key, .table(child))
                node = child
            }
        }
        let key = path[path.count - 1]
        switch (node[key], isArray) {
        case (nil, false):
            let table = TOMLTableNode(name: header, line: line, isDefined: true)
            node.set(key, .table(table))
            self.current = table
        case (nil, true):
            let table = TOMLTableNode(name: header, line: line, isDefined: true)
            node.set(key, .tableArray([table]))
            self.current = table
        case (.table(let table), false):
            guard !table.isDefined else {
                throw self.error("table \(header) is defined twice (first on line \(table.line ?? 0))", line: line)
            }
            table.isDefined = true
            table.line = line
            self.current = table
        case (.tableArray(let tables), true):
            let table = TOMLTableNode(name: header, line: line, isDefined: true)
            node.set(key, .tableArray(tables + [table]))
            self.current = table
        case (.table(let table), true):
            throw self.error(
                "\(header) conflicts with the table [\(name)] defined on line \(table.line ?? 0)",
                line: line
            )
        case (.tableArray(let tables), false):
            throw self.error(
                "\(header) conflicts with the array of tables [[\(name)]] defined on line \(tables[0].line ?? 0)",
                line: line
            )
        case (.value(_, let valueLine), _):
            throw self.error("\(header) conflicts with key '\(name)' defined on line \(valueLine)", line: line)
        }
    }

    // MARK: - Whitespace, comments and line ends

    /// Skips spaces and tabs; returns whether there were any.
    @discardableResult
    mutating func skipWhitespace() -> Bool {
        let start = self.position
        while let byte = self.peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            self.position += 1
        }
        return self.position > start
    }

    /// Consumes `\n` or `\r\n` and counts the line.
    mutating func consumeNewline() throws(ConfigError) {
        if self.peek() == UInt8(ascii: "\r") {
            guard self.peek(offset: 1) == UInt8(ascii: "\n") else {
                throw self.error("a carriage return must be followed by a line feed")
            }
            self.position += 1
        }
        self.position += 1
        self.line += 1
    }

    /// Skips a `#` comment up to (not including) the end of the line.
    mutating func skipComment() throws(ConfigError) {
        self.position += 1
        while let byte = self.peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r") {
                guard self.peek(offset: 1) == UInt8(ascii: "\n") else {
                    throw self.error("a carriage return must be followed by a line feed")
                }
                return
            }
            if byte.isTOMLControlCharacter {
                throw self.error("\(self.describeNext()) is not allowed in a comment")
            }
            self.position += 1
        }
    }

    /// Requires the rest of the line to be blank or a comment, and consumes its end.
    private mutating func expectEndOfLine(after what: String) throws(ConfigError) {
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "#") {
            try self.skipComment()
        }
        switch self.peek() {
        case nil:
            return
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            try self.consumeNewline()
        default:
            throw self.error("expected the end of the line after \(what), got \(self.describeNext())")
        }
    }

    // MARK: - Cursor

    func peek(offset: Int = 0) -> UInt8? {
        let index = self.position + offset
        return index < self.bytes.count ? self.bytes[index] : nil
    }

    /// An error on the current line (or on `line`).
    func error(_ message: String, line: Int? = nil) -> ConfigError {
        ConfigError(line: line ?? self.line, message: message)
    }

    /// The character at the cursor, as messages show it: `'x'`, `end of line`, `end of file`, or
    /// `control character U+0007`.
    func describeNext() -> String {
        guard let byte = self.peek() else { return "end of file" }
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            return "end of line"
        case _ where byte.isTOMLControlCharacter:
            return "control character \(Unicode.Scalar(byte).tomlCodePoint)"
        case 0 ..< 0x80:
            return "'\(Character(Unicode.Scalar(byte)))'"
        default:
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            let end = min(self.bytes.count, self.position + length)
            return "'" + String(decoding: self.bytes[self.position ..< end], as: UTF8.self) + "'"
        }
    }
}

extension UInt8 {
    /// `A-Z a-z 0-9 _ -`: the characters of a bare key.
    var isTOMLBareKeyByte: Bool {
        switch self {
        case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
            UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// A control character other than tab: TOML allows none of them in comments or strings.
    var isTOMLControlCharacter: Bool {
        (self < 0x20 && self != UInt8(ascii: "\t")) || self == 0x7F
    }

    var isTOMLDigit: Bool {
        self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")
    }
}

extension Unicode.Scalar {
    /// `U+0007`, `U+00E9`, `U+1F600`.
    var tomlCodePoint: String {
        let hex = String(self.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }
}
