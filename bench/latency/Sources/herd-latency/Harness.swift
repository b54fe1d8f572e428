import BenchC
import BenchZMQ
import Foundation
import HerdCore

/// A failure of a benchmark run (a process that died, a wait that timed out).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A process the harness started: its stdout is read line by line (each line stamped with the
/// CLOCK_MONOTONIC time at which the harness read it), its stderr goes to a log file, and a pidfd
/// tells when it exits.
final class Child {
    let name: String
    let pid: pid_t
    fileprivate(set) var pidfd: Int32
    fileprivate(set) var stdoutFD: Int32
    fileprivate var pending: [UInt8] = []
    /// Called for each complete stdout line, with the time it was read.
    var onLine: (String, UInt64) -> Void = { _, _ in }
    /// When the harness saw it exit, and its wait status.
    fileprivate(set) var exitedAt: UInt64?
    fileprivate(set) var status: Int32 = 0
    /// When its stdout reached end of file.
    fileprivate(set) var outputEndedAt: UInt64?

    fileprivate init(name: String, pid: pid_t, pidfd: Int32, stdoutFD: Int32) {
        self.name = name
        self.pid = pid
        self.pidfd = pidfd
        self.stdoutFD = stdoutFD
    }

    var hasExited: Bool { self.exitedAt != nil }
    var isDone: Bool { self.exitedAt != nil && self.outputEndedAt != nil }
}

/// Starts processes and waits on events only: one `zmq_poll` over a DEALER connected to the
/// coordinator, the children's stdout pipes and pidfds, and any extra descriptors (a FIFO, pidfds of
/// processes that are not ours). Single-threaded. Every process started is killed at the end, on
/// failure, and on SIGINT/SIGTERM/SIGHUP (BenchC's registry).
final class Harness {
    let logs: String
    private(set) var children: [Child] = []
    private(set) var wire: WireClient?
    /// Called for each message from the coordinator, with the time it was read.
    var onMessage: (Message, UInt64) -> Void = { _, _ in }
    /// Extra descriptors to watch, and what to do when one is readable (or hung up).
    var watched: [Int32: (UInt64) -> Void] = [:]
    /// Children whose death fails the run (the coordinator, workers not meant to exit).
    var essential: Set<pid_t> = []

    /// The environment variable that marks every process of this run (its value: ``tag``).
    static let tagVariable = "HERD_BENCH_TAG"
    /// This run's mark: the logs directory (bench/run looks for `HERD_BENCH_TAG=$LOGS`).
    var tag: String { self.logs }

    init(logs: String) {
        self.logs = logs
        bench_set_tag("\(Harness.tagVariable)=\(logs)")
        bench_install_signal_handlers()
        _ = bench_raise_nofile()
    }

