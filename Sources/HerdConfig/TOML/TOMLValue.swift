/// A value read by Herd's TOML reader (see ``TOMLDocument``).
///
/// The reader understands a strict subset of TOML 1.0, so a value is one of these cases and never
/// a date, a time or an inline table.
public enum TOMLValue: Hashable, Sendable, CustomStringConvertible {
    /// A basic (`"..."`) or literal (`'...'`) string, with its escapes resolved.
    case string(String)
    /// A 64-bit signed integer.
    case integer(Int64)
    /// A 64-bit float, including `inf` and `nan`.
    case float(Double)
    /// `true` or `false`.
    case boolean(Bool)
    /// An array of values, possibly of mixed types, possibly nested.
    case array([TOMLValue])
    /// A table opened by a `[name]` header (or implied by a `[name.sub]` header).
    case table(TOMLTable)
    /// The tables of an array of tables, one per `[[name]]` header, in file order.
    case tableArray([TOMLTable])

    /// A short noun phrase for the value's type, for error messages: "a string", "an integer", ...
    public var typeDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .tableArray: "an array of tables"
        }
    }

    /// The value written as TOML (`"eight"`, `8`, `1.5`, `["a", "b"]`), or its type for a table.
    ///
    /// Error messages quote values this way, so `"8"` and `8` are told apart.
    public var description: String {
        switch self {
        case .string(let string): TOMLValue.quoted(string)
        case .integer(let integer): "\(integer)"
        case .float(let float): "\(float)"
        case .boolean(let boolean): "\(boolean)"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .table, .tableArray: self.typeDescription
        }
    }

    /// `string` as a TOML basic string: in double quotes, with `"`, `\` and control characters
    /// escaped.
    ///
    /// - Parameter string: Any text.
    /// - Returns: A string that Herd's reader (and any TOML reader) reads back as `string`.
    public static func quoted(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}" ... "\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A TOML table: its keys in file order, each with its value and the line that defined it.
public struct TOMLTable: Hashable, Sendable {
    /// One key of a table.
    public struct Entry: Hashable, Sendable {
        /// The bare key.
        public var key: String
        /// The key's value.
        public var value: TOMLValue
        /// The 1-based line of `key = value`, or of the header that opened the (first) table.
        public var line: Int

        /// Creates an entry.
        public init(key: String, value: TOMLValue, line: Int) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    /// The 1-based line of the header that opened the table, or `nil` for the document's root.
    public var line: Int?
    /// The table's keys in the order they appear in the file.
    public var entries: [Entry]

    /// Creates a table.
    ///
    /// - Parameters:
    ///   - line: The line of the table's header; `nil` for a root table.
    ///   - entries: The table's keys, unique, in file order.
    public init(line: Int? = nil, entries: [Entry] = []) {
        self.line = line
        self.entries = entries
    }

    /// The table's keys in file order.
    public var keys: [String] { self.entries.map(\.key) }

    /// The entry for `key`, or `nil` if the table does not have that key.
    public func entry(_ key: String) -> Entry? {
        self.entries.first { $0.key == key }
    }

    /// The value of `key`, or `nil` if the table does not have that key.
    public subscript(key: String) -> TOMLValue? {
        self.entry(key)?.value
    }
}
