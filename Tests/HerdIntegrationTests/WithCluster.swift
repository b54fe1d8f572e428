import HerdTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with a fresh ``TestCluster`` (HerdTestKit) and always tears it down, then checks no
/// process is left.
func withCluster(
    config: String = TestCluster.defaultConfig,
    coordinatorArguments: [String] = [],
    _ body: (TestCluster) async throws -> Void
) async throws {
    let cluster = try await TestCluster.start(config: config, coordinatorArguments: coordinatorArguments)
    do {
        try await body(cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
    for pid in cluster.pids {
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "process \(pid) survived the test")
    }
}
