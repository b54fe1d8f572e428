import Foundation
import HerdCore
import HerdRuntime
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `herd status --watch`: the status redrawn every interval until SIGINT or SIGTERM.
///
/// On a terminal it draws on the alternate screen with the cursor hidden, overwriting each line in
/// place (home, the lines each followed by erase-to-end-of-line, then erase-below: no clear, so no
/// flicker), in colour; on a signal it shows the cursor again and leaves the alternate screen, so
/// the shell finds its screen as it was. Not on a terminal, it prints plain blocks, each headed by
/// the time.
struct StatusWatch {
    let client: HerdClient
    let interval: Duration
    let terminal = isatty(STDOUT_FILENO) == 1

    static let enter = "\u{1B}[?1049h\u{1B}[?25l"
    static let leave = "\u{1B}[?25h\u{1B}[?1049l"

    func run() async {
        if self.terminal { Self.write(Self.enter) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
            }
            group.addTask { await self.loop() }
            await group.next()
            group.cancelAll()
        }
        if self.terminal { Self.write(Self.leave) }
    }

    private func loop() async {
        while !Task.isCancelled {
            var text: String
            do {
                let report = try await self.client.status()
                text = StatusFormatter.text(report)
                if self.terminal {
                    text = Self.colour(text) + "\n\n" + Self.progress(report.jobs).joined(separator: "\n")
                }
            } catch {
                text = "coordinator \(self.client.endpoint) unreachable: \(error)"
            }
            let stamp = Self.clock()
            if self.terminal {
                let header =
                    "\u{1B}[1mherd status\u{1B}[0m  \(stamp)  every \(formatInterval(self.interval))  (Ctrl-C to quit)"
                let lines =
                    ([header, ""] + text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
                Self.write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J")
            } else {
                Self.write("--- \(stamp) ---\n\(text)\n")
            }
            try? await Task.sleep(for: self.interval)
        }
    }

    private func formatInterval(_ duration: Duration) -> String {
        let ms = duration.nanosecondsClamped / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    /// The local time, `HH:MM:SS`.
    static func clock() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        return String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// A progress bar per job: done share in green, running in yellow.
    static func progress(_ jobs: [JobStatus]) -> [String] {
        guard !jobs.isEmpty else { return [] }
        let width = 30
        return ["PROGRESS"]
            + jobs.map { job in
                let total = max(Int(job.total), 1)
                let done = Int(job.finished) * width / total
                let running = min(width - done, Int(job.running) * width / total)
                let bar =
                    "\u{1B}[32m" + String(repeating: "█", count: done) + "\u{1B}[33m"
                    + String(repeating: "▒", count: running) + "\u{1B}[0m"
                    + String(repeating: "·", count: width - done - running)
                return "\(job.job)  [\(bar)]  \(Int(job.finished) * 100 / total)%  \(job.finished)/\(job.total)"
            }
    }

    /// Colours the states and breaker states of the rendered tables (padding is kept: only the
    /// words are wrapped).
    static func colour(_ text: String) -> String {
        let rules: [(String, String)] = [
            (#"\b(forced-open|dead \([^)]*\)|dead|unhealthy[^ ]*|OVERDUE)"#, "31"),
            (#"(?<![-\w])open\b"#, "31"),
            (#"\b(half-open|draining|left|ramp \d+%)"#, "33"),
            (#"\b(live|closed)\b"#, "32"),
        ]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, line) in lines.enumerated() {
            if ["WORKERS", "GROUPS", "JOBS"].contains(line) {
                lines[index] = "\u{1B}[1m\(line)\u{1B}[0m"
                continue
            }
            var coloured = line
            for (pattern, code) in rules {
                coloured = coloured.replacingOccurrences(
                    of: pattern,
                    with: "\u{1B}[\(code)m$0\u{1B}[0m",
                    options: .regularExpression
                )
            }
            lines[index] = coloured
        }
        return lines.joined(separator: "\n")
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
