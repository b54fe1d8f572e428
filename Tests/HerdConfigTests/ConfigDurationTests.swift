import HerdCore
import Testing

@testable import HerdConfig

/// `parseDuration` and `formatDuration`: the spelling of durations in files and on the command line.
@Suite struct ConfigDurationTests {
    // MARK: - Parsing

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("1s", .seconds(1)),
        ("1.5s", .milliseconds(1500)),
        ("2m", .seconds(120)),
        ("1.5m", .seconds(90)),
        ("1h", .seconds(3600)),
        ("0.25h", .seconds(900)),
        ("500us", .microseconds(500)),
        ("500µs", .microseconds(500)),
        ("1ns", .nanoseconds(1)),
        ("0s", .zero),
        ("0ns", .zero),
        ("0.5ms", .microseconds(500)),
        ("1.000s", .seconds(1)),
        ("1.000000001s", .nanoseconds(1_000_000_001)),
        ("0.000000001s", .nanoseconds(1)),
        ("1.0ns", .nanoseconds(1)),
        ("007s", .seconds(7)),
        ("30s", .seconds(30)),
        ("9223372036854775807ns", .nanoseconds(Int64.max)),
        ("2562047h", .seconds(2_562_047 * 3600)),
    ])
    func test_parseDuration_validText_givesDuration(text: String, expected: Duration) throws {
        #expect(try parseDuration(text) == expected)
    }

    @Test(arguments: [
        ("5", "expected a duration like 250ms, 2s or 1m, got '5'"),
        ("1.5", "expected a duration like 250ms, 2s or 1m, got '1.5'"),
        ("", "expected a duration like 250ms, 2s or 1m, got ''"),
        ("s", "expected a duration like 250ms, 2s or 1m, got 's'"),
        ("ms250", "expected a duration like 250ms, 2s or 1m, got 'ms250'"),
        (".5s", "expected a duration like 250ms, 2s or 1m, got '.5s'"),
        ("1.s", "expected a duration like 250ms, 2s or 1m, got '1.s'"),
        ("1.5.5s", "expected a duration like 250ms, 2s or 1m, got '1.5.5s'"),
        ("5 s", "expected a duration like 250ms, 2s or 1m, got '5 s'"),
        (" 5s", "expected a duration like 250ms, 2s or 1m, got ' 5s'"),
        ("5s ", "expected a duration like 250ms, 2s or 1m, got '5s '"),
        ("+5s", "expected a duration like 250ms, 2s or 1m, got '+5s'"),
        ("1e3s", "expected a duration like 250ms, 2s or 1m, got '1e3s'"),
        ("1m30s", "expected a duration like 250ms, 2s or 1m, got '1m30s'"),
        ("1_000ms", "expected a duration like 250ms, 2s or 1m, got '1_000ms'"),
        ("-5s", "a duration cannot be negative, got '-5s'"),
        ("5x", "unknown duration unit 'x' in '5x'; use ns, us, ms, s, m or h"),
        ("5S", "unknown duration unit 'S' in '5S'; use ns, us, ms, s, m or h"),
        ("2sec", "unknown duration unit 'sec' in '2sec'; use ns, us, ms, s, m or h"),
        ("1d", "unknown duration unit 'd' in '1d'; use ns, us, ms, s, m or h"),
        ("1.5ns", "the duration '1.5ns' is finer than a nanosecond"),
        ("0.0000000001s", "the duration '0.0000000001s' is finer than a nanosecond"),
        ("0.0000000000000000000000001h", "the duration '0.0000000000000000000000001h' is finer than a nanosecond"),
        ("9223372036854775808ns", "the duration '9223372036854775808ns' is too long"),
        ("2562048h", "the duration '2562048h' is too long"),
        ("99999999999999999999999999999999h", "the duration '99999999999999999999999999999999h' is too long"),
    ])
    func test_parseDuration_invalidText_failsWithoutLine(text: String, message: String) {
        #expect(throws: ConfigError(message: message)) { try parseDuration(text) }
    }

    @Test func test_parseDuration_longZeroFraction_isExact() throws {
        #expect(try parseDuration("1." + String(repeating: "0", count: 40) + "s") == .seconds(1))
    }

    // MARK: - Formatting

    @Test(arguments: [
        (Duration.zero, "0s"),
        (.nanoseconds(1), "1ns"),
        (.nanoseconds(999), "999ns"),
        (.microseconds(1), "1us"),
        (.microseconds(500), "500us"),
        (.nanoseconds(1_500), "1.5us"),
        (.nanoseconds(1_001), "1.001us"),
        (.nanoseconds(1_000_001), "1000.001us"),
        (.milliseconds(250), "250ms"),
        (.microseconds(1_500), "1.5ms"),
        (.milliseconds(999), "999ms"),
        (.seconds(1), "1s"),
        (.milliseconds(1_500), "1.5s"),
        (.milliseconds(1_250), "1.25s"),
        (.milliseconds(1_001), "1.001s"),
        (.seconds(30), "30s"),
        (.seconds(90), "90s"),
        (.seconds(120), "2m"),
        (.seconds(5_400), "90m"),
        (.seconds(3_600), "1h"),
        (.seconds(7_200), "2h"),
        (.seconds(86_400), "24h"),
        (.nanoseconds(1_000_000_001), "1000000.001us"),
        (.milliseconds(-250), "-250ms"),
        (.nanoseconds(Int64.max), "9223372036854775.807us"),
    ])
    func test_formatDuration_givesShortestSpelling(duration: Duration, expected: String) {
        #expect(formatDuration(duration) == expected)
    }

    @Test func test_formatDuration_partsOfNanoseconds_areDropped() {
        #expect(formatDuration(Duration(secondsComponent: 0, attosecondsComponent: 1_500_000_000)) == "1ns")
        #expect(formatDuration(Duration(secondsComponent: 0, attosecondsComponent: 999_999_999)) == "0s")
    }

    @Test func test_formatDuration_beyondInt64Nanoseconds_isStillExact() {
        #expect(formatDuration(.seconds(Int64.max / 3600 * 3600)) == "\(Int64.max / 3600)h")
    }

    // MARK: - Round trip

    @Test func test_formatThenParse_randomDurations_roundTrip() throws {
        var generator = SplitMix64(seed: 0x4845_5244)
        for _ in 0 ..< 5_000 {
            // Mix magnitudes, so that every unit and every number of decimals occurs.
            let magnitude = Int64.random(in: 0 ... 18, using: &generator)
            var bound: Int64 = 1
            for _ in 0 ..< magnitude { bound *= 10 }
            var nanoseconds = Int64.random(in: 0 ... bound, using: &generator)
            let roundTo = [1, 1_000, 1_000_000, 1_000_000_000, 60_000_000_000][
                Int.random(in: 0 ... 4, using: &generator)
            ]
            nanoseconds -= nanoseconds % Int64(roundTo)
            let duration = Duration.nanoseconds(nanoseconds)
            let text = formatDuration(duration)
            #expect(try parseDuration(text) == duration, "\(nanoseconds)ns was written as \(text)")
        }
    }

    @Test func test_formatThenParse_edges_roundTrip() throws {
        for nanoseconds: Int64 in [0, 1, 999, 1_000, 1_001, 999_999, 1_000_000, 59_999_999_999, 60_000_000_000, .max] {
            let duration = Duration.nanoseconds(nanoseconds)
            #expect(try parseDuration(formatDuration(duration)) == duration)
        }
    }
}
