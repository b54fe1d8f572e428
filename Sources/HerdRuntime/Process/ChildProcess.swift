import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A long-lived child process of ours (a `herd` coordinator or worker), for `herd up` and the
/// multi-process tests: started with a clean environment of our choosing, its standard output read
/// line by line (readiness lines), its standard error sent to a file or discarded.
///
/// Not for running subtasks: those go through ``ExecRunner``, which also owns the child's process
/// group and kills grandchildren. The programs started here are `herd` itself, which unblocks
/// every signal at start, so Foundation's inherited signal mask (swift-corelibs-foundation #4772)
/// does not reach them.
public final class ChildProcess: Sendable {
    /// Where the child's standard error goes.
    public enum ErrorOutput: Sendable {
        case discard
        case inherit
        case file(String)
    }

    private let process: Process
    private let exited = OneShot<Int32>()
    private let lineStream: AsyncStream<String>
    public let pid: Int32
    public let name: String

    /// Starts `executable` with `arguments`.
    /// - Parameters:
    ///   - environment: Added to (and overriding) this process's environment.
    public init(name: String, executable: String, arguments: [String], environment: [String: String] = [:], stderr: ErrorOutput = .discard) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        process.standardOutput = out
        switch stderr {
        case .discard: process.standardError = FileHandle.nullDevice
        case .inherit: process.standardError = FileHandle.standardError
        case .file(let path):
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let buffer = Mutex<[UInt8]>([])
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            let complete: [String] = buffer.withLock { buffer in
                buffer.append(contentsOf: data)
                var lines: [String] = []
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                    buffer.removeSubrange(...newline)
                }
                return lines
            }
            for line in complete { continuation.yield(line) }
        }
        let exited = self.exited
        // The output ends at EOF, or one second after the child exited: another process spawned
        // at the same moment by this process may have inherited the pipe's write end (Foundation
        // does not open it close-on-exec) and hold it open long after our child is gone.
        let endOutput: @Sendable () -> Void = {
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 1)
                continuation.finish()
            }
        }
        process.terminationHandler = { process in
            let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            exited.resolve(.success(status))
            endOutput()
        }
        try process.run()
        self.process = process
        self.pid = process.processIdentifier
        // Foundation's termination handler is not always called on Linux (seen when many
        // processes exit at once in one test process): also watch the pid ourselves, without
        // reaping it (WNOWAIT), on a thread that blocks until it exits. First report wins.
        let pid = process.processIdentifier
        Thread.detachNewThread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
                guard errno == EINTR else { return }  // ECHILD: already reaped, and reported
            }
            let status = info._sifields._sigchld.si_status
            // Give Foundation a moment to reap and report it; if it does not, reap it here so no
            // zombie is left behind.
            Thread.sleep(forTimeInterval: 0.2)
            if !exited.isResolved {
                var raw: Int32 = 0
                _ = waitpid(pid, &raw, WNOHANG)
                exited.resolve(.success(info.si_code == CLD_EXITED ? status : 128 + status))
            }
            endOutput()
        }
        self.name = name
        self.lineStream = lines
    }

    /// The child's standard output, line by line (one iterator only).
    public var lines: AsyncStream<String> { self.lineStream }

    /// Waits for the first output line that satisfies `matching`, or `nil` if output ends first.
    public func firstLine(where matching: (String) -> Bool) async -> String? {
        for await line in self.lineStream where matching(line) { return line }
        return nil
    }

    /// Sends a signal to the child.
    public func signal(_ signal: Int32) { _ = kill(self.pid, signal) }

    /// Waits for the child to exit; returns its exit status (128 + N when killed by signal N).
    public func waitForExit() async -> Int32 { (try? await self.exited.value()) ?? -1 }

    /// SIGTERM, then SIGKILL if the child is still there after `grace`; returns the exit status.
    public func stop(grace: Duration) async -> Int32 {
        self.signal(SIGTERM)
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await self.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: grace)
                return nil
            }
            if let first = await group.next(), let status = first {
                group.cancelAll()
                return status
            }
            self.signal(SIGKILL)
            let status = await group.next() ?? nil
            group.cancelAll()
            return status ?? -1
        }
    }

    /// True until the child has exited (and been reaped).
    public var isRunning: Bool { self.process.isRunning }
}
