import Glibc
import HerdSystem

/// A long-lived child process of ours (a `herd` coordinator or worker), for `herd up` and the
/// multi-process tests: started with a clean environment of our choosing, its standard output read
/// line by line (readiness lines), its standard error sent to a file or discarded.
///
/// Not for running subtasks: those go through ``ExecRunner``, which also owns the child's process
/// group and kills grandchildren.
///
/// Started with `posix_spawn`, not Foundation's `Process`: on Linux `Process` opens its pipes
/// without close-on-exec (so a sibling spawned at the same moment holds our child's stdout open
/// and its output never ends) and its termination handler can miss exits when many children end
/// at once. Here every descriptor is close-on-exec (``HerdSystem/Spawn``), one thread per child
/// blocks in `waitpid` (and reaps it: no zombie), and one thread reads its output until end of file.
public final class ChildProcess: Sendable {
    /// Where the child's standard error goes.
    public enum ErrorOutput: Sendable {
        case discard
        case inherit
        case file(String)
    }

    private let exited = OneShot<Int32>()
    private let lineStream: AsyncStream<String>
    public let pid: Int32
    public let name: String

    /// Starts `executable` with `arguments`.
    /// - Parameters:
    ///   - environment: Added to (and overriding) this process's environment.
    ///   - ownProcessGroup: Starts the child in a process group of its own, so that a terminal's
    ///     Ctrl-C (sent to the foreground group) reaches only us and we decide how it stops.
    public init(
        name: String,
        executable: String,
        arguments: [String],
        environment: [String: String] = [:],
        stderr: ErrorOutput = .discard,
        ownProcessGroup: Bool = false
    ) throws {
        var nullInput = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard nullInput >= 0 else { throw ChildProcessError(name: name, operation: "open /dev/null", code: errno) }
        defer { Descriptors.close(&nullInput) }
        guard let pipe = Descriptors.makePipe() else {
            throw ChildProcessError(name: name, operation: "pipe", code: errno)
        }
        var readEnd = pipe.read
        var writeEnd = pipe.write
        defer { Descriptors.close(&writeEnd) }
        var errorOutput: CInt
        switch stderr {
        case .discard: errorOutput = open("/dev/null", O_WRONLY | O_CLOEXEC)
        case .inherit: errorOutput = dup(STDERR_FILENO)
        case .file(let path): errorOutput = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard errorOutput >= 0 else {
            let code = errno
            Descriptors.close(&readEnd)
            throw ChildProcessError(name: name, operation: "open its standard error", code: code)
        }
        _ = fcntl(errorOutput, F_SETFD, FD_CLOEXEC)
        defer { Descriptors.close(&errorOutput) }

        let overrides = environment.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        let spawned = Spawn.process(
            executable: executable,
            arguments: arguments,
            environment: Spawn.environment(overriding: overrides, removing: Set(environment.keys)),
            stdin: nullInput,
            stdout: writeEnd,
            stderr: errorOutput,
            newProcessGroup: ownProcessGroup
        )
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error):
            Descriptors.close(&readEnd)
            throw ChildProcessError(name: name, operation: "start \(executable)", code: error.code)
        }

        let (lines, continuation) = AsyncStream<String>.makeStream()
        let exited = self.exited
        let output = readEnd
        guard
            (try? SystemThread.start(name: "herd-child-out") { Self.readLines(from: output, into: continuation) })
                != nil,
            (try? SystemThread.start(name: "herd-child-wait") {
                let status: Int32
                switch Spawn.reap(pid) {
                case .exited(let code): status = code
                case .signaled(let signal): status = 128 + signal
                case .lost: status = -1
                }
                exited.resolve(status)
            }) != nil
        else {
            // No thread: the child cannot be watched. Do not leave it running unwatched.
            _ = kill(pid, SIGKILL)
            throw ChildProcessError(name: name, operation: "start a watcher thread", code: EAGAIN)
        }
        self.pid = pid
        self.name = name
        self.lineStream = lines
    }

    /// Reads `fd` until end of file, yielding each complete line, then the unterminated rest; closes it.
    private static func readLines(from fd: CInt, into continuation: AsyncStream<String>.Continuation) {
        var fd = fd
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            buffer.append(contentsOf: chunk[..<count])
            var start = buffer.startIndex
            while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                continuation.yield(String(decoding: buffer[start ..< newline], as: UTF8.self))
                start = newline + 1
            }
            buffer.removeSubrange(..<start)
        }
        if !buffer.isEmpty { continuation.yield(String(decoding: buffer, as: UTF8.self)) }
        Descriptors.close(&fd)
        continuation.finish()
    }

    /// The child's standard output, line by line (one iterator only).
    public var lines: AsyncStream<String> { self.lineStream }

    /// Waits for the first output line that satisfies `matching`, or `nil` if output ends first.
    public func firstLine(where matching: (String) -> Bool) async -> String? {
        for await line in self.lineStream where matching(line) { return line }
        return nil
    }

    /// Sends a signal to the child (nothing once it has been reaped: its pid may be reused).
    public func signal(_ signal: Int32) {
        guard !self.exited.isResolved else { return }
        _ = kill(self.pid, signal)
    }

    /// Waits for the child to exit; returns its exit status (128 + N when killed by signal N), or
    /// -1 if the waiting task is cancelled first (the child may still run).
    public func waitForExit() async -> Int32 { (try? await self.exited.valueUnlessCancelled()) ?? -1 }

    /// SIGTERM, then SIGKILL if the child is still there after `grace`; returns the exit status.
    public func stop(grace: Duration) async -> Int32 {
        self.signal(SIGTERM)
        let exitedInTime = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForExit() >= 0 }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !exitedInTime { self.signal(SIGKILL) }
        return await self.waitForExit()
    }

    /// True until the child has exited (and been reaped).
    public var isRunning: Bool { !self.exited.isResolved }
}

/// A child process could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    /// The child's name.
    public var name: String
    /// What failed.
    public var operation: String
    /// The `errno` value.
    public var code: Int32

    public var description: String {
        "\(self.name): could not \(self.operation): \(SystemError.describe(errno: self.code))"
    }
}
