import HerdCore

/// A process of the simulated cluster (what a stall or a partition applies to).
public enum SimNode: Hashable, Sendable, CustomStringConvertible {
    case coordinator
    /// A worker slot (the same slot across crashes and restarts).
    case worker(Int)
    /// A client process (it runs one job per connection, as `HerdClient` does).
    case client(Int)
    /// A one-shot request (`herd cancel`, `herd drain`).
    case requester(Int)

    /// `coord`, `w3`, `c1`, `x0`: how the node appears in traces.
    public var description: String {
        switch self {
        case .coordinator: "coord"
        case .worker(let slot): "w\(slot)"
        case .client(let index): "c\(index)"
        case .requester(let index): "x\(index)"
        }
    }
}

/// Who owns the node side of a connection, and so receives what the coordinator sends on it.
public enum LinkOwner: Hashable, Sendable {
    /// One incarnation of a worker slot (a restart is a new incarnation on a new connection).
    case worker(slot: Int, incarnation: Int)
    /// One job of a client process.
    case clientJob(client: Int, job: Int)
    /// A one-shot request.
    case requester(Int)

    /// The process this connection belongs to.
    public var node: SimNode {
        switch self {
        case .worker(let slot, _): .worker(slot)
        case .clientJob(let client, _): .client(client)
        case .requester(let index): .requester(index)
        }
    }
}

/// ZeroMQ as Herd uses it, simulated: each node has a DEALER connection to the coordinator's
/// ROUTER, identified by the node's routing id.
///
/// What is modelled, and why:
/// - **Order is kept per connection and direction** (a TCP stream): a message is never delivered
///   before one sent earlier on the same connection in the same direction.
/// - **Delay and reordering across connections**: each connection has its own latency, jitter and
///   occasional spikes, so messages of different peers (and of an old and a new connection of
///   the same peer) interleave arbitrarily.
/// - **Loss only on disconnect or a full queue**: a connection closed by its node loses what the
///   coordinator had queued for it, and delivers only a prefix of what the node had sent (what was
///   already on the wire); a send into a pipe holding `hwm` messages is dropped (Herd's
///   `MessageSocket` drops when its backlog is full).
/// - **ROUTER_MANDATORY and ROUTER_HANDOVER**: the coordinator sends to the newest connection
///   with the routing id; with none it gets `unreachable` at once (EHOSTUNREACH).
/// - **Partitions** hold traffic both ways (TCP retransmits) and hide connects and disconnects
///   from the coordinator until they heal; **stalls** (SIGSTOP) stop a node reading, so traffic to
///   it queues until it resumes.
///
/// A class: it is consulted on every step, and debug builds copy a struct for each method call.
public final class SimNetwork {
    /// A message in flight.
    struct Packet {
        var message: Message
        /// When it reaches the receiver's socket.
        var readyAt: Instant
    }

    /// The two directions of a connection.
    public enum Direction: Hashable, Sendable {
        /// Node → coordinator.
        case up
        /// Coordinator → node.
        case down
    }

    /// One direction of a connection: a FIFO of packets and its pending delivery.
    struct Pipe {
        var queue: [Packet] = []
        var lastReadyAt: Instant = .zero
        /// When a delivery event is scheduled (nil: none; the pipe is empty or blocked).
        var scheduledAt: Instant?
        /// Invalidates delivery events scheduled before a block.
        var generation: UInt64 = 0
    }

    /// One DEALER–ROUTER connection.
    struct Link {
        let id: Int
        let peer: PeerID
        let owner: LinkOwner
        /// The node still has its socket (false after a crash, a reconnect or an exit).
        var nodeOpen = true
        /// The coordinator's ROUTER knows this connection (its handshake got through).
        var known = false
        let latency: Duration
        let hwm: Int
        var up = Pipe()
        var down = Pipe()

        subscript(direction: Direction) -> Pipe {
            get { direction == .up ? self.up : self.down }
            set { if direction == .up { self.up = newValue } else { self.down = newValue } }
        }
    }

    /// A delivery event the simulation must schedule.
    public struct Pump: Hashable, Sendable {
        /// The connection.
        public var link: Int
        /// Which way.
        public var direction: Direction
        /// The pipe generation it was scheduled in (a stale one is ignored).
        public var generation: UInt64
        /// When it is due.
        public var at: Instant
    }

    /// What became of a send.
    public enum SendOutcome: Hashable, Sendable {
        /// Queued; deliver with this pump if one is returned.
        case queued(Pump?)
        /// The coordinator has no connection with that routing id (EHOSTUNREACH).
        case unreachable
        /// Lost: the connection is closed at the node.
        case lostOnDisconnect
        /// Lost: the pipe is at its high-water mark.
        case droppedAtHighWaterMark
    }

