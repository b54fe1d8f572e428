import Foundation
import HerdJournal
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A journal on a file system that fills up: the write that does not fit throws a clear error
/// naming the file, and rolls back whole. Every batch that returned is still there after a
/// reopen, none that threw is (the coordinator stops on that error before sending anything of the
/// batch, docs/JOURNAL.md). Runs on a 512 KiB tmpfs, so it needs root (CI runs as root); elsewhere
/// it is skipped, and says so.
@Suite(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct JournalDiskFullTests {
    @Test func test_write_onAFullFileSystem_throwsNamingTheFile_andRollsBackWhole() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=512k", "tmpfs", directory.path]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "mount -t tmpfs failed")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [directory.path]
            try? umount.run()
            umount.waitUntilExit()
        }

        let path = directory.file("j.journal")
        let store = try JournalStore(path: path)
        let (committed, failure) = Self.fill(store)
        let error = try #require(failure, "the file system never filled up")
        #expect(error.description.contains(path), "names the file: \(error)")
        #expect(error.code == .io, "\(error)")
        #expect(error.description.contains("full"), "says the disk is full: \(error)")
        #expect(committed.count >= 4, "some batches fit before it filled")
        store.close()

        let reopened = try JournalStore(path: path)
        defer { reopened.close() }
        #expect(try reopened.readAll() == committed, "every committed batch, and nothing of the one that threw")
    }

    /// Writes batches of 4 x 8 KiB until one throws (512 KiB fill well within 100 batches).
    static func fill(_ store: JournalStore) -> (committed: [JournalEntry], failure: JournalError?) {
        var committed: [JournalEntry] = []
        for batch in 0 ..< 100 {
            let entries = (0 ..< 4).map { index in
                JournalEntry(
                    job: UInt64(batch),
                    body: Array(repeating: UInt8(truncatingIfNeeded: batch + index), count: 8_192)
                )
            }
            do {
                try store.write(entries, forgetting: [])
            } catch {
                return (committed, error)
            }
            committed += entries
        }
        return (committed, nil)
    }
}
