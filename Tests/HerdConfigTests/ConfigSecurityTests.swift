import HerdCore
import Testing

@testable import HerdConfig

/// The security and limits keys of `[coordinator]` and `[[group]]` (docs/SECURITY.md).
@Suite struct ConfigSecurityTests {
    @Test func test_securityKeys_areRead_andWrittenBackAsRead() throws {
        let spec = try ClusterSpec.parse(
            """
            [coordinator]
            secret-key = "keys/coordinator.key"
            worker-keys = ["keys/worker.pub"]
            client-keys = ["keys/client.pub", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"]
            operator-keys = ["keys/operator.pub"]
            max-fanout = 1000
            max-open-jobs-per-client = 3
            max-submissions-per-second = 20
            max-payload-bytes = 4096
            max-output-bytes = 8192

            [[group]]
            name = "gpu"
            worker-keys = ["keys/gpu.pub"]
            """
        )
        #expect(spec.coordinator.secretKey == "keys/coordinator.key")
        #expect(spec.coordinator.workerKeys == ["keys/worker.pub"])
        #expect(spec.coordinator.clientKeys.count == 2)
        #expect(spec.coordinator.operatorKeys == ["keys/operator.pub"])
        #expect(spec.coordinator.namesKeys)
        #expect(
            spec.coordinator.limits
                == CoordinatorLimits(
                    maxSubtasksPerJob: 1000,
                    maxOpenJobsPerClient: 3,
                    maxSubmissionsPerSecond: 20,
                    maxPayloadBytes: 4096,
                    maxOutputBytes: 8192
                )
        )
        #expect(spec.groups[0].workerKeys == ["keys/gpu.pub"])
        #expect(spec.coordinatorConfiguration(coordinatorID: "c", seed: 1).limits == spec.coordinator.limits)
        #expect(try ClusterSpec.parse(spec.toTOML()) == spec, "written back as read")
    }

    @Test func test_absentSecurityKeys_areTheDefaults() throws {
        let spec = try ClusterSpec.parse("[coordinator]\n")
        #expect(spec.coordinator.secretKey == nil)
        #expect(!spec.coordinator.namesKeys)
        #expect(spec.coordinator.limits == CoordinatorConfiguration.defaults.limits)
    }

    @Test(arguments: [
        ("max-fanout = 0", "max-fanout must be an integer 1...10000000, got 0"),
        ("max-output-bytes = -1", "max-output-bytes must be an integer 1...1073741824, got -1"),
        ("client-keys = \"k\"", "client-keys must be an array of strings"),
        ("worker-keys = [\"\"]", "worker-keys entries must be a Z85 public key or a key file's path"),
        ("secret-key = \"\"", "secret-key must name a key file"),
    ])
    func test_badSecurityValue_fails(line: String, message: String) {
        #expect {
            try ClusterSpec.parse("[coordinator]\n\(line)\n")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func test_isLocal_loopbackAndLocalEndpoints() {
        for local in [
            "tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://localhost:1", "tcp://[::1]:2", "ipc:///tmp/h",
        ] {
            #expect(CoordinatorSettings.isLocal(local), "\(local)")
        }
        for remote in ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.1:5555", "tcp://eth0:1"] {
            #expect(!CoordinatorSettings.isLocal(remote), "\(remote)")
        }
    }
}
