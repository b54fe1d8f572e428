import ArgumentParser
import Testing

@testable import herd

/// The CURVE options: `herd keygen`, the coordinator's keys, and `--server-key`/`--key`/`--insecure`
/// on every command that connects (docs/SECURITY.md).
@Suite struct SecurityParseTests {
    @Test func test_keygen_out_defaultsToHerd() throws {
        #expect(try CLI.parse(["keygen"], as: Herd.Keygen.self).out == "herd")
        #expect(try CLI.parse(["keygen", "--out", "keys/w1"], as: Herd.Keygen.self).out == "keys/w1")
        CLI.expectRejected(["keygen", "--out"], "Missing value for '--out <out>'")
    }

    @Test func test_coordinator_keyOptions_areParsed_andRepeatable() throws {
        let coordinator = try CLI.parse(
            [
                "coordinator", "--secret-key", "c.key", "--allow-worker", "w1.pub", "--allow-worker", "w2.pub",
                "--allow-client", "a.pub", "--allow-operator", "ops.pub",
            ],
            as: Herd.Coordinator.self
        )
        #expect(coordinator.secretKey == "c.key")
        #expect(coordinator.allowWorker == ["w1.pub", "w2.pub"])
        #expect(coordinator.allowClient == ["a.pub"])
        #expect(coordinator.allowOperator == ["ops.pub"])
        #expect(!coordinator.insecure)
        #expect(try CLI.parse(["coordinator", "--insecure"], as: Herd.Coordinator.self).insecure)
    }

    @Test(arguments: OptionGroupParseTests.connecting)
    func test_connect_everyCommand_takesServerKeyKeyAndInsecure(_ arguments: [String]) throws {
        let command = try Herd.parseAsRoot(arguments + ["--server-key", "c.pub", "--key", "me.key"])
        let options = try #require(
            Mirror(reflecting: command).descendant("_coordinator") as? OptionGroup<ConnectOptions>
        )
        #expect(options.wrappedValue.serverKey == "c.pub")
        #expect(options.wrappedValue.key == "me.key")
        #expect(!options.wrappedValue.insecure)
        let insecure = try Herd.parseAsRoot(arguments + ["--insecure"])
        let plain = try #require(
            Mirror(reflecting: insecure).descendant("_coordinator") as? OptionGroup<ConnectOptions>
        )
        #expect(try plain.wrappedValue.security() == nil, "--insecure: no CURVE")
    }

    @Test func test_up_insecure_isParsed() throws {
        #expect(try CLI.parse(["up", "--insecure"], as: Herd.Up.self).insecure)
        #expect(!(try CLI.parse(["up"], as: Herd.Up.self).insecure))
    }
}