    /// Counters for the report.
    public struct Counters: Hashable, Sendable {
        /// Messages handed to the network.
        public var sent = 0
        /// Messages that reached their receiver.
        public var delivered = 0
        /// Messages lost because a connection closed.
        public var lostOnDisconnect = 0
        /// Messages dropped at a full pipe.
        public var droppedAtHighWaterMark = 0
        /// Coordinator sends to a routing id with no connection.
        public var unreachable = 0
    }

    var links: [Link] = []
    var routes: [PeerID: Int] = [:]
    var partitioned: Set<SimNode> = []
    var stalled: Set<SimNode> = []
    /// Messages dropped at the high-water mark, per routing id (a client's missing result is then
    /// explained by the network, not by the machines).
    var highWaterDrops: [PeerID: Int] = [:]
    public internal(set) var counters = Counters()
    let highWaterMarks: [Int]

    /// A network whose connections draw their high-water mark from `highWaterMarks`.
    init(highWaterMarks: [Int]) { self.highWaterMarks = highWaterMarks }

    // MARK: - Connections

    /// A node connects with routing id `peer`. The coordinator learns of it at once, or when the
    /// node's partition heals; a newer connection takes the routing id over (ROUTER_HANDOVER).
    func open(_ peer: PeerID, owner: LinkOwner, random: inout SimRandom) -> Int {
        let latency: Duration = random.chance(0.2) ? random.milliseconds(2, 20) : .microseconds(random.int(50 ... 3000))
        let hwm = random.pick(self.highWaterMarks)
        let id = self.links.count
        self.links.append(Link(id: id, peer: peer, owner: owner, latency: latency, hwm: hwm))
        if !self.partitioned.contains(owner.node) {
            self.links[id].known = true
            self.routes[peer] = id
        }
        return id
    }

    /// The node closes its end (crash, reconnect, exit). What the coordinator queued for it is
    /// lost; of what the node sent, a random prefix is already on the wire and still arrives.
    func close(_ id: Int, random: inout SimRandom) {
        guard self.links[id].nodeOpen else { return }
        self.links[id].nodeOpen = false
        self.counters.lostOnDisconnect += self.links[id].down.queue.count
        self.links[id].down.queue.removeAll()
        self.links[id].down.scheduledAt = nil
        self.links[id].down.generation &+= 1
        let inFlight = self.links[id].up.queue.count
        if inFlight > 0 {
            let kept = random.int(0 ... inFlight)
            self.counters.lostOnDisconnect += inFlight - kept
            self.links[id].up.queue.removeLast(inFlight - kept)
            if kept == 0 {
                self.links[id].up.scheduledAt = nil
                self.links[id].up.generation &+= 1
            }
        }
        if !self.partitioned.contains(self.links[id].owner.node) { self.forget(id) }
    }

    /// The coordinator process dies (kill -9) and a new one binds the same endpoint: whatever was
    /// on its way, in either direction, is lost with its sockets (and with the kernel's buffers);
    /// the nodes' connections reconnect by themselves, keeping their routing ids.
    func coordinatorCrashed() {
        for id in self.links.indices {
            self.counters.lostOnDisconnect += self.links[id].up.queue.count + self.links[id].down.queue.count
            for direction in [Direction.up, .down] {
                self.links[id][direction].queue.removeAll()
                self.links[id][direction].scheduledAt = nil
                self.links[id][direction].generation &+= 1
            }
        }
    }

    /// The ROUTER notices a closed connection: the routing id is gone unless a newer one took it.
    private func forget(_ id: Int) {
        let peer = self.links[id].peer
        if self.routes[peer] == id { self.routes[peer] = nil }
    }

    /// Whether the node side of a connection is still open.
    func isOpen(_ id: Int) -> Bool { self.links[id].nodeOpen }

    /// The coordinator's current connection for a routing id.
    func route(_ peer: PeerID) -> Int? { self.routes[peer] }

    // MARK: - Sending

    /// The coordinator sends to a routing id.
    func coordinatorSend(_ message: Message, to peer: PeerID, now: Instant, random: inout SimRandom) -> SendOutcome {
        guard let id = self.routes[peer] else {
            self.counters.unreachable += 1
            return .unreachable
        }
        guard self.links[id].nodeOpen else {
            // Closed at the node while partitioned: the coordinator does not know yet.
            self.counters.lostOnDisconnect += 1
            return .lostOnDisconnect
        }
        return self.enqueue(message, link: id, direction: .down, now: now, random: &random)
    }

    /// A node sends on its connection.
    func nodeSend(_ message: Message, link id: Int, now: Instant, random: inout SimRandom) -> SendOutcome {
        precondition(self.links[id].nodeOpen, "a node sent on a connection it closed")
        return self.enqueue(message, link: id, direction: .up, now: now, random: &random)
    }