    /// The path of this executable (to start `herd-latency worker`).
    static var selfPath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { fail("cannot read /proc/self/exe") }
        return String(decoding: buffer[0 ..< count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func connect(_ endpoint: String) {
        self.wire = WireClient(endpoint: endpoint)
    }

    /// Starts `path` with `arguments` (stdin /dev/null, stdout to us, stderr to LOGS/NAME.err),
    /// with the environment plus `HERD_PARENT_PID` (a herd process stops when we are gone).
    func spawn(_ name: String, _ path: String, _ arguments: [String], newGroup: Bool = false) throws -> Child {
        var fds: [Int32] = [-1, -1]
        guard bench_pipe(&fds) == 0 else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let errors = open("\(self.logs)/\(name).err", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer {
            close(input)
            close(errors)
            close(fds[1])
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HERD_PARENT_PID"] = String(getpid())
        // Inherited by exec children too (a worker passes its environment on): how an exec child
        // left behind is told from any other process that happens to get its pid later.
        environment[Harness.tagVariable] = self.tag
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        let pid = bench_spawn(path, argv, envp, input, fds[1], errors, newGroup ? 1 : 0)
        guard pid > 0 else {
            close(fds[0])
            throw BenchError("cannot start \(path): \(String(cString: strerror(errno)))")
        }
        let pidfd = bench_pidfd_open(pid)
        guard pidfd >= 0 else { throw BenchError("pidfd_open(\(pid)): \(String(cString: strerror(errno)))") }
        let child = Child(name: name, pid: pid, pidfd: pidfd, stdoutFD: fds[0])
        self.children.append(child)
        return child
    }

    /// Waits until `done()` holds, handling events as they come; fails after `timeout` seconds
    /// (a guard against a hang, not a way of waiting).
    func wait(_ what: String, timeout: Double = 120, until done: () -> Bool) throws {
        let deadline = bench_now_ns() + UInt64(timeout * 1e9)
        while !done() {
            let now = bench_now_ns()
            guard now < deadline else { throw BenchError("timed out after \(Int(timeout)) s waiting for \(what)") }
            try self.step(timeoutMs: Int(min((deadline - now) / 1_000_000 + 1, 1_000_000)))
        }
    }

    /// One poll over everything, then the handlers of what is ready.
    func step(timeoutMs: Int) throws {
        var items: [zmq_pollitem_t] = []
        enum Source {
            case wire
            case output(Child)
            case exit(Child)
            case extra(Int32)
        }
        var sources: [Source] = []
        if let wire = self.wire {
            items.append(zmq_pollitem_t(socket: wire.socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            sources.append(.wire)
        }
        for child in self.children {
            if child.stdoutFD >= 0 {
                items.append(zmq_pollitem_t(socket: nil, fd: child.stdoutFD, events: Int16(ZMQ_POLLIN), revents: 0))
                sources.append(.output(child))
            }
            if child.pidfd >= 0 {
                items.append(zmq_pollitem_t(socket: nil, fd: child.pidfd, events: Int16(ZMQ_POLLIN), revents: 0))
                sources.append(.exit(child))
            }
        }
        for fd in self.watched.keys.sorted() {
            items.append(zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0))
            sources.append(.extra(fd))
        }
        let ready = zmq_poll(&items, Int32(items.count), timeoutMs)
        if ready < 0 {
            if zmq_errno() == EINTR { return }
            throw BenchError("zmq_poll: \(String(cString: zmq_strerror(zmq_errno())))")
        }
        guard ready > 0 else { return }
        let now = bench_now_ns()
        for (item, source) in zip(items, sources) where item.revents != 0 {
            switch source {
            case .wire:
                while let message = self.wire?.receive(blocking: false) { self.onMessage(message, now) }
            case .output(let child):
                self.readOutput(child, now: now)
            case .exit(let child):
                // Read what it wrote before it died first, so that lines come before the exit.
                if child.stdoutFD >= 0 { self.readOutput(child, now: now) }
                var status: Int32 = 0
                if waitpid(child.pid, &status, WNOHANG) == child.pid {
                    child.status = status
                    child.exitedAt = now
                    bench_untrack(child.pid)
                    close(child.pidfd)
                    child.pidfd = -1
                    if self.essential.contains(child.pid) {
                        throw BenchError(
                            "\(child.name) (pid \(child.pid)) exited unexpectedly (wait status \(status)); see \(self.logs)/\(child.name).err"
                        )
                    }
                }
            case .extra(let fd):
                self.watched[fd]?(now)
            }
        }
    }

    private func readOutput(_ child: Child, now: UInt64) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while child.stdoutFD >= 0 {
            let count = read(child.stdoutFD, &buffer, buffer.count)
            if count > 0 {
                child.pending.append(contentsOf: buffer[0 ..< count])
                while let newline = child.pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: child.pending[..<newline], as: UTF8.self)
                    child.pending.removeSubrange(...newline)
                    child.onLine(line, now)
                }
            } else if count == 0 {
                close(child.stdoutFD)
                child.stdoutFD = -1
                child.outputEndedAt = now
            } else {
                if errno == EINTR { continue }
                return  // EAGAIN: all read
            }
        }
    }

    /// Sends `signal` to a child (SIGKILL for the failover, SIGTERM to stop one).
    func signal(_ child: Child, _ signal: Int32) {
        if !child.hasExited { kill(child.pid, signal) }
    }

    /// Kills and reaps every process still running, closes the connection.
    func shutdown() {
        bench_kill_tracked()
        for child in self.children {
            if child.pidfd >= 0 { close(child.pidfd) }
            if child.stdoutFD >= 0 { close(child.stdoutFD) }
        }
        self.children = []
        self.wire?.close()
        self.wire = nil
    }
}
