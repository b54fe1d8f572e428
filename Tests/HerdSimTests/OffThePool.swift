import Foundation

/// Runs CPU-bound `body` on a thread of its own and waits for it without holding a thread of
/// Swift's cooperative pool.
///
/// The seed sweeps run for tens of seconds of CPU. On the cooperative pool (two threads on a
/// two-core machine) they would starve every other test of the same run, among them the
/// multi-process tests that must react to their child processes; on their own threads the kernel
/// shares the cores fairly instead.
func offThePool<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