    private func enqueue(
        _ message: Message,
        link id: Int,
        direction: Direction,
        now: Instant,
        random: inout SimRandom
    ) -> SendOutcome {
        self.counters.sent += 1
        let link = self.links[id]
        guard link[direction].queue.count < link.hwm else {
            self.counters.droppedAtHighWaterMark += 1
            self.highWaterDrops[link.peer, default: 0] += 1
            return .droppedAtHighWaterMark
        }
        var delay = link.latency + .nanoseconds(Int64(random.int(0 ... Int(link.latency.nanosecondsClamped))))
        if random.chance(0.03) { delay += random.milliseconds(5, 150) }
        let readyAt = max(now + delay, link[direction].lastReadyAt)
        self.links[id][direction].lastReadyAt = readyAt
        self.links[id][direction].queue.append(Packet(message: message, readyAt: readyAt))
        return .queued(self.armPump(id, direction, now: now))
    }

    // MARK: - Delivering

    /// Whether a pipe may deliver now (no partition on its node, its receiver not stalled).
    private func isBlocked(_ id: Int, _ direction: Direction) -> Bool {
        let node = self.links[id].owner.node
        if self.partitioned.contains(node) { return true }
        return self.stalled.contains(direction == .up ? .coordinator : node)
    }

    /// Schedules the pipe's next delivery if it has packets, is not blocked and has none scheduled.
    private func armPump(_ id: Int, _ direction: Direction, now: Instant) -> Pump? {
        let pipe = self.links[id][direction]
        guard pipe.scheduledAt == nil, let head = pipe.queue.first, !self.isBlocked(id, direction) else { return nil }
        let at = max(now, head.readyAt)
        self.links[id][direction].scheduledAt = at
        return Pump(link: id, direction: direction, generation: pipe.generation, at: at)
    }

    /// A delivery event fired: returns the messages that reach the receiver now (in order), and
    /// the next delivery to schedule.
    func pump(_ pump: Pump, now: Instant) -> (messages: [Message], next: Pump?) {
        let id = pump.link
        guard self.links[id][pump.direction].generation == pump.generation,
            self.links[id][pump.direction].scheduledAt == pump.at
        else {
            return ([], nil)
        }
        self.links[id][pump.direction].scheduledAt = nil
        guard !self.isBlocked(id, pump.direction) else {
            self.links[id][pump.direction].generation &+= 1
            return ([], nil)
        }
        var messages: [Message] = []
        var taken = 0
        for packet in self.links[id][pump.direction].queue {
            guard packet.readyAt <= now else { break }
            messages.append(packet.message)
            taken += 1
        }
        self.links[id][pump.direction].queue.removeFirst(taken)
        self.counters.delivered += taken
        return (messages, self.armPump(id, pump.direction, now: now))
    }

    // MARK: - Faults

    /// Cuts a node off: its traffic waits, its connects and disconnects are not seen.
    func partition(_ node: SimNode) {
        self.partitioned.insert(node)
        for id in self.links.indices where self.links[id].owner.node == node {
            for direction in [Direction.up, .down] {
                self.links[id][direction].scheduledAt = nil
                self.links[id][direction].generation &+= 1
            }
        }
    }

    /// Heals a partition: connections made meanwhile reach the ROUTER (the newest takes the
    /// routing id), connections closed meanwhile are noticed, and held traffic flows again.
    func heal(_ node: SimNode, now: Instant) -> [Pump] {
        guard self.partitioned.remove(node) != nil else { return [] }
        var pumps: [Pump] = []
        for id in self.links.indices where self.links[id].owner.node == node {
            if self.links[id].nodeOpen, !self.links[id].known {
                self.links[id].known = true
                self.routes[self.links[id].peer] = id
            } else if !self.links[id].nodeOpen {
                self.forget(id)
            }
            for direction in [Direction.up, .down] {
                if let pump = self.armPump(id, direction, now: now) { pumps.append(pump) }
            }
        }
        return pumps
    }

    /// Stops a node reading (SIGSTOP): traffic to it queues.
    func stall(_ node: SimNode) {
        self.stalled.insert(node)
        for id in self.links.indices where node == .coordinator || self.links[id].owner.node == node {
            let direction: Direction = node == .coordinator ? .up : .down
            self.links[id][direction].scheduledAt = nil
            self.links[id][direction].generation &+= 1
        }
    }

    /// Resumes a stalled node: what queued for it is delivered.
    func resume(_ node: SimNode, now: Instant) -> [Pump] {
        guard self.stalled.remove(node) != nil else { return [] }
        var pumps: [Pump] = []
        for id in self.links.indices where node == .coordinator || self.links[id].owner.node == node {
            if let pump = self.armPump(id, node == .coordinator ? .up : .down, now: now) { pumps.append(pump) }
        }
        return pumps
    }

    /// Whether a node is partitioned.
    func isPartitioned(_ node: SimNode) -> Bool { self.partitioned.contains(node) }

    /// Whether a node is stalled.
    func isStalled(_ node: SimNode) -> Bool { self.stalled.contains(node) }

    /// The owner and routing id of a connection.
    func endpoint(_ id: Int) -> (peer: PeerID, owner: LinkOwner) { (self.links[id].peer, self.links[id].owner) }
}
