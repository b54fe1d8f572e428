import Testing

@testable import HerdRuntime

/// The stderr line splitter and the `herd:` directives.
@Suite struct ExecStderrTests {
    private func feed(_ text: String, chunk: Int = 3) -> (ExecStderr, [ExecStderr.Line]) {
        var parser = ExecStderr()
        var lines: [ExecStderr.Line] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            lines += parser.feed(bytes[start ..< end])
            start = end
        }
        lines += parser.finish()
        return (parser, lines)
    }

    @Test func test_feed_splitsLines_acrossChunks_andDropsCR() {
        let (parser, lines) = self.feed("one\r\ntwo\n\nthree")
        #expect(lines == [.text("one"), .text("two"), .text(""), .text("three")])
        #expect(parser.lastLine == "three")
    }

    @Test func test_lastLine_isTheLastNonBlankTrimmedLine() {
        let (parser, _) = self.feed("  first  \n\tsecond\t\n   \n")
        #expect(parser.lastLine == "second")
    }

    @Test func test_directives_areAppliedAndNotTheLastLine() {
        let (parser, lines) = self.feed("boom\nherd: retry-after=1.25\n  herd:usage=7  \nherd: usage=3\n")
        #expect(parser.retryAfter == .milliseconds(1250))
        #expect(parser.usage == 10)
        #expect(parser.lastLine == "boom")
        #expect(lines.first == .text("boom"))
        #expect(lines.dropFirst().allSatisfy { if case .directive = $0 { true } else { false } })
    }

    @Test func test_retryAfter_lastOneWins_andIsCappedAtADay() {
        #expect(self.feed("herd: retry-after=5\nherd: retry-after=2\n").0.retryAfter == .seconds(2))
        #expect(self.feed("herd: retry-after=99999999\n").0.retryAfter == .seconds(86_400))
        #expect(self.feed("herd: retry-after=0\n").0.retryAfter == .zero)
    }

    @Test(arguments: [
        "herd: retry-after=-1", "herd: retry-after=soon", "herd: retry-after=nan", "herd: usage=-4", "herd: usage=1.5",
        "herd: usage=",
    ])
    func test_malformedDirectives_areReportedAndIgnored(line: String) {
        let (parser, lines) = self.feed(line + "\n")
        #expect(lines == [.malformedDirective(line)])
        #expect(parser.retryAfter == nil)
        #expect(parser.usage == 0)
        #expect(parser.lastLine == nil)
    }

    @Test func test_unknownHerdLines_areOrdinaryText() {
        let (parser, lines) = self.feed("herd: colour=blue\nherd says hi\n")
        #expect(lines == [.text("herd: colour=blue"), .text("herd says hi")])
        #expect(parser.lastLine == "herd says hi")
    }

    @Test func test_usage_saturates() {
        let (parser, _) = self.feed("herd: usage=\(UInt64.max)\nherd: usage=5\n")
        #expect(parser.usage == .max)
    }

    @Test func test_longLine_isCut_andTheMessageIsAtMost512Bytes() {
        // 2 bytes each: one full line of maximumLineBytes, then the rest up to the newline.
        let long = String(repeating: "é", count: ExecStderr.maximumLineBytes - 100)
        let (parser, lines) = self.feed(long + "\n", chunk: 4096)
        #expect(lines.count == 2)
        let message = parser.lastLine ?? ""
        #expect(message.utf8.count <= ExecStderr.maximumMessageBytes)
        #expect(message.utf8.count >= ExecStderr.maximumMessageBytes - 1)
        #expect(message.allSatisfy { $0 == "é" })
    }

    @Test func test_invalidUTF8_isReplaced() {
        var parser = ExecStderr()
        let lines = parser.feed([0x66, 0xff, 0x6f, 0x0a])
        #expect(lines == [.text("f\u{FFFD}o")])
    }

    @Test func test_cut_keepsWholeScalars() {
        #expect(ExecStderr.cut("aé", toUTF8Bytes: 2) == "a")
        #expect(ExecStderr.cut("aé", toUTF8Bytes: 3) == "aé")
        #expect(ExecStderr.cut("", toUTF8Bytes: 0) == "")
    }
}
