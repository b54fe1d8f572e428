import Glibc

/// Process groups, read from `/proc` (Linux).
public enum ProcessGroup {
    /// The pids of the processes in process group `pgid` (zombies included).
    public static func members(_ pgid: pid_t) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { _ = closedir(directory) }
        var result: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = pid_t(name), pid > 0, Self.of(pid) == pgid else { continue }
            result.append(pid)
        }
        return result
    }

    /// The process group of `pid` from `/proc/PID/stat`, or `nil` when it is gone.
    public static func of(_ pid: pid_t) -> pid_t? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "PID (COMM) STATE PPID PGRP ..." where COMM may hold spaces and parentheses.
        guard let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 1) ..< count].split(separator: UInt8(ascii: " "))
        guard fields.count > 2 else { return nil }
        return pid_t(String(decoding: fields[2], as: UTF8.self))
    }
}
