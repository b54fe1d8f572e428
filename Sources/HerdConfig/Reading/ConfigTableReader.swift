/// Reads the keys of one table of a cluster file as typed values.
///
/// Every error names the table (`[coordinator]`, `group 'tools'`, `[job]`), the key, what was
/// expected and what the file says, and carries the key's line, or the table header's line when a
/// required key is missing:
///
/// ```
/// line 12: group 'tools': capacity must be an integer 1...10000, got "eight"
/// ```
struct ConfigTableReader {
    let table: TOMLTable
    /// How errors name the table.
    let context: String

    /// The most known keys an unknown-key error lists; longer lists point to the reference instead.
    static let listedKeysLimit = 10

    /// Fails on the first key (in file order) that is not in `known`, suggesting a near match.
    func rejectUnknownKeys(_ known: [String]) throws(ConfigError) {
        for entry in self.table.entries where !known.contains(entry.key) {
            var message = "\(self.context): unknown key '\(entry.key)'"
            if let suggestion = ConfigName.closestMatch(to: entry.key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else if known.count <= Self.listedKeysLimit {
                message += " (known keys: \(known.joined(separator: ", ")))"
            } else {
                message += " (cluster/README.md lists the \(known.count) known keys)"
            }
            throw ConfigError(line: entry.line, message: message)
        }
    }

    /// An error about `key`, on its line (or the table's, if the key is absent).
    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(line: self.table.entry(key)?.line ?? self.table.line, message: "\(self.context): \(message)")
    }

    /// The table's required `name` key, validated as a name (``ConfigName``).
    func requiredName() throws(ConfigError) -> String {
        guard let name = try self.string("name") else { throw self.missing("name") }
        guard ConfigName.isValid(name) else {
            throw self.error("name", "name must be \(ConfigName.rule()), got \(TOMLValue.string(name))")
        }
        return name
    }

    /// Fails because a required key is absent, on the table header's line.
    func missing(_ key: String) -> ConfigError {
        ConfigError(line: self.table.line, message: "\(self.context): missing required key '\(key)'")
    }

    /// The string value of `key`, or `nil` if it is absent.
    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = self.table[key] else { return nil }
        guard case .string(let string) = value else {
            throw self.error(key, "\(key) must be a string, got \(value)")
        }
        return string
    }

    /// The integer value of `key`, or `nil` if it is absent.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = self.table[key] else { return nil }
        guard case .integer(let integer) = value, let int = Int(exactly: integer), range.contains(int) else {
            throw self.error(key, "\(key) must be an integer \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        return int
    }

    /// The duration value of `key`, written as a string like `"250ms"`, or `nil` if it is absent.
    func duration(_ key: String, in range: ClosedRange<Duration>) throws(ConfigError) -> Duration? {
        guard let value = self.table[key] else { return nil }
        guard case .string(let text) = value else {
            throw self.error(key, "\(key) must be a duration string like \"250ms\", got \(value)")
        }
        let duration: Duration
        do throws(ConfigError) {
            duration = try parseDuration(text)
        } catch {
            throw self.error(key, "\(key): \(error.message)")
        }
        guard range.contains(duration) else {
            let (lower, upper) = (formatDuration(range.lowerBound), formatDuration(range.upperBound))
            throw self.error(key, "\(key) must be from \(lower) to \(upper), got \(value)")
        }
        return duration
    }

    /// The number value of `key`, written as an integer or a float, or `nil` if it is absent.
    func number(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let value = self.table[key] else { return nil }
        guard let number = value.number, range.contains(number) else {
            throw self.error(key, "\(key) must be a number \(Self.format(range)), got \(value)")
        }
        return number
    }

    /// The value of `key`, which must be one of the strings `choices`, or `nil` if it is absent.
    func choice(_ key: String, among choices: [String]) throws(ConfigError) -> String? {
        guard let value = self.table[key] else { return nil }
        guard case .string(let string) = value, choices.contains(string) else {
            let quoted = choices.map(TOMLValue.quoted)
            let list = quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
            throw self.error(key, "\(key) must be one of \(list), got \(value)")
        }
        return string
    }

    /// The numbers (integers or floats) of an array `key`, or `nil` if it is absent.
    func numbers(_ key: String) throws(ConfigError) -> [Double]? {
        guard let value = self.table[key] else { return nil }
        guard case .array(let elements) = value else {
            throw self.error(key, "\(key) must be an array of numbers, got \(value)")
        }
        var numbers: [Double] = []
        for (index, element) in elements.enumerated() {
            guard let number = element.number else {
                throw self.error(key, "\(key)[\(index)] must be a number, got \(element)")
            }
            numbers.append(number)
        }
        return numbers
    }

    /// `1...100`, or `1.5...100` when a bound is not whole.
    static func format(_ range: ClosedRange<Double>) -> String {
        "\(formatNumber(range.lowerBound))...\(formatNumber(range.upperBound))"
    }

    /// The strings of an array-of-strings `key`, or `nil` if it is absent.
    func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = self.table[key] else { return nil }
        guard case .array(let elements) = value else {
            throw self.error(key, "\(key) must be an array of strings, got \(value)")
        }
        var strings: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let string) = element else {
                throw self.error(key, "\(key)[\(index)] must be a string, got \(element)")
            }
            strings.append(string)
        }
        return strings
    }
}

