import Foundation
import HerdCore
import Testing

@testable import HerdConfig

/// A file of `lines`, so that cases can count lines at a glance.
private func configLines(_ lines: String...) -> String {
    lines.joined(separator: "\n")
}

/// The `[coordinator]` and `[[group]]` resilience keys' errors: each names the line, the key and
/// what a valid value looks like.
extension ConfigCoordinatorTests {
    @Test(arguments: [
        // Types.
        (
            configLines("[coordinator]", "deadline-slack = 500"), 2,
            #"[coordinator]: deadline-slack must be a duration string like "250ms", got 500"#
        ),
        (
            configLines("[coordinator]", "cancel-overdue = '0s'"), 2,
            #"[coordinator]: cancel-overdue must be from 1ms to 1h, got "0s""#
        ),
        (
            configLines("[coordinator]", "retry-attempts = '3'"), 2,
            #"[coordinator]: retry-attempts must be an integer 1...100, got "3""#
        ),
        (
            configLines("[coordinator]", "retry-attempts = 0"), 2,
            "[coordinator]: retry-attempts must be an integer 1...100, got 0"
        ),
        (
            configLines("[coordinator]", "retry-attempts = 101"), 2,
            "[coordinator]: retry-attempts must be an integer 1...100, got 101"
        ),
        (
            configLines("[coordinator]", "retry-base-delay = '2h'"), 2,
            #"[coordinator]: retry-base-delay must be from 0s to 1h, got "2h""#
        ),
        (
            configLines("[coordinator]", "retry-max-delay = '10'"), 2,
            "[coordinator]: retry-max-delay: expected a duration like 250ms, 2s or 1m, got '10'"
        ),
        (
            configLines("[coordinator]", "retry-jitter = 'decorrelated'"), 2,
            #"[coordinator]: retry-jitter must be one of "full", "equal" or "none", got "decorrelated""#
        ),
        (
            configLines("[coordinator]", "retry-jitter = true"), 2,
            #"[coordinator]: retry-jitter must be one of "full", "equal" or "none", got true"#
        ),
        (
            configLines("[coordinator]", "retry-max-retry-after = 60"), 2,
            #"[coordinator]: retry-max-retry-after must be a duration string like "250ms", got 60"#
        ),
        (
            configLines("[coordinator]", "retry-budget-ratio = 10.5"), 2,
            "[coordinator]: retry-budget-ratio must be a number 0...10, got 10.5"
        ),
        (
            configLines("[coordinator]", "retry-budget-ratio = -0.1"), 2,
            "[coordinator]: retry-budget-ratio must be a number 0...10, got -0.1"
        ),
        (
            configLines("[coordinator]", "retry-budget-ratio = nan"), 2,
            "[coordinator]: retry-budget-ratio must be a number 0...10, got nan"
        ),
        (
            configLines("[coordinator]", "retry-budget-ratio = '20%'"), 2,
            #"[coordinator]: retry-budget-ratio must be a number 0...10, got "20%""#
        ),
        (
            configLines("[coordinator]", "retry-budget-floor = -1"), 2,
            "[coordinator]: retry-budget-floor must be an integer 0...100000, got -1"
        ),
        (
            configLines("[coordinator]", "retry-budget-floor = 1.5"), 2,
            "[coordinator]: retry-budget-floor must be an integer 0...100000, got 1.5"
        ),
        (
            configLines("[coordinator]", "retry-budget-window = '500ms'"), 2,
            #"[coordinator]: retry-budget-window must be from 1s to 1h, got "500ms""#
        ),
        (
            configLines("[coordinator]", "retry-budget-window = '1000000001ns'"), 2,
            #"[coordinator]: retry-budget-window must split into 10 equal slices of whole nanoseconds, got "1000000.001us""#
        ),
        // Retry delays.
        (
            configLines("[coordinator]", "retry-base-delay = '1s'", "retry-max-delay = '500ms'"), 2,
            "[coordinator]: retry-base-delay (1s) must not be longer than retry-max-delay (500ms)"
        ),
        (
            configLines("[coordinator]", "retry-base-delay = '11s'"), 2,
            "[coordinator]: retry-base-delay (11s) must not be longer than retry-max-delay (10s, the default)"
        ),
        (
            configLines("[coordinator]", "", "retry-max-delay = '100ms'"), 3,
            "[coordinator]: retry-base-delay (200ms, the default) must not be longer than retry-max-delay (100ms)"
        ),
        // Breakers.
        (
            configLines("[coordinator]", "breaker-window = 0"), 2,
            "[coordinator]: breaker-window must be an integer 1...10000 (calls) or a duration of whole seconds from 1s to 10m, got 0"
        ),
        (
            configLines("[coordinator]", "group-breaker-window = '1.5s'"), 2,
            #"[coordinator]: group-breaker-window must be an integer 1...10000 (calls) or a duration of whole seconds from 1s to 10m, got "1.5s""#
        ),
        (
            configLines("[coordinator]", "worker-breaker-window = '11m'"), 2,
            #"[coordinator]: worker-breaker-window must be an integer 1...10000 (calls) or a duration of whole seconds from 1s to 10m, got "11m""#
        ),
        (
            configLines("[coordinator]", "cluster-breaker-window = 2.0"), 2,
            "[coordinator]: cluster-breaker-window must be an integer 1...10000 (calls) or a duration of whole seconds from 1s to 10m, got 2.0"
        ),
        (
            configLines("[coordinator]", "breaker-window = '5 s'"), 2,
            "[coordinator]: breaker-window: expected a duration like 250ms, 2s or 1m, got '5 s'"
        ),
        (
            configLines("[coordinator]", "breaker-failure-rate = 0"), 2,
            "[coordinator]: breaker-failure-rate must be a number 1...100, got 0"
        ),
        (
            configLines("[coordinator]", "worker-breaker-failure-rate = 100.5"), 2,
            "[coordinator]: worker-breaker-failure-rate must be a number 1...100, got 100.5"
        ),
        (
            configLines("[coordinator]", "breaker-slow-call-rate = '50%'"), 2,
            #"[coordinator]: breaker-slow-call-rate must be a number 1...100, got "50%""#
        ),
        (
            configLines("[coordinator]", "group-breaker-slow-call = '0s'"), 2,
            #"[coordinator]: group-breaker-slow-call must be from 1ms to 1h, got "0s""#
        ),
        (
            configLines("[coordinator]", "breaker-minimum-calls = 0"), 2,
            "[coordinator]: breaker-minimum-calls must be an integer 1...10000, got 0"
        ),
        (
            configLines("[coordinator]", "cluster-breaker-open = 30"), 2,
            #"[coordinator]: cluster-breaker-open must be a duration string like "250ms", got 30"#
        ),
        (
            configLines("[coordinator]", "breaker-half-open-probes = 0"), 2,
            "[coordinator]: breaker-half-open-probes must be an integer 1...1000, got 0"
        ),
        // The recovery ramp.
        (
            configLines("[coordinator]", "ramp-steps = [0.1, 0.5, 0.5, 1.0]"), 2,
            "[coordinator]: ramp-steps must increase, but ramp-steps[2] (0.5) is not above ramp-steps[1] (0.5)"
        ),
        (
            configLines("[coordinator]", "ramp-steps = [", "  0.5,", "  0.25,", "  1,", "]"), 2,
            "[coordinator]: ramp-steps must increase, but ramp-steps[1] (0.25) is not above ramp-steps[0] (0.5)"
        ),
        (
            configLines("[coordinator]", "ramp-steps = [0.1, 0.5]"), 2,
            "[coordinator]: ramp-steps must end at 1.0 (a full share), got 0.5"
        ),
        (
            configLines("[coordinator]", "ramp-steps = [0, 1]"), 2,
            "[coordinator]: ramp-steps[0] must be a share in (0, 1], got 0"
        ),
        (
            configLines("[coordinator]", "ramp-steps = [0.5, 1.5]"), 2,
            "[coordinator]: ramp-steps[1] must be a share in (0, 1], got 1.5"
        ),
        (
            configLines("[coordinator]", "ramp-steps = []"), 2,
            "[coordinator]: ramp-steps must list 1 to 100 shares, got 0"
        ),
        (
            configLines("[coordinator]", "ramp-steps = ['10%', 1]"), 2,
            #"[coordinator]: ramp-steps[0] must be a number, got "10%""#
        ),
        (
            configLines("[coordinator]", "ramp-steps = 1.0"), 2,
            "[coordinator]: ramp-steps must be an array of numbers, got 1.0"
        ),
        (
            configLines("[coordinator]", "ramp-step = '0s'"), 2,
            #"[coordinator]: ramp-step must be from 1ms to 1h, got "0s""#
        ),
        // Unknown keys.
        (
            configLines("[coordinator]", "breaker-windw = 20"), 2,
            "[coordinator]: unknown key 'breaker-windw'; did you mean 'breaker-window'?"
        ),
        (
            configLines("[coordinator]", "worker-breaker-opn = '1s'"), 2,
            "[coordinator]: unknown key 'worker-breaker-opn'; did you mean 'worker-breaker-open'?"
        ),
        (
            configLines("[coordinator]", "retry-multiplier = 3"), 2,
            "[coordinator]: unknown key 'retry-multiplier' (cluster/README.md lists the 58 known keys)"
        ),
        (
            configLines("[coordinator]", "ramp-steps-back = 1"), 2,
            "[coordinator]: unknown key 'ramp-steps-back' (cluster/README.md lists the 58 known keys)"
        ),
    ])
    func test_badCoordinatorResilienceValue_fails(text: String, line: Int, message: String) {
        Self.expectError(text, line: line, message)
    }

