import Foundation
import HerdRuntime
import HerdTestKit
import Testing

/// `herd status --watch` in a real terminal (tmux): it draws on the alternate screen with the
/// cursor hidden, and Ctrl-C ends it with the terminal restored.
@Suite struct StatusWatchTests {
    /// Runs `tmux -L socket ARGS` and returns its standard output.
    @discardableResult
    static func tmux(_ socket: String, _ arguments: [String]) async throws -> String {
        let path = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let path else { throw TestClusterError("tmux is not installed (.ci/run installs it)") }
        let process = try ChildProcess(name: "tmux", executable: path, arguments: ["-L", socket] + arguments)
        // The command that starts the server: the server keeps its standard output open, so only
        // wait for the client.
        guard arguments.first != "new-session" else {
            _ = await process.waitForExit()
            return ""
        }
        var lines: [String] = []
        for await line in process.lines { lines.append(line) }
        _ = await process.waitForExit()
        return lines.joined(separator: "\n")
    }

    /// Polls `condition` on the pane every 50 ms for at most 20 s.
    static func waitForPane(_ socket: String, _ what: String, _ condition: (String) -> Bool) async throws {
        for _ in 0 ..< 400 {
            if condition(try await Self.tmux(socket, ["capture-pane", "-p", "-t", "watch"])) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let pane = try await Self.tmux(socket, ["capture-pane", "-p", "-t", "watch"])
        throw TestClusterError("the pane never showed \(what); it shows:\n\(pane)")
    }

    @Test func test_watch_inTmux_redrawsLive_andCtrlCRestoresTheTerminal() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("t1", group: "g", capacity: 2)
            let socket = "herd-test-\(UUID().uuidString.prefix(8))"
            try await Self.tmux(
                socket,
                [
                    "new-session", "-d", "-s", "watch", "-x", "150", "-y", "50",
                    "\(TestCluster.herd) status --watch --interval 100ms --connect \(cluster.endpoint); echo EXITED=$?; sleep 60",
                ]
            )
            do { try await Self.watchAndQuit(cluster, socket: socket) } catch {
                _ = try? await Self.tmux(socket, ["kill-server"])
                throw error
            }
        }
    }

    static func watchAndQuit(_ cluster: TestCluster, socket: String) async throws {
        do {
            try await Self.waitForPane(socket, "worker t1") { $0.contains("WORKERS") && $0.contains("t1") }
            #expect(
                try await Self.tmux(socket, ["display", "-p", "-t", "watch", "#{alternate_on} #{cursor_flag}"]) == "1 0"
            )
            // Live: a job submitted now shows up without restarting the watch.
            let sleeper = try cluster.command([
                "submit", "--connect", cluster.endpoint, "--group", "g", "--kind", "sleep", "--fanout", "4",
                "--payload", "60000",
            ])
            try await Self.waitForPane(socket, "the job's progress") { $0.contains("PROGRESS") && $0.contains("j1") }
            try await Self.tmux(socket, ["send-keys", "-t", "watch", "C-c"])
            try await Self.waitForPane(socket, "the exit status") { $0.contains("EXITED=0") }
            // The alternate screen is left and the cursor shown again: the shell's screen is back.
            #expect(
                try await Self.tmux(socket, ["display", "-p", "-t", "watch", "#{alternate_on} #{cursor_flag}"]) == "0 1"
            )
            #expect(!(try await Self.tmux(socket, ["capture-pane", "-p", "-t", "watch"])).contains("WORKERS"))
            sleeper.signal(SIGKILL)
            _ = await sleeper.waitForExit()
            try await Self.tmux(socket, ["kill-server"])
        }
    }

    @Test func test_watch_notATerminal_printsPlainBlocks_andStopsOnSIGINT() async throws {
        try await withCluster { cluster in
            let watch = try cluster.command(["status", "--watch", "--interval", "100ms", "--connect", cluster.endpoint])
            var blocks = 0
            var escapes = false
            for await line in watch.lines {
                if line.hasPrefix("--- ") { blocks += 1 }
                if line.contains("\u{1B}[") { escapes = true }
                if blocks == 3, !escapes { watch.signal(SIGINT); blocks += 1 }
            }
            #expect(await watch.waitForExit() == 0)
            #expect(blocks >= 4)
            #expect(!escapes, "no terminal escapes when stdout is not a terminal")
        }
    }
}
