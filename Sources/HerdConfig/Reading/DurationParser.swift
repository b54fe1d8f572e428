// MARK: - Parsing

/// The units a duration may be written in, with their length in nanoseconds.
private let durationUnits: [(name: String, nanoseconds: Int128)] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
]

/// Parses a duration written as a number and a unit: `250ms`, `1s`, `1.5s`, `2m`, `1h`, `500us`.
///
/// The number is a non-negative decimal, with an optional fraction (`1.5s`, `0.25h`); the unit,
/// which is required, is one of `ns`, `us` (or `µs`), `ms`, `s`, `m` and `h`. No spaces, signs,
/// exponents or compound forms (`1m30s`) are accepted. The result must be a whole number of
/// nanoseconds no longer than `Int64.max` nanoseconds (about 292 years).
///
/// Config files write durations as strings (`heartbeat = "250ms"`); the command line uses the
/// same spelling (`--timeout 30s`). ``formatDuration(_:)`` is its inverse.
///
/// - Parameter text: The duration as written.
/// - Returns: The duration.
/// - Throws: ``ConfigError`` without a line, such as
///   `expected a duration like 250ms, 2s or 1m, got '5'`.
public func parseDuration(_ text: String) throws(ConfigError) -> Duration {
    let bytes = Array(text.utf8)
    let malformed = ConfigError(message: "expected a duration like 250ms, 2s or 1m, got '\(text)'")
    if bytes.first == UInt8(ascii: "-") {
        throw ConfigError(message: "a duration cannot be negative, got '\(text)'")
    }
    // The whole part, capped well above anything that fits in Int64 nanoseconds.
    var index = 0
    var whole: Int128 = 0
    while index < bytes.count, bytes[index].isTOMLDigit {
        whole = min(whole * 10 + Int128(bytes[index] - UInt8(ascii: "0")), 1_000_000_000_000_000_000_000)
        index += 1
    }
    guard index > 0 else { throw malformed }
    // The fraction, without its trailing zeros.
    var fraction: [UInt8] = []
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        while index < bytes.count, bytes[index].isTOMLDigit {
            fraction.append(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard !fraction.isEmpty else { throw malformed }
        while fraction.last == 0 { fraction.removeLast() }
    }
    let unitText = String(decoding: bytes[index...], as: UTF8.self)
    guard let unit = durationUnits.first(where: { $0.name == unitText })?.nanoseconds else {
        if !unitText.isEmpty, unitText.unicodeScalars.allSatisfy(\.properties.isAlphabetic) {
            throw ConfigError(message: "unknown duration unit '\(unitText)' in '\(text)'; use ns, us, ms, s, m or h")
        }
        throw malformed
    }
    // A fraction can only be exact in nanoseconds if it has few digits (unit ≤ 2^15·3^2·5^11 ns).
    guard fraction.count <= 24 else {
        throw ConfigError(message: "the duration '\(text)' is finer than a nanosecond")
    }
    let numerator = fraction.reduce(Int128(0)) { $0 * 10 + Int128($1) }
    let denominator = fraction.reduce(Int128(1)) { result, _ in result * 10 }
    let (fractionNanoseconds, remainder) = (numerator * unit).quotientAndRemainder(dividingBy: denominator)
    guard remainder == 0 else {
        throw ConfigError(message: "the duration '\(text)' is finer than a nanosecond")
    }
    let total = whole * unit + fractionNanoseconds
    guard total <= Int128(Int64.max) else {
        throw ConfigError(message: "the duration '\(text)' is too long")
    }
    return .nanoseconds(Int64(total))
}

// MARK: - Formatting

/// Writes a duration the way ``parseDuration(_:)`` reads it: `250ms`, `1.5s`, `2m`, `1h`.
///
/// Whole hours and whole minutes are written in `h` and `m`. Anything else uses the largest of
/// `s`, `ms` and `us` that is not more than the duration and needs at most three decimals, and
/// falls back to `ns`:
///
/// | Duration            | Written      |
/// | ------------------- | ------------ |
/// | 0                   | `0s`         |
/// | 500 µs              | `500us`      |
/// | 250 ms              | `250ms`      |
/// | 1.5 s               | `1.5s`       |
/// | 90 s                | `90s`        |
/// | 120 s               | `2m`         |
/// | 5400 s              | `90m`        |
/// | 7200 s              | `2h`         |
/// | 1 s + 1 ns          | `1000000.001us` |
///
/// A negative duration is written with a leading `-` (which ``parseDuration(_:)`` rejects), and
/// parts of a nanosecond are dropped. For every duration `parseDuration` returns,
/// `parseDuration(formatDuration(d)) == d`.
///
/// - Parameter duration: The duration to write.
/// - Returns: The duration as text.
public func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let nanoseconds = Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
    if nanoseconds < 0 {
        return "-" + formatNanoseconds(-nanoseconds)
    }
    return formatNanoseconds(nanoseconds)
}

private func formatNanoseconds(_ nanoseconds: Int128) -> String {
    guard nanoseconds > 0 else { return "0s" }
    for (name, unit) in [("h", Int128(3_600_000_000_000)), ("m", 60_000_000_000)] where nanoseconds % unit == 0 {
        return "\(nanoseconds / unit)\(name)"
    }
    for (name, unit) in [("s", Int128(1_000_000_000)), ("ms", 1_000_000), ("us", 1_000)]
    where nanoseconds >= unit && nanoseconds % (unit / 1_000) == 0 {
        let (whole, rest) = nanoseconds.quotientAndRemainder(dividingBy: unit)
        guard rest > 0 else { return "\(whole)\(name)" }
        var thousandths = String(rest / (unit / 1_000))
        thousandths = String(repeating: "0", count: 3 - thousandths.count) + thousandths
        while thousandths.last == "0" { thousandths.removeLast() }
        return "\(whole).\(thousandths)\(name)"
    }
    return "\(nanoseconds)ns"
}
