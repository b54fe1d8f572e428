import HerdCore
import Testing

@testable import HerdSim

/// The simulated network keeps ZeroMQ's promises and breaks only the ones ZeroMQ breaks.
@Suite struct SimNetworkTests {
    let worker = PeerID("w0")

    /// Delivers everything due, in time order, and returns what each side received.
    struct Driver {
        let network: SimNetwork
        var random = SimRandom(seed: 9)
        var queue = EventQueue<SimNetwork.Pump>()
        var now = Instant.zero
        var toCoordinator: [Message] = []
        var toNode: [Message] = []

        init(hwm: Int = 100_000) { self.network = SimNetwork(highWaterMarks: [hwm]) }

        mutating func schedule(_ outcome: SimNetwork.SendOutcome) {
            if case .queued(let pump?) = outcome { self.queue.push(pump, at: pump.at) }
        }

        mutating func schedule(_ pumps: [SimNetwork.Pump]) {
            for pump in pumps { self.queue.push(pump, at: pump.at) }
        }

        mutating func run(until limit: Instant = Instant(nanoseconds: .max)) {
            while let next = self.queue.nextInstant, next <= limit, let entry = self.queue.pop() {
                self.now = entry.instant
                let (messages, following) = self.network.pump(entry.element, now: self.now)
                if let following { self.queue.push(following, at: following.at) }
                if entry.element.direction == .up { self.toCoordinator += messages } else { self.toNode += messages }
            }
        }
    }

    static func numbered(_ count: Int) -> [Message] {
        (0 ..< count).map { .statusRequest(token: UInt64($0)) }
    }

    @Test func test_send_manyMessagesWithJitter_arriveInOrderPerDirection() {
        var driver = Driver()
        let link = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        for (index, message) in Self.numbered(300).enumerated() {
            driver.now = Instant(nanoseconds: Int64(index) * 10_000)
            driver.schedule(driver.network.nodeSend(message, link: link, now: driver.now, random: &driver.random))
            driver.schedule(
                driver.network.coordinatorSend(message, to: self.worker, now: driver.now, random: &driver.random)
            )
        }
        driver.run()
        #expect(driver.toCoordinator == Self.numbered(300))
        #expect(driver.toNode == Self.numbered(300))
    }

    @Test func test_coordinatorSend_noConnection_isUnreachable() {
        var driver = Driver()
        #expect(
            driver.network.coordinatorSend(.heartbeat, to: self.worker, now: .zero, random: &driver.random)
                == .unreachable
        )
        let link = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        driver.network.close(link, random: &driver.random)
        #expect(
            driver.network.coordinatorSend(.heartbeat, to: self.worker, now: .zero, random: &driver.random)
                == .unreachable
        )
    }

    @Test func test_close_dropsQueuedForTheNode_andDeliversOnlyAPrefixOfWhatItSent() {
        for seed: UInt64 in 1 ... 20 {
            var driver = Driver()
            driver.random = SimRandom(seed: seed)
            let link = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
            for message in Self.numbered(10) {
                driver.schedule(driver.network.nodeSend(message, link: link, now: .zero, random: &driver.random))
                driver.schedule(
                    driver.network.coordinatorSend(message, to: self.worker, now: .zero, random: &driver.random)
                )
            }
            driver.network.close(link, random: &driver.random)
            driver.run()
            #expect(driver.toNode.isEmpty)
            #expect(Array(Self.numbered(10).prefix(driver.toCoordinator.count)) == driver.toCoordinator)
        }
    }

    @Test func test_reconnect_sameRoutingID_newConnectionTakesOver() {
        var driver = Driver()
        let first = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        let second = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        driver.network.close(first, random: &driver.random)
        #expect(driver.network.route(self.worker) == second)
        driver.schedule(driver.network.coordinatorSend(.heartbeat, to: self.worker, now: .zero, random: &driver.random))
        driver.run()
        #expect(driver.toNode == [.heartbeat])
    }

    @Test func test_partition_holdsTrafficAndHidesConnects_untilHealed() {
        var driver = Driver()
        let old = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        driver.network.partition(.worker(0))
        driver.schedule(driver.network.nodeSend(.heartbeat, link: old, now: .zero, random: &driver.random))
        // The node reconnects while cut off: the coordinator still routes to the old connection.
        driver.network.close(old, random: &driver.random)
        let new = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        #expect(driver.network.route(self.worker) == old)
        driver.schedule(driver.network.nodeSend(.deregister, link: new, now: .zero, random: &driver.random))
        driver.run(until: Instant(nanoseconds: 1_000_000_000))
        #expect(driver.toCoordinator.isEmpty)
        driver.now = Instant(nanoseconds: 1_000_000_000)
        driver.schedule(driver.network.heal(.worker(0), now: driver.now))
        #expect(driver.network.route(self.worker) == new)
        driver.run()
        #expect(driver.toCoordinator.last == .deregister)
    }

    @Test func test_stalledReceiver_queuesUntilResumed() {
        var driver = Driver()
        _ = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        driver.network.stall(.worker(0))
        driver.schedule(driver.network.coordinatorSend(.heartbeat, to: self.worker, now: .zero, random: &driver.random))
        driver.run()
        #expect(driver.toNode.isEmpty)
        driver.schedule(driver.network.resume(.worker(0), now: driver.now))
        driver.run()
        #expect(driver.toNode == [.heartbeat])
    }

    @Test func test_send_pipeAtHighWaterMark_isDropped() {
        var driver = Driver(hwm: 2)
        let link = driver.network.open(self.worker, owner: .worker(slot: 0, incarnation: 1), random: &driver.random)
        driver.network.stall(.coordinator)
        for message in Self.numbered(3) {
            driver.schedule(driver.network.nodeSend(message, link: link, now: .zero, random: &driver.random))
        }
        #expect(driver.network.counters.droppedAtHighWaterMark == 1)
        driver.schedule(driver.network.resume(.coordinator, now: .zero))
        driver.run()
        #expect(driver.toCoordinator == Array(Self.numbered(2)))
    }
}
