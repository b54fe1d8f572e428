import HerdCore
import HerdSim
import Testing

@Suite struct EventQueueTests {
    @Test func test_pop_ordersByInstantThenInsertion() {
        var queue = EventQueue<String>()
        queue.push("c", at: Instant(nanoseconds: 30))
        queue.push("a1", at: Instant(nanoseconds: 10))
        queue.push("b", at: Instant(nanoseconds: 20))
        queue.push("a2", at: Instant(nanoseconds: 10))
        queue.push("a3", at: Instant(nanoseconds: 10))
        var order: [String] = []
        while let entry = queue.pop() { order.append(entry.element) }
        #expect(order == ["a1", "a2", "a3", "b", "c"])
        #expect(queue.isEmpty)
    }

    @Test func test_manyRandomPushes_popInNonDecreasingOrder() {
        var random = SimRandom(seed: 5)
        var queue = EventQueue<Int>()
        for index in 0 ..< 2000 { queue.push(index, at: Instant(nanoseconds: Int64(random.int(0 ... 100)))) }
        var last: (Instant, Int) = (.zero, -1)
        while let entry = queue.pop() {
            if entry.instant == last.0 { #expect(entry.element > last.1) } else { #expect(entry.instant > last.0) }
            last = (entry.instant, entry.element)
        }
    }
}
