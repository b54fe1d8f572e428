import HerdSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP forwarder on loopback that keeps every byte it forwards: put between a client and the
/// coordinator, it shows what an eavesdropper on the wire would read.
///
/// One thread, `poll(2)` over the listening socket and each connection pair; connections are
/// forwarded both ways until either side closes.
final class RecordingProxy: Sendable {
    /// Where clients connect: `tcp://127.0.0.1:PORT`.
    let endpoint: String
    /// What the proxy's thread shares with the test.
    private final class Shared: Sendable {
        let captured = Mutex<[UInt8]>([])
        let stopping = Atomic<Bool>(false)
    }

    private let shared = Shared()
    private let thread: SystemThread

    /// Listens on a free loopback port and forwards each connection to `targetPort`.
    init(targetPort: UInt16) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw TestProxyError("socket: \(errno)") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw TestProxyError("bind/listen: \(errno)") }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        self.endpoint = "tcp://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let shared = self.shared
        self.thread = try SystemThread.start(name: "test-proxy") {
            Self.run(listener: listener, target: targetPort, shared: shared)
        }
    }

    /// Every byte forwarded so far, both directions.
    var bytes: [UInt8] { self.shared.captured.withLock { $0 } }

    /// Whether `text` appears anywhere in the forwarded bytes.
    func saw(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        let haystack = self.bytes
        guard haystack.count >= needle.count else { return false }
        for start in 0 ... (haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start ..< start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    /// Stops forwarding, closes every socket and waits for the thread.
    func stop() async {
        self.shared.stopping.store(true, ordering: .relaxed)
        await self.thread.join()
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    private static func run(listener: Int32, target: UInt16, shared: Shared) {
        var peers: [Int32: Int32] = [:]  // each fd to the fd it forwards to
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !shared.stopping.load(ordering: .relaxed) {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            fds += peers.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 20) > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                if entry.fd == listener {
                    let client = accept(listener, nil, nil)
                    guard client >= 0 else { continue }
                    let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                    var address = Self.loopback(port: target)
                    let connected = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                    if connected != 0 {
                        close(client)
                        close(upstream)
                        continue
                    }
                    peers[client] = upstream
                    peers[upstream] = client
                    continue
                }
                guard let other = peers[entry.fd] else { continue }
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    close(entry.fd)
                    close(other)
                    peers[entry.fd] = nil
                    peers[other] = nil
                    continue
                }
                shared.captured.withLock { $0.append(contentsOf: buffer[0 ..< count]) }
                var sent = 0
                while sent < count {
                    let n = buffer[sent ..< count].withUnsafeBytes { write(other, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    sent += n
                }
            }
        }
        close(listener)
        for fd in peers.keys { close(fd) }
    }
}

struct TestProxyError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