/// A number as a file would write it: `50` for a whole number, `0.25` otherwise.
func formatNumber(_ number: Double) -> String {
    if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
    return "\(number)"
}

extension TOMLValue {
    /// The value as a number if it is an integer or a finite float; `nil` otherwise.
    var number: Double? {
        switch self {
        case .integer(let integer): Double(integer)
        case .float(let float) where float.isFinite: float
        default: nil
        }
    }
}

// MARK: - Names

/// The rule for group names, subtask kinds and (with capitals) node labels: 1 to 64 characters
/// from `a-z 0-9 . _ -`; and typo suggestions for unknown names.
enum ConfigName {
    static let maximumLength = 64

    static func isValid(_ name: String, allowingCapitals: Bool = false) -> Bool {
        let utf8 = name.utf8
        return (1 ... Self.maximumLength).contains(utf8.count)
            && utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "0") ... UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                case UInt8(ascii: "A") ... UInt8(ascii: "Z"):
                    allowingCapitals
                default:
                    false
                }
            }
    }

    /// What a valid name looks like, for error messages.
    static func rule(allowingCapitals: Bool = false) -> String {
        let letters = allowingCapitals ? "A-Z, a-z" : "a-z"
        return "1 to \(Self.maximumLength) characters from \(letters), 0-9, '.', '_' and '-'"
    }

    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
    static func closestMatch(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { (candidate: $0, distance: Self.editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        return best.distance <= max(1, min(3, best.candidate.count / 3)) ? best.candidate : nil
    }

    /// The edit distance between two strings, by character, counting a swap of two neighbours
    /// as one edit (optimal string alignment).
    private static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let lhs = Array(lhs)
        let rhs = Array(rhs)
        // distances[i][j]: the distance between the first i characters of lhs and the first j of rhs.
        var distances = (0 ... lhs.count).map { i in (0 ... rhs.count).map { j in i == 0 ? j : (j == 0 ? i : 0) } }
        for i in 1 ..< (lhs.count + 1) {
            for j in 1 ..< (rhs.count + 1) {
                let cost = lhs[i - 1] == rhs[j - 1] ? 0 : 1
                var distance = min(distances[i - 1][j] + 1, distances[i][j - 1] + 1, distances[i - 1][j - 1] + cost)
                if i > 1, j > 1, lhs[i - 1] == rhs[j - 2], lhs[i - 2] == rhs[j - 1] {
                    distance = min(distance, distances[i - 2][j - 2] + 1)
                }
                distances[i][j] = distance
            }
        }
        return distances[lhs.count][rhs.count]
    }
}

extension ConfigTableReader {
    /// A reader for one table of an array of named tables (`[[group]]`, `[[kind]]`): errors name it
    /// `NOUN 'NAME'` as soon as it has a valid name, `NOUN #NUMBER` (1-based) until then.
    init(namedTable table: TOMLTable, noun: String, number: Int) {
        let context =
            if case .string(let name) = table["name"], ConfigName.isValid(name) {
                "\(noun) '\(name)'"
            } else {
                "\(noun) #\(number)"
            }
        self.init(table: table, context: context)
    }
}
