import HerdCore
import Testing

@testable import HerdConfig

/// A file of `lines`, so that cases can count lines at a glance.
private func configLines(_ lines: String...) -> String {
    lines.joined(separator: "\n")
}

/// The typed layer: cluster files into ``ClusterSpec``, with precise errors for everything wrong.
@Suite struct ConfigClusterSpecTests {
    static let example = """
        [coordinator]
        endpoint = "tcp://127.0.0.1:5555"
        heartbeat = "250ms"
        liveness = "1s"

        [[group]]
        name = "agents"
        workers = 2
        capacity = 8
        exec = ["shout=tr a-z A-Z", "count=wc -c"]

        [[group]]
        name = "tools"
        workers = 1
        capacity = 4

        [job]
        group = "agents"
        kind = "shout"
        fanout = 100
        payload = "subtask {index}: hello from herd"
        """

    static let exampleSpec = ClusterSpec(
        coordinator: CoordinatorSettings(
            endpoint: "tcp://127.0.0.1:5555",
            heartbeatInterval: .milliseconds(250),
            livenessWindow: .seconds(1)
        ),
        groups: [
            WorkerGroupSpec(name: "agents", workers: 2, capacity: 8, exec: ["shout=tr a-z A-Z", "count=wc -c"]),
            WorkerGroupSpec(name: "tools", workers: 1, capacity: 4),
        ],
        job: DemoJobSpec(group: "agents", kind: "shout", fanout: 100, payload: "subtask {index}: hello from herd")
    )

    private static func expectError(_ text: String, line: Int?, _ message: String) {
        #expect(throws: ConfigError(line: line, message: message)) { try ClusterSpec.parse(text) }
    }

    // MARK: - Reading

    @Test func test_parse_example_givesEverySetting() throws {
        #expect(try ClusterSpec.parse(Self.example) == Self.exampleSpec)
    }

    @Test func test_parse_emptyFile_givesDefaults() throws {
        let spec = try ClusterSpec.parse("# nothing here\n")
        #expect(spec == ClusterSpec())
        #expect(spec.coordinator == .defaults)
        #expect(spec.groups.isEmpty)
        #expect(spec.job == nil)
    }

    @Test func test_defaults_matchTheDocumentedValues() {
        let defaults = CoordinatorSettings.defaults
        #expect(defaults.endpoint == "tcp://127.0.0.1:5555")
        #expect(defaults.heartbeatInterval == .milliseconds(250))
        #expect(defaults.livenessWindow == .seconds(1))
        #expect(defaults.maxMessageBytes == 67_108_864)
        #expect(defaults.maxDeliveries == 5)
        #expect(defaults.clientLiveness == .milliseconds(1500))
        let group = WorkerGroupSpec(name: "g")
        #expect(group.workers == 1)
        #expect(group.capacity == 4)
        #expect(group.exec.isEmpty)
        #expect(group.node == nil)
    }

