import Foundation
import HerdCore
import Testing

@testable import HerdConfig

/// One source of truth per default: the settings layer reads an absent key as the core's value, and
/// the texts that spell defaults out (the embedded local cluster, `cluster/README.md`) agree with it.
@Suite struct ConfigDefaultsTests {
    /// The package root, found from this file's path.
    private static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // HerdConfigTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root

    @Test func test_settingsDefaults_areTheCoreDefaults() throws {
        let settings = CoordinatorSettings.defaults
        let core = CoordinatorConfiguration.defaults
        #expect(settings.heartbeatInterval == core.heartbeatInterval)
        #expect(settings.livenessWindow == core.livenessWindow)
        #expect(settings.livenessMaxStretch == core.livenessMaxStretch)
        #expect(settings.clientLiveness == core.clientLiveness)
        #expect(settings.maxDeliveries == Int(core.maxDeliveries))
        #expect(settings.deadlineSlack == core.deadlineSlack)
        #expect(settings.cancelOverdueAfter == core.cancelOverdueAfter)
        #expect(settings.retry == core.retry)
        #expect(settings.retryBudget == core.retryBudget)
        #expect(settings.breakers == core.breakers)
        #expect(settings.recoveryRamp == core.recoveryRamp)
        #expect(settings.maxMessageBytes == WireCodec.defaultMaxMessageBytes)
        #expect(core.retry == CoordinatorConfiguration.defaultRetry)
        let empty = try ClusterSpec.parse("")
        #expect(empty.coordinatorConfiguration(coordinatorID: "", seed: core.seed) == core)
    }

    /// Each `key = value` line of the embedded cluster's `[coordinator]` table, read alone, is the
    /// core default (the file spells the connection settings out for the reader's sake).
    @Test func test_embeddedLocalCluster_eachSpelledOutCoordinatorKey_isTheCoreDefault() throws {
        var inCoordinator = false
        var checked: [String] = []
        for line in ClusterSpec.embeddedLocalCluster.split(separator: "\n") {
            if line.hasPrefix("[") {
                inCoordinator = line == "[coordinator]"
                continue
            }
            guard inCoordinator, !line.hasPrefix("#"), let key = line.split(separator: " ").first else { continue }
            let spec = try ClusterSpec.parse("[coordinator]\n\(line)\n")
            #expect(spec.coordinator == .defaults, "the embedded cluster's \(key) is not the default")
            checked.append(String(key))
        }
        #expect(
            checked == ["endpoint", "heartbeat", "liveness", "client-liveness", "max-deliveries", "max-message-bytes"]
        )
    }

    /// The Default columns of `cluster/README.md`'s `[coordinator]`, breaker and `[[group]]` tables,
    /// written into a file, read as the defaults.
    @Test func test_readme_defaultColumns_areTheCoreDefaults() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("cluster/README.md"), encoding: .utf8)
        let coordinatorKeys = Set(CoordinatorSettings.keys)
        let groupKeys = Set(WorkerGroupSpec.keys).subtracting(["name"])
        let suffixes = Dictionary(uniqueKeysWithValues: BreakerSetting.allCases.map { ($0.rawValue, $0) })
        var coordinator: [String] = []
        var group: [String] = []
        for row in readme.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 6, let key = Self.literal(cells[1]) else { continue }
            if let setting = suffixes[key], cells.count == 7 {
                // The breaker table: a suffix, the cluster's default, then the group's and worker's.
                if let cluster = Self.literal(cells[3]) {
                    coordinator.append("\(BreakerLevel.cluster.key(setting)) = \(cluster)")
                }
                if let others = Self.literal(cells[4]) {
                    coordinator.append("\(BreakerLevel.group.key(setting)) = \(others)")
                    coordinator.append("\(BreakerLevel.worker.key(setting)) = \(others)")
                }
            } else if let value = Self.literal(cells[3]), value != "[coordinator]" {
                if coordinatorKeys.contains(key) { coordinator.append("\(key) = \(value)") }
                if groupKeys.contains(key), !RetryOverride.keys.contains(key) { group.append("\(key) = \(value)") }
            }
        }
        // 9 connection keys, 4 retry keys, 3 budget keys, 7 breaker suffixes at 3 levels, 2 ramp keys,
        // 5 limits (the key lists have no default to spell out).
        #expect(coordinator.count == 9 + 4 + 3 + 7 * 3 + 2 + 5, "\(coordinator)")
        #expect(group.count == 4, "\(group)")
        let text = (["[coordinator]"] + coordinator + ["", "[[group]]", "name = \"g\""] + group).joined(separator: "\n")
        let spec = try ClusterSpec.parse(text + "\n")
        #expect(spec.coordinator == .defaults)
        #expect(spec.groups == [WorkerGroupSpec(name: "g")])
    }

    /// The text between the first pair of backticks of a table cell, if the cell starts with one.
    private static func literal(_ cell: String) -> String? {
        guard cell.hasPrefix("`") else { return nil }
        let rest = cell.dropFirst()
        guard let end = rest.firstIndex(of: "`") else { return nil }
        return String(rest[..<end])
    }
}

/// The `journal` key of `[coordinator]`: read as written, resolved against the file's directory.
@Suite struct ConfigJournalKeyTests {
    @Test func test_journalKey_isReadAndResolvedRelativeToTheFile() throws {
        let spec = try ClusterSpec.parse("[coordinator]\njournal = \"state/j.sqlite\"\n")
        #expect(spec.coordinator.journal == "state/j.sqlite")
        #expect(spec.coordinator.journalPath(inDirectoryOf: "/srv/herd", fallback: nil) == "/srv/herd/state/j.sqlite")
        let absolute = try ClusterSpec.parse("[coordinator]\njournal = \"/var/lib/herd/j.sqlite\"\n")
        #expect(absolute.coordinator.journalPath(inDirectoryOf: "/srv/herd", fallback: nil) == "/var/lib/herd/j.sqlite")
        let inMemory = try ClusterSpec.parse("[coordinator]\njournal = \"\"\n")
        #expect(inMemory.coordinator.journalPath(inDirectoryOf: "/srv", fallback: "/srv/.herd/journal.sqlite") == nil)
        #expect(try ClusterSpec.parse(spec.toTOML()) == spec, "written back as read")
        #expect(throws: ConfigError.self) { try ClusterSpec.parse("[coordinator]\njournal = 3\n") }
    }
}
