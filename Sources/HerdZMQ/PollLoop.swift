import CZeroMQ
import HeapModule

#if canImport(Glibc)
import Glibc
#endif

/// A single-threaded event loop: `zmq_poll` over its sockets and wake-up fds, with one-shot timers.
///
/// Not Sendable: create it, register handlers and ``run()`` it on one thread (typically a
/// ``LoopThread``); handlers run on that thread, one at a time. When idle it is blocked in
/// `zmq_poll` (0 % CPU): the poll timeout is the time to the next timer, rounded up to whole
/// milliseconds so that it never spins, or infinite if there is none.
///
/// Readiness is level-triggered: a readable handler must receive what is waiting (best with
/// ``ZMQSocket/receiveBatch(limit:into:)``), or the loop calls it again straight away.
///
/// ## Stopping from another thread
/// ``stop()`` is called on the loop thread, from a handler. The owner stops the loop from another
/// thread or task by sending a message that the loop thread handles:
///
/// ```swift
/// enum Command: Sendable { case send([[UInt8]]), stop }
/// let wakeup = try Wakeup()
/// let commands = Mailbox<Command>(capacity: 1_024, wakeup: wakeup)
/// let thread = LoopThread.start(name: "herd-zmq") {
///     let socket = try! ZMQSocket(context: context, type: .dealer)  // created on the loop thread
///     try! socket.connect(endpoint)
///     let loop = PollLoop()
///     var batch: [Command] = []
///     loop.watchReadable(wakeup) {
///         commands.drain(into: &batch)
///         for command in batch {
///             switch command {
///             case .send(let frames): _ = try? socket.send(frames)
///             case .stop: loop.stop()
///             }
///         }
///         batch.removeAll(keepingCapacity: true)
///     }
///     loop.run()
/// }
/// // elsewhere:
/// await commands.send(.stop)
/// await thread.join()
/// ```
public final class PollLoop {
    /// Identifies a scheduled timer, for ``cancel(_:)``.
    public struct TimerID: Hashable, Sendable {
        /// Insertion sequence number; also breaks ties between equal deadlines.
        let sequence: UInt64
    }

    /// A watched source and its handlers.
    private enum Source {
        case socket(ZMQSocket)
        case wakeup(Wakeup)
    }

    private struct Watch {
        var source: Source
        var onReadable: (() -> Void)?
        var onWritable: (() -> Void)?
    }

    /// A heap entry: ordered by deadline, then insertion.
    private struct TimerEntry: Comparable {
        var deadline: ContinuousClock.Instant
        var id: TimerID

