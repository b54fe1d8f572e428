import Testing

@testable import HerdConfig
@testable import HerdCore

/// A file of `lines`, so that cases can count lines at a glance.
private func configLines(_ lines: String...) -> String {
    lines.joined(separator: "\n")
}

/// `[[kind]]` tables, and the groups' last-resort fallbacks (`fallback-cache`, `fallback-value`).
extension ConfigCoordinatorTests {
    // MARK: - [[kind]]

    @Test func test_kindTable_overridesItsKeysOnTopOfTheGroupsPolicy() throws {
        let configuration = try Self.configuration(
            configLines(
                "[coordinator]",
                "retry-attempts = 3",
                "[[group]]",
                "name = \"gpu\"",
                "retry-base-delay = \"50ms\"",
                "[[kind]]",
                "name = \"llm\"",
                "retry-attempts = 6",
                "retry-max-delay = \"30s\""
            )
        )
        #expect(configuration.kindRetries["llm"]?.maxAttempts == 6)
        let machine = CoordinatorStateMachine(configuration: configuration)
        // llm in gpu: the kind's attempts and cap, the group's base delay.
        let llmOnGPU = machine.retryPolicy(for: "gpu", kind: "llm")
        #expect(llmOnGPU.maxAttempts == 6)
        #expect(llmOnGPU.maxDelay == .seconds(30))
        #expect(llmOnGPU.baseDelay == .milliseconds(50))
        // Another kind in gpu: the group's policy; llm elsewhere: the coordinator's with the kind's keys.
        #expect(machine.retryPolicy(for: "gpu", kind: "tool").maxAttempts == 3)
        #expect(
            machine.retryPolicy(for: "cpu", kind: "llm").baseDelay == CoordinatorConfiguration.defaultRetry.baseDelay
        )
        #expect(machine.retryPolicy(for: "cpu", kind: "llm").maxAttempts == 6)
    }

    @Test func test_kindTable_errors() {
        Self.expectError(configLines("[[kind]]", "retry-attempts = 2"), line: 1, "kind #1: missing required key 'name'")
        Self.expectError(
            configLines("[[kind]]", "name = \"llm\""),
            line: 1,
            "kind 'llm': sets no retry key (retry-attempts, retry-base-delay, retry-max-delay, retry-jitter)"
        )
        Self.expectError(
            configLines(
                "[[kind]]",
                "name = \"llm\"",
                "retry-attempts = 2",
                "[[kind]]",
                "name = \"llm\"",
                "retry-attempts = 3"
            ),
            line: 5,
            "kind 'llm' is defined twice (first on line 2)"
        )
        Self.expectError(
            configLines("[[kind]]", "name = \"llm\"", "fallback = \"x\""),
            line: 3,
            "kind 'llm': unknown key 'fallback' (known keys: name, retry-attempts, retry-base-delay, retry-max-delay, retry-jitter)"
        )
    }

    @Test func test_groupFallbackCacheAndValue_areMapped() throws {
        let configuration = try Self.configuration(
            configLines(
                "[[group]]",
                "name = \"llm\"",
                "fallback-cache = 500",
                "fallback-value = \"{\\\"answer\\\": null}\""
            )
        )
        #expect(configuration.groupPolicies["llm"]?.fallbackCache == 500)
        #expect(configuration.groupPolicies["llm"]?.fallbackValue == Array(#"{"answer": null}"#.utf8))
        Self.expectError(
            configLines("[[group]]", "name = \"llm\"", "fallback-cache = -1"),
            line: 3,
            "group 'llm': fallback-cache must be an integer 0...1000000, got -1"
        )
    }
}
