import Foundation
import HerdCore
import Testing

@testable import HerdConfig

/// `cluster/local.toml` and ``ClusterSpec/embeddedLocalCluster``: the same bytes, a valid cluster,
/// and commands a stock Debian machine can run.
@Suite struct ConfigEmbeddedClusterTests {
    /// `cluster/local.toml`, found from this file's path.
    private static let fileURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // HerdConfigTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("cluster/local.toml")

    @Test func test_embeddedLocalCluster_isByteIdenticalToTheFile() throws {
        let file = try Data(contentsOf: Self.fileURL)
        #expect(Array(file) == Array(ClusterSpec.embeddedLocalCluster.utf8))
    }

    @Test func test_embeddedLocalCluster_parsesToTwoGroupsAndADemoJob() throws {
        let spec = try ClusterSpec.parse(ClusterSpec.embeddedLocalCluster)
        #expect(spec.coordinator == .defaults)
        #expect(spec.groups.map(\.name) == ["agents", "tools"])
        #expect(spec.groups.map(\.workers) == [2, 1])
        #expect(spec.groups.map(\.capacity) == [8, 4])
        let job = try #require(spec.job)
        #expect(job.group == "agents")
        #expect(job.fanout == 200)
        let kinds = try spec.groups[0].exec.map { binding throws(ConfigError) in try ExecSpec(parsing: binding).kind }
        #expect(kinds.contains(job.kind))
        #expect(try ClusterSpec.parse(spec.toTOML()) == spec)
    }

    /// Runs every exec command as `/bin/sh -c COMMAND` with a payload on stdin: only coreutils and
    /// dash may be needed, so bashisms such as `$RANDOM` must not appear.
    @Test func test_embeddedLocalCluster_commandsRunUnderPOSIXShell() throws {
        let spec = try ClusterSpec.parse(ClusterSpec.embeddedLocalCluster)
        for group in spec.groups {
            for binding in group.exec {
                let exec = try ExecSpec(parsing: binding)
                #expect(!exec.command.contains("RANDOM"), "\(exec.kind) relies on bash's $RANDOM")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", exec.command]
                let input = Pipe()
                let output = Pipe()
                process.standardInput = input
                process.standardOutput = output
                try process.run()
                input.fileHandleForWriting.write(Data("subtask 7: hello from herd".utf8))
                try input.fileHandleForWriting.close()
                let result = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "\(exec.kind) failed")
                #expect(!result.isEmpty, "\(exec.kind) printed nothing")
            }
        }
    }
}
