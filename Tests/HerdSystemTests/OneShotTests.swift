import HerdSystem
import Synchronization
import Testing

@Suite struct OneShotTests {
    @Test func test_resolve_firstWins_laterCallsChangeNothing() async {
        let value = OneShot<Int>()
        #expect(!value.isResolved)
        #expect(value.currentValue == nil)
        #expect(value.resolve(1))
        #expect(!value.resolve(2))
        #expect(value.isResolved)
        #expect(value.currentValue == 1)
        #expect(await value.value() == 1)
    }

    @Test func test_concurrentWaiters_areAllWokenWithTheValue() async throws {
        let value = OneShot<String>()
        let waiting = Counter()
        let ready = OneShot<Void>()
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0 ..< 50 {
                group.addTask {
                    if waiting.increment() == 50 { ready.resolve(()) }
                    return index.isMultiple(of: 2) ? await value.value() : try await value.valueUnlessCancelled()
                }
            }
            await ready.value()  // every waiter task is running (most are suspended in the wait)
            // Set from an OS thread, as the loop and exec threads do.
            try SystemThread.start(name: "test-resolve") { value.resolve("done") }
            var results: [String] = []
            for try await result in group { results.append(result) }
            #expect(results == Array(repeating: "done", count: 50))
        }
    }

    @Test func test_valueUnlessCancelled_throwsWhenTheWaitingTaskIsCancelled() async throws {
        let value = OneShot<Int>()
        let task = Task { try await value.valueUnlessCancelled() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // An already-cancelled task still gets a value that is there.
        value.resolve(7)
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await value.valueUnlessCancelled()
        }
        #expect(try await late.value == 7)
    }

    @Test func test_value_ignoresCancellation_andEndsWhenResolved() async {
        let value = OneShot<Int?>()
        let started = OneShot<Void>()
        let task = Task {
            started.resolve(())
            return await value.value()
        }
        await started.value()
        task.cancel()
        value.resolve(nil)  // an optional value: `nil` is a value like any other
        #expect(await task.value == .some(nil))
    }
}

/// A count shared by tasks.
private final class Counter: Sendable {
    private let value = Mutex(0)

    /// Adds one; returns the new count.
    func increment() -> Int {
        self.value.withLock {
            $0 += 1; return $0
        }
    }
}
