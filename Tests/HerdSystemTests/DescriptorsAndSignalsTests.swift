import Glibc
import HerdSystem
import Testing

@Suite struct DescriptorsAndSignalsTests {
    @Test func test_makePipe_endsAreCloseOnExec_andAbove2() throws {
        var pipe = try #require(Descriptors.makePipe())
        defer {
            Descriptors.close(&pipe.read)
            Descriptors.close(&pipe.write)
        }
        for fd in [pipe.read, pipe.write] {
            #expect(fd >= 3)
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        }
        Descriptors.close(&pipe.read)
        #expect(pipe.read == -1)
    }

    @Test func test_blockedSIGPIPE_turnsAWriteToAClosedPipeIntoEPIPE() async throws {
        let outcome = OneShot<CInt>()
        try SystemThread.start(name: "test-sigpipe") {
            Signals.blockSIGPIPE()
            guard var pipe = Descriptors.makePipe() else {
                outcome.resolve(-1)
                return
            }
            Descriptors.close(&pipe.read)
            var byte: UInt8 = 1
            let rc = write(pipe.write, &byte, 1)
            let code = rc < 0 ? errno : 0
            Signals.discardPendingSIGPIPE()
            Descriptors.close(&pipe.write)
            outcome.resolve(code)
        }
        #expect(await outcome.value() == EPIPE)
    }
}
