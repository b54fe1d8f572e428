// The journal's helper executable.
//
//     HerdJournalCrashWriter PATH     writes numbered batches to the journal at PATH until killed,
//                                      printing each batch's number once it is committed
//     HerdJournalCrashWriter --bench DIR   measures write and read costs in fresh journals under DIR
//
// Batch `n` (from 1) appends `n % 5 + 1` entries of job `n`, body `"batch <n> entry <i>"`, and, when
// `n` is a multiple of 3 and above 10, forgets job `n - 10`. The crash test in HerdJournalTests
// rebuilds the same sequence to check what survived a `kill -9`.
import HerdJournal

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to stdout at once (no buffer to lose when killed).
func emit(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { exit(3) }
        offset += written
    }
}

/// Writes `message` to stderr and exits with status 2.
func fail(_ message: String) -> Never {
    let bytes = Array((message + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func crashWrite(path: String) -> Never {
    let store: JournalStore
    do {
        store = try JournalStore(path: path)
    } catch {
        fail("\(error)")
    }
    var batch: UInt64 = 1
    while true {
        let entries = (0 ..< (batch % 5 + 1)).map { index in
            JournalEntry(job: batch, body: Array("batch \(batch) entry \(index)".utf8))
        }
        let forgetting: [UInt64] = batch > 10 && batch % 3 == 0 ? [batch - 10] : []
        do {
            try store.write(entries, forgetting: forgetting)
        } catch {
            fail("\(error)")
        }
        emit("\(batch)\n")
        batch += 1
    }
}

let arguments = CommandLine.arguments
if arguments.count == 3 && arguments[1] == "--bench" {
    runBenchmarks(directory: arguments[2])
} else if arguments.count == 2 && !arguments[1].hasPrefix("-") {
    crashWrite(path: arguments[1])
} else {
    fail("usage: HerdJournalCrashWriter PATH | --bench DIR")
}
