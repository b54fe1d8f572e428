import Glibc
import HerdSystem
import Testing

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        self.hasSuffix(suffix) ? String(self.dropLast(suffix.count)) : self
    }
}

@Suite struct SystemThreadTests {
    @Test func test_join_returnsAfterTheBodyReturned_forEveryJoiner() async throws {
        let gate = OneShot<Void>()
        let ran = OneShot<Bool>()
        let thread = try SystemThread.start(name: "a-rather-long-thread-name") {
            // Block this (non-cooperative) thread on a pipe until the test opens the gate.
            guard let pipe = Descriptors.makePipe() else { return }
            var read = pipe.read
            var write = pipe.write
            Task {
                await gate.value()
                var byte: UInt8 = 1
                _ = Glibc.write(write, &byte, 1)
                Descriptors.close(&write)
            }
            var byte: UInt8 = 0
            _ = Glibc.read(read, &byte, 1)
            Descriptors.close(&read)
            ran.resolve(true)
        }
        #expect(thread.name == "a-rather-long-thread-name")
        async let first: Void = thread.join()
        async let second: Void = thread.join()
        #expect(!thread.isFinished)
        gate.resolve(())
        _ = await (first, second)
        #expect(ran.currentValue == true)
        #expect(thread.isFinished)
        await thread.join()  // joining a finished thread returns at once
    }

    @Test func test_thread_isNamed_truncatedTo15Bytes() async throws {
        let name = OneShot<String>()
        let thread = try SystemThread.start(name: "herd-a-very-long-name") {
            var fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
            defer { Descriptors.close(&fd) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            name.resolve(String(decoding: buffer[..<max(count, 0)], as: UTF8.self).trimmingSuffix("\n"))
        }
        await thread.join()
        #expect(name.currentValue == "herd-a-very-lon")
    }
}
