import HerdJournal

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints, as Markdown table rows, write throughput by batch size and durability, and the cost of
/// reopening and reading back 100,000 entries; every journal is a fresh file under `directory`.
func runBenchmarks(directory: String) {
    let body = [UInt8]((0 ..< 100).map { UInt8(truncatingIfNeeded: $0 &* 37) })  // ~100-byte records
    emit(
        "| durability | entries per batch | commits/s | entries/s | CPU µs per commit | CPU µs per entry | journal size after |\n"
    )
    emit("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
    var run = 0
    for durability in [JournalStore.Durability.processCrash, .powerLoss] {
        for batchSize in [1, 100, 1_000] {
            run += 1
            let path = "\(directory)/bench-\(run).journal"
            remove(journal: path)
            do {
                let store = try JournalStore(path: path, durability: durability)
                let batch = (0 ..< batchSize).map { JournalEntry(job: UInt64($0 % 50 + 1), body: body) }
                let start = ContinuousClock.now
                let cpuStart = processCPUSeconds()
                var commits = 0
                // Up to 200,000 entries, or 2 s, whichever comes first.
                while commits * batchSize < 200_000 && ContinuousClock.now - start < .seconds(2) {
                    try store.write(batch)
                    commits += 1
                }
                let seconds = seconds(ContinuousClock.now - start)
                let cpu = processCPUSeconds() - cpuStart
                let size = store.size()
                store.close()
                emit(
                    "| \(durability) | \(batchSize) | \(format(Double(commits) / seconds)) "
                        + "| \(format(Double(commits * batchSize) / seconds)) "
                        + "| \(format(cpu * 1e6 / Double(commits))) | \(format(cpu * 1e6 / Double(commits * batchSize))) "
                        + "| \(size.bytes / 1024) KiB |\n"
                )
            } catch {
                fail("\(error)")
            }
            remove(journal: path)
        }
    }

    let path = "\(directory)/bench-read.journal"
    remove(journal: path)
    do {
        let store = try JournalStore(path: path)
        let batch = (0 ..< 1_000).map { JournalEntry(job: UInt64($0 % 50 + 1), body: body) }
        for _ in 0 ..< 100 { try store.write(batch) }
        store.close()
        let openStart = ContinuousClock.now
        let reopened = try JournalStore(path: path)
        let openTime = ContinuousClock.now - openStart
        let readStart = ContinuousClock.now
        let readCPUStart = processCPUSeconds()
        let entries = try reopened.readAll()
        let readTime = ContinuousClock.now - readStart
        let readCPU = processCPUSeconds() - readCPUStart
        let forgetStart = ContinuousClock.now
        try reopened.write([], forgetting: Array(1 ... 25))
        let forgetTime = ContinuousClock.now - forgetStart
        let compactStart = ContinuousClock.now
        try reopened.compact()
        let compactTime = ContinuousClock.now - compactStart
        let size = reopened.size()
        reopened.close()
        emit("\n")
        emit("| 100,000 entries of 100 bytes | time |\n| --- | ---: |\n")
        emit("| open (reopen a closed journal of \(FileSystemSize.kib(path)) KiB) | \(milliseconds(openTime)) |\n")
        emit("| readAll (\(entries.count) entries) | \(milliseconds(readTime)) (CPU \(format(readCPU * 1e3)) ms) |\n")
        emit("| forget 25 of 50 jobs (50,000 rows) in one write | \(milliseconds(forgetTime)) |\n")
        emit(
            "| compact (incremental vacuum + checkpoint) afterwards | \(milliseconds(compactTime)) → \(size.bytes / 1024) KiB, \(size.entries) entries |\n"
        )
    } catch {
        fail("\(error)")
    }
    remove(journal: path)
    exit(0)
}

private enum FileSystemSize {
    static func kib(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) / 1024 : 0
    }
}

private func remove(journal path: String) {
    unlink(path)
    unlink(path + "-wal")
    unlink(path + "-shm")
}

/// CPU time this process has used (user + system), in seconds: steadier than wall time on a
/// shared machine.
private func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

private func milliseconds(_ duration: Duration) -> String {
    "\(format(seconds(duration) * 1_000)) ms"
}

/// Three significant figures, thousands separated: `12,300`, `45.6`.
private func format(_ value: Double) -> String {
    if value >= 100 {
        var digits = String(Int(value.rounded()))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + String(digits.suffix(3)) + grouped
            digits.removeLast(3)
        }
        return digits + grouped
    }
    return String(Double(Int((value * 10).rounded())) / 10)
}