    @Test func test_parse_everyCoordinatorKey_isRead() throws {
        let spec = try ClusterSpec.parse(
            configLines(
                "[coordinator]",
                "endpoint = 'ipc:///tmp/herd.sock'",
                "heartbeat = \"100ms\"",
                "liveness = \"1.5s\"",
                "max-message-bytes = 1_048_576",
                "max-deliveries = 3",
                "client-liveness = \"2m\""
            )
        )
        #expect(
            spec.coordinator
                == CoordinatorSettings(
                    endpoint: "ipc:///tmp/herd.sock",
                    heartbeatInterval: .milliseconds(100),
                    livenessWindow: .milliseconds(1500),
                    maxMessageBytes: 1_048_576,
                    maxDeliveries: 3,
                    clientLiveness: .seconds(120)
                )
        )
    }

    @Test func test_parse_groupWithOnlyAName_getsDefaults() throws {
        let spec = try ClusterSpec.parse("[[group]]\nname = \"solo\"\nnode = \"Host-1.local\"")
        #expect(spec.groups == [WorkerGroupSpec(name: "solo", workers: 1, capacity: 4, exec: [], node: "Host-1.local")])
        #expect(spec.group(named: "solo")?.node == "Host-1.local")
        #expect(spec.group(named: "nope") == nil)
    }

    @Test func test_parse_groupWithACommand_keepsIt_andRoundTrips() throws {
        let spec = try ClusterSpec.parse("[[group]]\nname = \"py\"\nworkers = 2\ncommand = \"python3 my_worker.py\"")
        #expect(spec.groups.first?.command == "python3 my_worker.py")
        #expect(try ClusterSpec.parse(spec.toTOML()) == spec)
    }

    @Test func test_parse_jobBeforeItsGroup_isAccepted() throws {
        let spec = try ClusterSpec.parse(
            "[job]\ngroup = \"late\"\nkind = \"k\"\nfanout = 1\n[[group]]\nname = \"late\""
        )
        #expect(spec.job == DemoJobSpec(group: "late", kind: "k", fanout: 1, payload: ""))
    }

    @Test(arguments: [
        "tcp://127.0.0.1:5555", "tcp://*:5555", "tcp://localhost:1", "tcp://[::1]:65535", "tcp://eth0:*",
        "ipc:///tmp/herd.sock", "inproc://herd",
    ])
    func test_parse_validEndpoint_isAccepted(endpoint: String) throws {
        #expect(try ClusterSpec.parse("[coordinator]\nendpoint = '\(endpoint)'").coordinator.endpoint == endpoint)
        #expect(CoordinatorSettings.endpointProblem(endpoint) == nil)
    }

    @Test(arguments: [
        (1, 1), (1, 10_000), (0, 4), (256, 4),
    ])
    func test_parse_workersAndCapacityBoundaries_areAccepted(workers: Int, capacity: Int) throws {
        let spec = try ClusterSpec.parse("[[group]]\nname = \"g\"\nworkers = \(workers)\ncapacity = \(capacity)")
        #expect(spec.groups[0].workers == workers)
        #expect(spec.groups[0].capacity == capacity)
    }

    @Test func test_coordinatorSettingsParse_readsTheCoordinatorTable() throws {
        #expect(
            try CoordinatorSettings.parse("[coordinator]\nheartbeat = \"1s\"\nliveness = \"3s\"").livenessWindow
                == .seconds(3)
        )
        #expect(try CoordinatorSettings.parse("") == .defaults)
        #expect(try CoordinatorSettings.parse(Self.example) == Self.exampleSpec.coordinator)
        #expect(
            throws: ConfigError(
                line: 2,
                message:
                    "[coordinator]: unknown key 'port' (cluster/README.md lists the 58 known keys)"
            )
        ) {
            try CoordinatorSettings.parse("[coordinator]\nport = 5555")
        }
    }

    @Test func test_payloadSource_isTheTemplateTimesFanout() {
        let job = DemoJobSpec(group: "g", kind: "k", fanout: 3, payload: "n={index}")
        #expect(job.payloadSource == .template(Array("n={index}".utf8), count: 3))
        #expect(job.payloadSource.payload(at: 2) == Array("n=2".utf8))
    }

    @Test func test_execSpec_splitsAtTheFirstEquals() throws {
        #expect(try ExecSpec(parsing: "env=env A=B sh") == ExecSpec(kind: "env", command: "env A=B sh"))
        #expect(ExecSpec(kind: "shout", command: "tr a-z A-Z").description == "shout=tr a-z A-Z")
        #expect(WorkerGroupSpec.isValidName("a.b_c-9"))
        #expect(!WorkerGroupSpec.isValidName(String(repeating: "a", count: 65)))
        #expect(WorkerGroupSpec.isValidName(String(repeating: "a", count: 64)))
    }

    // MARK: - Writing

    @Test func test_toTOML_example_roundTrips() throws {
        let spec = try ClusterSpec.parse(Self.example)
        #expect(try ClusterSpec.parse(spec.toTOML()) == spec)
    }

    @Test func test_toTOML_everything_roundTrips() throws {
        let spec = ClusterSpec(
            coordinator: CoordinatorSettings(
                endpoint: "tcp://[::1]:6000",
                heartbeatInterval: .microseconds(1_500),
                livenessWindow: .seconds(90),
                maxMessageBytes: 1024,
                maxDeliveries: 100,
                clientLiveness: .seconds(3600)
            ),
            groups: [
                WorkerGroupSpec(
                    name: "a",
                    workers: 0,
                    capacity: 10_000,
                    exec: [#"q=sh -c 'echo "$1" \ done'"#],
                    node: "N1"
                ),
                WorkerGroupSpec(name: "b"),
            ],
            job: DemoJobSpec(group: "b", kind: "x", fanout: 1_000_000, payload: "tab\there \"quoted\"\nnewline é")
        )
        let text = spec.toTOML()
        #expect(try ClusterSpec.parse(text) == spec)
        #expect(text.hasSuffix("\n"))
    }

    @Test func test_toTOML_example_isCanonical() throws {
        #expect(
            try ClusterSpec.parse(Self.example).toTOML() == """
                [coordinator]
                endpoint = "tcp://127.0.0.1:5555"
                heartbeat = "250ms"
                liveness = "1s"
                liveness-stretch = 4
                max-message-bytes = 67108864
                max-deliveries = 5
                client-liveness = "1.5s"

                [[group]]
                name = "agents"
                workers = 2
                capacity = 8
                exec = ["shout=tr a-z A-Z", "count=wc -c"]

                [[group]]
                name = "tools"
                workers = 1
                capacity = 4
                exec = []

                [job]
                group = "agents"
                kind = "shout"
                fanout = 100
                payload = "subtask {index}: hello from herd"

                """
        )
    }

    // MARK: - Errors: shape and unknown names

    @Test(arguments: [
        (
            configLines("[coordinator]", "heartbeet = \"1s\""), 2,
            "[coordinator]: unknown key 'heartbeet'; did you mean 'heartbeat'?"
        ),
        (
            configLines("[coordinator]", "endpoint = 'tcp://h:1'", "port = 1"), 3,
            "[coordinator]: unknown key 'port' (cluster/README.md lists the 58 known keys)"
        ),
        (
            configLines("[coordinator]", "max_deliveries = 3"), 2,
            "[coordinator]: unknown key 'max_deliveries'; did you mean 'max-deliveries'?"
        ),
        (
            configLines("[coordinator.tls]", "cert = 'x'"), 1,
            "[coordinator]: unknown key 'tls' (cluster/README.md lists the 58 known keys)"
        ),
        (
            configLines("[[group]]", "name = \"tools\"", "capacty = 4"), 3,
            "group 'tools': unknown key 'capacty'; did you mean 'capacity'?"
        ),
        (
            configLines("[[group]]", "nmae = \"tools\""), 2,
            "group #1: unknown key 'nmae'; did you mean 'name'?"
        ),
        (
            configLines("[job]", "group = 'g'", "fan-out = 3"), 3,
            "[job]: unknown key 'fan-out'; did you mean 'fanout'?"
        ),
        (configLines("[coordinatr]"), 1, "unknown table [coordinatr]; did you mean [coordinator]?"),
        (configLines("[[groups]]", "name = 'g'"), 1, "unknown table [[groups]]; did you mean [[group]]?"),
        (
            configLines("", "workers = 3"), 2,
            "unknown key 'workers'; a cluster file has [coordinator], [[group]], [[kind]] and [job] tables"
        ),
        (
            configLines("[cluster]"), 1,
            "unknown table [cluster]; a cluster file has [coordinator], [[group]], [[kind]] and [job] tables"
        ),
        (configLines("[group]", "name = 'g'"), 1, "group must be written as a [[group]] table, not as [group]"),
        (
            configLines("[[coordinator]]"), 1,
            "coordinator must be written as a [coordinator] table, not as [[coordinator]]"
        ),
        (configLines("[[job]]"), 1, "job must be written as a [job] table, not as [[job]]"),
        (configLines("job = 'demo'"), 1, "job must be written as a [job] table, not as key 'job'"),
        (configLines("group = ['a']"), 1, "group must be written as a [[group]] table, not as key 'group'"),
    ])
    func test_parse_unknownOrMisshapenTable_fails(text: String, line: Int, message: String) {
        Self.expectError(text, line: line, message)
    }

    // MARK: - Errors: coordinator values

    @Test(arguments: [
        (
            configLines("[coordinator]", "endpoint = 'localhost:5555'"), 2,
            #"[coordinator]: endpoint must look like tcp://HOST:PORT (port 1...65535), ipc://PATH or inproc://NAME, got "localhost:5555""#
        ),
        (
            configLines("[coordinator]", "endpoint = 'tcp://127.0.0.1:0'"), 2,
            #"[coordinator]: endpoint must look like tcp://HOST:PORT (port 1...65535), ipc://PATH or inproc://NAME, got "tcp://127.0.0.1:0""#
        ),
        (
            configLines("[coordinator]", "endpoint = 'tcp://127.0.0.1'"), 2,
            #"[coordinator]: endpoint must look like tcp://HOST:PORT (port 1...65535), ipc://PATH or inproc://NAME, got "tcp://127.0.0.1""#
        ),
        (
            configLines("[coordinator]", "endpoint = 'udp://h:1'"), 2,
            #"[coordinator]: endpoint must look like tcp://HOST:PORT (port 1...65535), ipc://PATH or inproc://NAME, got "udp://h:1""#
        ),
        (configLines("[coordinator]", "endpoint = 5555"), 2, "[coordinator]: endpoint must be a string, got 5555"),
        (
            configLines("[coordinator]", "heartbeat = 250"), 2,
            #"[coordinator]: heartbeat must be a duration string like "250ms", got 250"#
        ),
        (
            configLines("[coordinator]", "heartbeat = '5'"), 2,
            "[coordinator]: heartbeat: expected a duration like 250ms, 2s or 1m, got '5'"
        ),
        (
            configLines("[coordinator]", "liveness = '2x'"), 2,
            "[coordinator]: liveness: unknown duration unit 'x' in '2x'; use ns, us, ms, s, m or h"
        ),
        (
            configLines("[coordinator]", "heartbeat = '0s'"), 2,
            #"[coordinator]: heartbeat must be from 1ms to 1h, got "0s""#
        ),
        (
            configLines("[coordinator]", "heartbeat = '999us'"), 2,
            #"[coordinator]: heartbeat must be from 1ms to 1h, got "999us""#
        ),
        (
            configLines("[coordinator]", "client-liveness = '61m'"), 2,
            #"[coordinator]: client-liveness must be from 1ms to 1h, got "61m""#
        ),
        (
            configLines("[coordinator]", "heartbeat = '250ms'", "liveness = '250ms'"), 3,
            "[coordinator]: liveness (250ms) must be longer than heartbeat (250ms)"
        ),
        (
            configLines("[coordinator]", "liveness = '100ms'", "heartbeat = '250ms'"), 2,
            "[coordinator]: liveness (100ms) must be longer than heartbeat (250ms)"
        ),
        (
            configLines("[coordinator]", "heartbeat = '2s'"), 2,
            "[coordinator]: liveness (1s, the default) must be longer than heartbeat (2s)"
        ),
        (
            configLines("[coordinator]", "max-message-bytes = 1023"), 2,
            "[coordinator]: max-message-bytes must be an integer 1024...1073741824, got 1023"
        ),
        (
            configLines("[coordinator]", "max-message-bytes = '64MiB'"), 2,
            #"[coordinator]: max-message-bytes must be an integer 1024...1073741824, got "64MiB""#
        ),
        (
            configLines("[coordinator]", "liveness-stretch = 0"), 2,
            "[coordinator]: liveness-stretch must be an integer 1...100, got 0"
        ),
        (
            configLines("[coordinator]", "max-deliveries = 0"), 2,
            "[coordinator]: max-deliveries must be an integer 1...100, got 0"
        ),
        (
            configLines("[coordinator]", "max-deliveries = 5.0"), 2,
            "[coordinator]: max-deliveries must be an integer 1...100, got 5.0"
        ),
    ])
    func test_parse_badCoordinatorValue_fails(text: String, line: Int, message: String) {
        Self.expectError(text, line: line, message)
    }

    @Test func test_parse_durationBoundaries_areAccepted() throws {
        let tight = try ClusterSpec.parse("[coordinator]\nheartbeat = '999ms'\nliveness = '1s'")
        #expect(tight.coordinator.heartbeatInterval == .milliseconds(999))
        let wide = try ClusterSpec.parse("[coordinator]\nheartbeat = '1ms'\nliveness = '1h'\nclient-liveness = '60m'")
        #expect(wide.coordinator.heartbeatInterval == .milliseconds(1))
        #expect(wide.coordinator.livenessWindow == .seconds(3600))
        #expect(wide.coordinator.clientLiveness == .seconds(3600))
    }

    // MARK: - Errors: groups

    @Test(arguments: [
        (
            configLines("[[group]]", "name = \"tools\"", "capacity = \"eight\""), 3,
            #"group 'tools': capacity must be an integer 1...10000, got "eight""#
        ),
        (
            configLines("[[group]]", "name = \"tools\"", "capacity = 0"), 3,
            "group 'tools': capacity must be an integer 1...10000, got 0"
        ),
        (
            configLines("[[group]]", "name = \"tools\"", "capacity = 10_001"), 3,
            "group 'tools': capacity must be an integer 1...10000, got 10001"
        ),
        (
            configLines("[[group]]", "name = \"tools\"", "workers = -1"), 3,
            "group 'tools': workers must be an integer 0...256, got -1"
        ),
        (
            configLines("[[group]]", "name = \"tools\"", "workers = 257"), 3,
            "group 'tools': workers must be an integer 0...256, got 257"
        ),
        (
            configLines("[[group]]", "name = \"tools\"", "workers = true"), 3,
            "group 'tools': workers must be an integer 0...256, got true"
        ),
        (configLines("", "[[group]]", "workers = 2"), 2, "group #1: missing required key 'name'"),
        (configLines("[[group]]", "name = 7"), 2, "group #1: name must be a string, got 7"),
        (
            configLines("[[group]]", "name = 'a'", "[[group]]", "name = \"Agents\""), 4,
            #"group #2: name must be 1 to 64 characters from a-z, 0-9, '.', '_' and '-', got "Agents""#
        ),
        (
            configLines("[[group]]", "name = ''"), 2,
            #"group #1: name must be 1 to 64 characters from a-z, 0-9, '.', '_' and '-', got """#
        ),
        (
            configLines("[[group]]", "name = 'tools'", "", "[[group]]", "workers = 2", "name = 'tools'"), 6,
            "group 'tools' is defined twice (first on line 2)"
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = 'shout=tr a-z A-Z'"), 3,
            #"group 'g': exec must be an array of strings, got "shout=tr a-z A-Z""#
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = [\"a=b\", 3]"), 3,
            "group 'g': exec[1] must be a string, got 3"
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = [", "  \"shout\",", "]"), 3,
            #"group 'g': exec[0]: expected KIND=COMMAND, like "shout=tr a-z A-Z", got "shout""#
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = ['Shout=tr a-z A-Z']"), 3,
            #"group 'g': exec[0]: the kind in "Shout=tr a-z A-Z" must be 1 to 64 characters from a-z, 0-9, '.', '_' and '-', got "Shout""#
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = ['=tr a-z A-Z']"), 3,
            #"group 'g': exec[0]: the kind in "=tr a-z A-Z" must be 1 to 64 characters from a-z, 0-9, '.', '_' and '-', got """#
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = ['ok=true', 'shout=  ']"), 3,
            "group 'g': exec[1]: the command for kind 'shout' is empty"
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = ['a=x', 'b=y', 'a=z']"), 3,
            "group 'g': exec lists kind 'a' twice"
        ),
        (
            configLines("[[group]]", "name = 'g'", "command = '  '"), 3,
            "group 'g': command must not be blank"
        ),
        (
            configLines("[[group]]", "name = 'g'", "exec = ['a=b']", "command = 'python3 w.py'"), 4,
            "group 'g': command and exec exclude each other: a command worker declares its own kinds"
        ),
        (
            configLines("[[group]]", "name = 'g'", "node = 'my node'"), 3,
            #"group 'g': node must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-', got "my node""#
        ),
    ])
    func test_parse_badGroup_fails(text: String, line: Int, message: String) {
        Self.expectError(text, line: line, message)
    }

    // MARK: - Errors: job

    @Test(arguments: [
        (
            configLines(
                "[[group]]",
                "name = 'agents'",
                "[[group]]",
                "name = 'tools'",
                "[job]",
                "group = 'agnts'",
                "kind = 'k'",
                "fanout = 1"
            ),
            6, "[job]: group 'agnts' is not defined (defined groups: agents, tools)"
        ),
        (
            configLines("[job]", "group = 'agents'", "kind = 'k'", "fanout = 1"), 2,
            "[job]: group 'agents' is not defined (no [[group]] tables are defined)"
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "kind = 'k'", "fanout = 1"), 3,
            "[job]: missing required key 'group'"
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "group = 'g'", "fanout = 1"), 3,
            "[job]: missing required key 'kind'"
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "group = 'g'", "kind = 'k'"), 3,
            "[job]: missing required key 'fanout'"
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "group = 'g'", "kind = 'k k'", "fanout = 1"), 5,
            #"[job]: kind must be 1 to 64 characters from a-z, 0-9, '.', '_' and '-', got "k k""#
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "group = 'g'", "kind = 'k'", "fanout = 0"), 6,
            "[job]: fanout must be an integer 1...1000000, got 0"
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "group = 'g'", "kind = 'k'", "fanout = 1_000_001"), 6,
            "[job]: fanout must be an integer 1...1000000, got 1000001"
        ),
        (
            configLines("[[group]]", "name = 'g'", "[job]", "group = 'g'", "kind = 'k'", "fanout = 1", "payload = 42"),
            7,
            "[job]: payload must be a string, got 42"
        ),
    ])
    func test_parse_badJob_fails(text: String, line: Int, message: String) {
        Self.expectError(text, line: line, message)
    }

    // MARK: - Errors: TOML

    @Test func test_parse_unsupportedTOML_failsWithTheReadersError() {
        var lines = Self.example.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[6] = "limits = { cpu = 2 }"
        Self.expectError(
            lines.joined(separator: "\n"),
            line: 7,
            "inline tables are not supported by Herd's config reader; use a [table] header"
        )
    }
}