        static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
            (lhs.deadline, lhs.id.sequence) < (rhs.deadline, rhs.id.sequence)
        }
    }

    private var watches: [ObjectIdentifier: Watch] = [:]
    /// Registration order of `watches`, so poll items (and dispatch) keep a stable order.
    private var order: [ObjectIdentifier] = []
    /// Poll items rebuilt from `watches` when `itemsAreStale`; `itemKeys[i]` owns `items[i]`.
    private var items: [zmq_pollitem_t] = []
    private var itemKeys: [ObjectIdentifier] = []
    private var itemsAreStale = true

    private var timers = Heap<TimerEntry>()
    /// Handlers of live timers; a cancelled timer's heap entry stays behind and is skipped.
    private var timerHandlers: [TimerID: () -> Void] = [:]
    private var nextTimerSequence: UInt64 = 0

    private var stopRequested = false
    /// How many times ``run()`` has called `zmq_poll` (for tests and diagnostics: an idle loop
    /// must not count up).
    public private(set) var pollCount = 0

    /// Creates an empty loop.
    public init() {}

    // MARK: - Registration

    /// Calls `handler` whenever `socket` has a message waiting (`ZMQ_POLLIN`). Replaces an
    /// earlier readable handler for the same socket. The loop keeps the socket alive while watched;
    /// a socket closed while watched is dropped from the loop.
    public func watchReadable(_ socket: ZMQSocket, _ handler: @escaping () -> Void) {
        update(ObjectIdentifier(socket), source: .socket(socket)) { $0.onReadable = handler }
    }

    /// Calls `handler` whenever `wakeup` was signalled; the loop drains the eventfd before calling
    /// `handler`, so a signal sent while `handler` runs wakes the loop again.
    public func watchReadable(_ wakeup: Wakeup, _ handler: @escaping () -> Void) {
        update(ObjectIdentifier(wakeup), source: .wakeup(wakeup)) { $0.onReadable = handler }
    }

    /// Asks to be told once when `socket` can accept a send again (`ZMQ_POLLOUT`; after
    /// ``ZMQSocket/send(_:)`` returned false). Replaces an earlier pending request for the socket.
    ///
    /// libzmq reports a ROUTER as always writable (its high-water mark is per peer): for a ROUTER
    /// the handler runs on the next iteration, so retry such sends with a timer instead.
    public func notifyWhenWritable(_ socket: ZMQSocket, _ handler: @escaping () -> Void) {
        update(ObjectIdentifier(socket), source: .socket(socket)) { $0.onWritable = handler }
    }

    /// Stops watching `socket` (readable handler and pending writable request).
    public func unwatch(_ socket: ZMQSocket) {
        remove(ObjectIdentifier(socket))
    }

    /// Stops watching `wakeup`.
    public func unwatch(_ wakeup: Wakeup) {
        remove(ObjectIdentifier(wakeup))
    }

    private func update(_ key: ObjectIdentifier, source: Source, _ change: (inout Watch) -> Void) {
        var watch = watches[key] ?? Watch(source: source)
        if watches[key] == nil { order.append(key) }
        change(&watch)
        watches[key] = watch
        itemsAreStale = true
    }

    private func remove(_ key: ObjectIdentifier) {
        guard watches.removeValue(forKey: key) != nil else { return }
        order.removeAll { $0 == key }
        itemsAreStale = true
    }

    // MARK: - Timers

    /// Runs `handler` once, on the loop thread, at or soon after `deadline`. Timers fire in
    /// (deadline, insertion) order; a deadline in the past fires on the next iteration.
    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ handler: @escaping () -> Void) -> TimerID {
        let id = TimerID(sequence: nextTimerSequence)
        nextTimerSequence += 1
        timers.insert(TimerEntry(deadline: deadline, id: id))
        timerHandlers[id] = handler
        return id
    }

    /// Cancels a timer that has not fired yet; does nothing for a timer that fired or was cancelled.
    public func cancel(_ timer: TimerID) {
        guard timerHandlers.removeValue(forKey: timer) != nil else { return }
        // Cancelled entries stay in the heap until popped; compact if they dominate.
        if timers.count > 64 && timers.count > 2 * timerHandlers.count {
            timers = Heap(timers.unordered.filter { timerHandlers[$0.id] != nil })
        }
    }

    /// The earliest live deadline, dropping cancelled entries from the top of the heap.
    private func nextDeadline() -> ContinuousClock.Instant? {
        while let top = timers.min {
            if timerHandlers[top.id] != nil { return top.deadline }
            timers.removeMin()
        }
        return nil
    }

    /// Fires every timer due at `now`, in order. Timers scheduled by these handlers wait for the
    /// next iteration, even if already due, so a handler rescheduling itself cannot starve I/O.
    private func fireDueTimers(now: ContinuousClock.Instant) {
        var due: [TimerEntry] = []
        while let top = timers.min, top.deadline <= now {
            due.append(timers.removeMin())
        }
        for (index, entry) in due.enumerated() {
            if stopRequested {
                timers.insert(contentsOf: due[index...])  // unfired: keep them for a later run()
                return
            }
            guard let handler = timerHandlers.removeValue(forKey: entry.id) else { continue }
            handler()
        }
    }

    // MARK: - Running

    /// Runs until ``stop()``: fires due timers, blocks in `zmq_poll` until a source is ready or the
    /// next timer is due, calls the handlers of the ready sources, and repeats.
    public func run() {
        stopRequested = false
        while !stopRequested {
            fireDueTimers(now: .now)
            if stopRequested { break }
            dropClosedSockets()
            if itemsAreStale { rebuildItems() }
            let ready = poll(timeoutMilliseconds: pollTimeout(now: .now))
            if ready > 0 { dispatch() }
        }
    }

    /// Makes ``run()`` return once the current handler returns; handlers of sources that are ready
    /// in the same iteration and timers due at the same time are left for a later `run()`.
    /// Call it on the loop thread (from a handler); see the type's documentation for stopping
    /// from another thread.
    public func stop() {
        stopRequested = true
    }

    /// Milliseconds until the next live timer, rounded up; -1 if there is none.
    private func pollTimeout(now: ContinuousClock.Instant) -> Int {
        guard let deadline = nextDeadline() else { return -1 }
        let remaining = now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        var milliseconds = seconds.multipliedReportingOverflow(by: 1_000)
        milliseconds.partialValue += attoseconds / attosecondsPerMillisecond
        if attoseconds % attosecondsPerMillisecond != 0 { milliseconds.partialValue += 1 }
        // Very far deadlines: wake once a day and recompute; harmless.
        let cap: Int64 = 86_400_000
        if milliseconds.overflow || milliseconds.partialValue > cap { return Int(cap) }
        return Int(milliseconds.partialValue)
    }

    private func dropClosedSockets() {
        for key in order {
            if case .socket(let socket) = watches[key]?.source, socket.isClosed { remove(key) }
        }
    }

    private func rebuildItems() {
        items.removeAll(keepingCapacity: true)
        itemKeys.removeAll(keepingCapacity: true)
        for key in order {
            guard let watch = watches[key] else { continue }
            var events: Int32 = 0
            if watch.onReadable != nil { events |= ZMQ_POLLIN }
            if watch.onWritable != nil { events |= ZMQ_POLLOUT }
            guard events != 0 else { continue }
            switch watch.source {
            case .socket(let socket):
                items.append(zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(events), revents: 0))
            case .wakeup(let wakeup):
                items.append(zmq_pollitem_t(socket: nil, fd: wakeup.fileDescriptor, events: Int16(events), revents: 0))
            }
            itemKeys.append(key)
        }
        itemsAreStale = false
    }

    /// One blocking poll; returns the number of ready items (0 on timeout or interruption).
    private func poll(timeoutMilliseconds: Int) -> Int32 {
        pollCount += 1
        if items.isEmpty {
            // zmq_poll with no items turns an infinite timeout into usleep(-1000): use poll(2).
            _ = Glibc.poll(nil, 0, Int32(clamping: timeoutMilliseconds))
            return 0
        }
        let rc = items.withUnsafeMutableBufferPointer {
            zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        if rc >= 0 { return rc }
        let code = zmq_errno()
        if code == EINTR { return 0 }
        preconditionFailure("\(ZMQError(code: code, operation: "zmq_poll"))")
    }

    /// Calls the handlers of the items `zmq_poll` marked ready, in registration order.
    private func dispatch() {
        let ready = items
        let keys = itemKeys
        for index in ready.indices where ready[index].revents != 0 {
            if stopRequested { return }
            let revents = Int32(ready[index].revents)
            let key = keys[index]
            // A handler earlier in this pass may have removed, replaced or closed this source.
            if revents & ZMQ_POLLIN != 0, let watch = watches[key], let handler = watch.onReadable {
                switch watch.source {
                case .wakeup(let wakeup):
                    wakeup.drain()
                    handler()
                case .socket(let socket):
                    if !socket.isClosed { handler() }
                }
            }
            if stopRequested { return }
            if revents & ZMQ_POLLOUT != 0, let handler = watches[key]?.onWritable {
                watches[key]?.onWritable = nil  // one-shot
                itemsAreStale = true
                if watches[key]?.onReadable == nil { remove(key) }
                handler()
            }
        }
    }
}