    @Test(arguments: [
        (
            configLines("[[group]]", "name = 'a'", "fallback = 'b'"), 3,
            "group 'a': fallback group 'b' is not defined (defined groups: a)"
        ),
        (
            configLines("[[group]]", "name = 'a'", "[[group]]", "name = 'c'", "fallback = 'bb'"), 5,
            "group 'c': fallback group 'bb' is not defined (defined groups: a, c)"
        ),
        (
            configLines("[[group]]", "name = 'a'", "fallback = 'a'"), 3,
            "group 'a': fallback must name another group, not the group itself"
        ),
        (
            configLines("[[group]]", "name = 'a'", "fallback = 'b'", "", "[[group]]", "name = 'b'", "fallback = 'a'"),
            3,
            "group 'a': fallbacks form a cycle: a → b → a"
        ),
        (
            configLines(
                "[[group]]",
                "name = 'x'",
                "fallback = 'a'",
                "[[group]]",
                "name = 'a'",
                "fallback = 'b'",
                "[[group]]",
                "name = 'b'",
                "fallback = 'c'",
                "[[group]]",
                "name = 'c'",
                "fallback = 'a'"
            ), 6,
            "group 'a': fallbacks form a cycle: a → b → c → a"
        ),
        (
            configLines("[[group]]", "name = 'a'", "fallback = 3"), 3,
            "group 'a': fallback must be a string, got 3"
        ),
        (
            configLines("[[group]]", "name = 'a'", "fallback = 'B'"), 3,
            #"group 'a': fallback must be a group name (1 to 64 characters from a-z, 0-9, '.', '_' and '-'), got "B""#
        ),
        (
            configLines("[[group]]", "name = 'a'", "retry-jitter = 'Full'"), 3,
            #"group 'a': retry-jitter must be one of "full", "equal" or "none", got "Full""#
        ),
        (
            configLines("[[group]]", "name = 'a'", "retry-attempts = 0"), 3,
            "group 'a': retry-attempts must be an integer 1...100, got 0"
        ),
        (
            configLines("[[group]]", "name = 'a'", "retry-base-delay = 1"), 3,
            #"group 'a': retry-base-delay must be a duration string like "250ms", got 1"#
        ),
        (
            configLines("[[group]]", "name = 'a'", "retry-base-delay = '20s'"), 3,
            "group 'a': retry-base-delay (20s) must not be longer than retry-max-delay (10s, inherited)"
        ),
        (
            configLines(
                "[coordinator]",
                "retry-base-delay = '2s'",
                "[[group]]",
                "name = 'a'",
                "retry-max-delay = '1s'"
            ), 5,
            "group 'a': retry-base-delay (2s, inherited) must not be longer than retry-max-delay (1s)"
        ),
        (
            configLines("[[group]]", "name = 'a'", "retry-budget-ratio = 1"), 3,
            "group 'a': unknown key 'retry-budget-ratio' (cluster/README.md lists the 14 known keys)"
        ),
        (
            configLines("[[group]]", "name = 'a'", "fallbak = 'b'"), 3,
            "group 'a': unknown key 'fallbak'; did you mean 'fallback'?"
        ),
    ])
    func test_badGroupResilienceValue_fails(text: String, line: Int, message: String) {
        Self.expectError(text, line: line, message)
    }
}
