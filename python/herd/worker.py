"""A Herd worker in Python (docs/PROTOCOL.md, worker side).

One asyncio event loop owns the worker's one DEALER socket (``zmq.asyncio``); nothing touches it
from another thread. Async handlers run as tasks on that loop and are cancelled with
``asyncio.CancelledError``; synchronous handlers run in a thread pool and get a cancellation
token (``ctx.cancelled``, ``ctx.check()``). An idle worker wakes only for its heartbeat tick.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import secrets
import signal
import socket as _socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, List, Optional, Union

import zmq
import zmq.asyncio

from . import protocol as p
from .context import Context
from .errors import Failure, RegistrationRefused
from .keys import curve_from

log = logging.getLogger("herd.worker")

Handler = Callable[[Context], Union[Awaitable[bytes], bytes]]

DEFAULT_HEARTBEAT_MS = 250
DEFAULT_LIVENESS_MS = 1000
#: REGISTER is re-sent this often while no WELCOME has come (§7.2).
REGISTER_RETRY_S = 1.0
#: Room kept in a RESULTS message for everything but the outputs.
_RESULT_OVERHEAD = 64
MAX_CAPACITY = 100_000


@dataclass
class _Running:
    ctx: Context
    task: Optional[asyncio.Task] = None
    is_async: bool = True
    #: Why the worker stopped it (deadline, drain): the failure it reports.
    cancelled_because: Optional[p.FailureInfo] = None
    #: The coordinator cancelled it: confirm with CANCELLED, not RESULTS.
    confirm_as_cancelled: bool = False
    #: Given back (CANCELLED sent, unasked) by a drain: whatever it returns is dropped.
    given_back: bool = False
    deadline_timer: Optional[asyncio.TimerHandle] = None


class Worker:
    """A worker of one group, running the kinds registered with :meth:`handler`.

    ``Worker(endpoint, group="agents", capacity=8)``; ``worker_id`` defaults to
    ``py-HOST-PID-RANDOM``, ``node`` to the host name. ``drain_grace`` (seconds) is how long
    running attempts may finish after SIGTERM before they are given back. Arguments left out are
    read from ``HERD_ENDPOINT``, ``HERD_GROUP``, ``HERD_CAPACITY``, ``HERD_WORKER_ID``,
    ``HERD_NODE`` and ``HERD_DRAIN_GRACE`` (what ``herd up`` sets for a ``command`` worker), and the
    CURVE keys (``server_key``, ``key``) from ``HERD_SERVER_KEY`` and ``HERD_KEY`` (``herd.keys``).
    """

    def __init__(self, endpoint: Optional[str] = None, group: Optional[str] = None, capacity: Optional[int] = None,
                 *, worker_id: Optional[str] = None, node: Optional[str] = None, drain_grace: Optional[float] = None,
                 threads: Optional[int] = None, server_key: Optional[str] = None, key: Optional[str] = None):
        # What is not given comes from the environment `herd up` sets for a cluster file's
        # `command` worker (HERD_ENDPOINT, HERD_GROUP, ...), then from the defaults.
        env = os.environ
        endpoint = endpoint or env.get("HERD_ENDPOINT") or "tcp://127.0.0.1:5555"
        group = group or env.get("HERD_GROUP") or ""
        capacity = capacity if capacity is not None else int(env.get("HERD_CAPACITY", "8"))
        worker_id = worker_id or env.get("HERD_WORKER_ID")
        node = node if node is not None else env.get("HERD_NODE")
        drain_grace = drain_grace if drain_grace is not None else float(env.get("HERD_DRAIN_GRACE", "10"))
        #: CURVE (``server_key``/``key`` or ``HERD_SERVER_KEY``/``HERD_KEY``: herd.keys); None: plain text.
        self._curve = curve_from(server_key, key, env)
        self._ready_line = env.get("HERD_READY_LINE") == "1"
        parent = env.get("HERD_PARENT_PID", "")
        self._parent_pid = int(parent) if parent.isdigit() else None
        if not group:
            raise ValueError("group must not be empty")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"capacity must be 1...{MAX_CAPACITY}, got {capacity}")
        self.endpoint = endpoint
        self.group = group
        self.capacity = capacity
        host = _socket.gethostname()
        self.worker_id = worker_id or f"py-{host}-{os.getpid()}-{secrets.token_hex(3)}"
        if not self.worker_id or len(self.worker_id.encode()) > 255 or self.worker_id.encode()[0] == 0:
            raise ValueError("worker_id must be 1-255 bytes, not starting with a zero byte")
        self.node = host if node is None else node
        self.drain_grace = drain_grace
        #: Picked once per Worker (per process start); kept across reconnects (protocol revision 7).
        self.incarnation = secrets.randbits(64) or 1
        self._handlers: Dict[str, Handler] = {}
        self._threads = threads or capacity
        self._pool: Optional[ThreadPoolExecutor] = None
        # State (event-loop thread only).
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._ctx: Optional[zmq.asyncio.Context] = None
        self._sock: Optional[zmq.asyncio.Socket] = None
        self._reader: Optional[asyncio.Task] = None
        self._running: Dict[p.Attempt, _Running] = {}
        self._outbox: List[p.SubtaskResult] = []
        self._cancelled_outbox: Dict[p.Attempt, None] = {}
        self._registered = False
        self._connecting_since = 0.0
        self.coordinator_id: Optional[str] = None
        self._hb_ms = DEFAULT_HEARTBEAT_MS
        self._live_ms = DEFAULT_LIVENESS_MS
        self._last_heard = 0.0
        self._last_sent = 0.0
        self._draining_since: Optional[float] = None
        self._grace_timer: Optional[asyncio.TimerHandle] = None
        self._flush_scheduled = False
        self._done: Optional[asyncio.Future] = None
        self._last_error_sent = 0.0
        self._errors_sent = 0
        #: Called with (event name, detail dict) for observability and tests.
        self.on_event: Optional[Callable[[str, dict], None]] = None

    # MARK: Public API

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        """Registers the decorated function (async or sync) as the handler of ``kind``."""
        if not kind or len(kind.encode()) > 255:
            raise ValueError("a kind is 1-255 bytes")

        def register(fn: Handler) -> Handler:
            self._handlers[kind] = fn
            return fn

        return register

    @property
    def kinds(self) -> tuple:
        return tuple(self._handlers)

    @property
    def registered(self) -> bool:
        return self._registered

    def run(self) -> None:
        """Runs until drained: SIGTERM (or SIGINT) drains gracefully, a second one gives everything back."""
        asyncio.run(self.serve())

    async def serve(self, *, install_signals: bool = True) -> None:
        """Runs the worker in the current event loop until it has drained (or failed fatally)."""
        if not self._handlers:
            raise ValueError("register at least one handler with @worker.handler(kind)")
        self._loop = asyncio.get_running_loop()
        self._done = self._loop.create_future()
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="herd-handler")
        self._ctx = zmq.asyncio.Context()
        installed = []
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                try:
                    self._loop.add_signal_handler(sig, self.stop)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError, ValueError):
                    pass
        ticker = None
        try:
            self._connect()
            self._send_register()
            ticker = asyncio.create_task(self._tick_loop())
            await self._done
        finally:
            for sig in installed:
                self._loop.remove_signal_handler(sig)
            if ticker:
                ticker.cancel()
            for record in list(self._running.values()):
                if record.task and not record.task.done():
                    record.task.cancel()
                record.ctx._cancelled.set()
            self._close_socket(linger=1000)
            self._ctx.term()
            self._pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        """Drains (as SIGTERM does): the first call starts a drain, a second ends its grace at once."""
        if self._loop is None:
            return
        if self._draining_since is None:
            self._drain(self.drain_grace * 1000, announce=True)
        else:
            self._give_back_all("second stop request")
        self._schedule_flush()

    # MARK: Socket

    def _connect(self) -> None:
        sock = self._ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.ROUTING_ID, self.worker_id.encode())
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.MAXMSGSIZE, p.MAX_MESSAGE_BYTES)
        sock.setsockopt(zmq.SNDHWM, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
        if self._curve:
            self._curve.apply(sock)
        sock.connect(self.endpoint)
        self._sock = sock
        self._reader = asyncio.create_task(self._read_loop(sock))

    def _close_socket(self, linger: int = 0) -> None:
        if self._reader:
            self._reader.cancel()
            self._reader = None
        if self._sock is not None:
            self._sock.close(linger=linger)
            self._sock = None

    def _reconnect(self) -> None:
        self._close_socket(0)
        self._connect()

    async def _read_loop(self, sock: zmq.asyncio.Socket) -> None:
        try:
            while True:
                frames = await sock.recv_multipart()
                batch = [frames]
                while len(batch) < 256 and sock.get(zmq.EVENTS) & zmq.POLLIN:
                    batch.append(await sock.recv_multipart())
                for frames in batch:
                    self._received_frames(frames)
                self._flush()
                # A ready socket completes its recv without yielding: let the handlers run first.
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            pass
        except zmq.ZMQError as e:  # the socket was closed under us
            log.debug("reader stopped: %s", e)

    def _send(self, message: p.Message) -> None:
        if self._sock is None:
            return
        self._last_sent = time.monotonic()
        self._sock.send_multipart(p.encode(message), copy=False)

    def _event(self, name: str, **detail) -> None:
        if self.on_event:
            try:
                self.on_event(name, detail)
            except Exception:  # an observer must not break the worker
                log.exception("on_event observer failed")

    # MARK: Receiving

    def _received_frames(self, frames: List[bytes]) -> None:
        self._last_heard = time.monotonic()
        try:
            message = p.decode(frames)
        except p.ProtocolError as e:
            log.warning("undecodable message from the coordinator: %s", e)
            self._event("undecodable", code=e.code.name, message=e.message)
            # §8.2: answer with ERROR, but never an ERROR with an ERROR; at most 20 a second.
            now = time.monotonic()
            if now - self._last_error_sent >= 1.0:
                self._last_error_sent, self._errors_sent = now, 0
            if not e.about_error and self._errors_sent < 20:
                self._errors_sent += 1
                self._send(p.Error(e.code, e.message))
            return
        self._received(message)

    def _received(self, m: p.Message) -> None:
        if isinstance(m, p.Welcome):
            self._welcomed(m)
        elif isinstance(m, p.Dispatch):
            for a in m.assignments:
                self._assigned(a)
        elif isinstance(m, p.Cancel):
            for a in m.attempts:
                self._cancel_requested(a)
        elif isinstance(m, p.Drain):
            self._drain(m.grace_ms, announce=False)
        elif isinstance(m, p.Heartbeat):
            pass
        elif isinstance(m, p.Error):
            self._error(m)
        elif isinstance(m, (p.Accepted, p.Rejected, p.JobResults, p.JobFinished, p.CancelReply, p.Partial,
                            p.JobNotice)):
            log.debug("ignoring %s: this worker submits no nested jobs", p.command_of(m).wire_name)
        else:
            log.warning("unexpected %s from the coordinator", p.command_of(m).wire_name)
            self._send(p.Error(p.ErrorCode.UNEXPECTED, f"{p.command_of(m).wire_name} is not sent to a worker"))

    def _welcomed(self, w: p.Welcome) -> None:
        if self.coordinator_id is not None and self.coordinator_id != w.coordinator_id:
            log.info("coordinator restarted (%s -> %s)", self.coordinator_id, w.coordinator_id)
        self.coordinator_id = w.coordinator_id
        self._registered = True
        # §5.8: adopt the durations; 0 is not a usable duration, keep the previous ones then.
        if w.heartbeat_ms > 0:
            self._hb_ms = w.heartbeat_ms
        if w.liveness_ms > 0:
            self._live_ms = w.liveness_ms
        if self._draining_since is not None:
            left = max(0.0, self._grace_end - time.monotonic())
            self._send(p.Drain(int(left * 1000)))
        log.info("registered with %s as %s (group %s)", w.coordinator_id, self.worker_id, self.group)
        if self._ready_line:  # `herd up` waits for this line on stdout
            self._ready_line = False
            print(f"herd worker {self.worker_id} registered in group {self.group}", flush=True)
        self._event("registered", coordinator=w.coordinator_id)

    def _error(self, e: p.Error) -> None:
        if e.code == p.ErrorCode.UNKNOWN_PEER:
            if self._registered:  # while a REGISTER is on its way, its answer covers this one
                log.info("coordinator does not know this worker; registering again")
                self._send_register()
        elif e.code == p.ErrorCode.UNEXPECTED and not self._registered and e.message.startswith("registration"):
            self._fatal(RegistrationRefused(e.message))
        elif e.code == p.ErrorCode.UNSUPPORTED_VERSION:
            self._fatal(p.ProtocolError(e.code, e.message))
        else:
            log.warning("coordinator reported an error: %s: %s", e.code.name, e.message)
        self._event("error", code=e.code.name, message=e.message)

    def _fatal(self, error: BaseException) -> None:
        log.error("stopping: %s", error)
        if self._done and not self._done.done():
            self._done.set_exception(error)

    # MARK: Running attempts

    def _assigned(self, a: p.Assignment) -> None:
        attempt = a.attempt
        if attempt in self._running:
            return  # a duplicate DISPATCH of an attempt already running: ignored
        if not self._registered:
            return  # sent before the coordinator handled our REGISTER: it reclaims it
        if self._draining_since is not None:
            self._cancelled_outbox[attempt] = None  # crossed the drain: given back unstarted
            return
        fn = self._handlers.get(a.kind)
        if fn is None:
            failure = p.FailureInfo(p.Category.VALIDATION, f"worker {self.worker_id} does not run kind '{a.kind}'")
            self._outbox.append(p.SubtaskResult(attempt, p.Outcome.failed(failure), 0))
            return
        ctx = Context(self, attempt, a.kind, a.payload, a.deadline_ms, self._loop)
        is_async = inspect.iscoroutinefunction(fn)
        record = _Running(ctx=ctx, is_async=is_async)
        self._running[attempt] = record
        record.task = self._loop.create_task(self._run_handler(fn, record))
        record.task.add_done_callback(lambda task, attempt=attempt: self._task_done(attempt, task))
        if a.deadline_ms is not None:
            record.deadline_timer = self._loop.call_later(
                a.deadline_ms / 1000, self._cancel, attempt,
                p.FailureInfo(p.Category.TIMEOUT, "deadline exceeded on the worker"))
        self._event("started", attempt=attempt, kind=a.kind)

    async def _run_handler(self, fn: Handler, record: _Running) -> None:
        ctx = record.ctx
        outcome: p.Outcome
        try:
            if record.is_async:
                value = await fn(ctx)
            else:
                future = self._loop.run_in_executor(self._pool, fn, ctx)
                while True:  # the thread runs on until it returns, cancelled or not
                    try:
                        value = await asyncio.shield(future)
                        break
                    except asyncio.CancelledError:
                        if future.done():
                            value = future.result()
                            break
                        ctx._cancelled.set()
            outcome = self._success(value)
        except asyncio.CancelledError:
            outcome = p.Outcome.failed(p.FailureInfo(p.Category.CANCELLED, "cancelled"))
        except Failure as f:
            outcome = p.Outcome.failed(f.to_wire())
        except Exception as e:  # an unexpected exception: category unknown, with its message
            log.debug("handler of %s raised", ctx.attempt_ref, exc_info=True)
            outcome = p.Outcome.failed(p.FailureInfo(p.Category.UNKNOWN, f"{type(e).__name__}: {e}"))
        self._finished(ctx.attempt_ref, outcome, ctx._take_usage())

    def _task_done(self, attempt: p.Attempt, task: asyncio.Task) -> None:
        """A task cancelled before its first step never ran `_run_handler`'s body: report it here."""
        if attempt in self._running and self._running[attempt].task is task:
            outcome = p.Outcome.failed(p.FailureInfo(p.Category.CANCELLED, "cancelled before it started"))
            self._finished(attempt, outcome, self._running[attempt].ctx._take_usage())

    def _success(self, value) -> p.Outcome:
        if value is None:
            value = b""
        elif isinstance(value, str):
            value = value.encode("utf-8")
        elif not isinstance(value, (bytes, bytearray, memoryview)):
            return p.Outcome.failed(p.FailureInfo(
                p.Category.VALIDATION, f"a handler returns bytes or str, not {type(value).__name__}"))
        value = bytes(value)
        if len(value) > p.MAX_MESSAGE_BYTES - 4 - _RESULT_OVERHEAD:
            return p.Outcome.failed(p.FailureInfo(p.Category.VALIDATION, f"output of {len(value)} bytes exceeds "
                                                  f"the message limit of {p.MAX_MESSAGE_BYTES} bytes"))
        return p.Outcome.success(value)

    def _finished(self, attempt: p.Attempt, outcome: p.Outcome, usage: int) -> None:
        record = self._running.pop(attempt, None)
        if record is None:
            return
        if record.deadline_timer:
            record.deadline_timer.cancel()
        self._event("finished", attempt=attempt, ok=outcome.ok,
                    cancelled=record.confirm_as_cancelled or record.given_back)
        if record.given_back:
            pass
        elif record.confirm_as_cancelled:
            self._cancelled_outbox[attempt] = None
        else:
            if record.cancelled_because is not None:
                outcome = p.Outcome.failed(record.cancelled_because)
            self._outbox.append(p.SubtaskResult(attempt, outcome, usage))
        self._schedule_flush()

    def _cancel(self, attempt: p.Attempt, because: p.FailureInfo) -> None:
        record = self._running.get(attempt)
        if record is None or record.cancelled_because is not None:
            return
        record.cancelled_because = because
        record.ctx._cancelled.set()
        if record.task is not None:
            record.task.cancel()
        self._event("cancelling", attempt=attempt, reason=because.message)

    def _cancel_requested(self, attempt: p.Attempt) -> None:
        record = self._running.get(attempt)
        if record is not None:
            record.confirm_as_cancelled = True
            self._cancel(attempt, p.FailureInfo(p.Category.CANCELLED, "cancelled by the coordinator"))
            return
        # Not running here: withdraw an unsent result (cancel wins) and confirm at once.
        self._outbox = [r for r in self._outbox if r.attempt != attempt]
        self._cancelled_outbox[attempt] = None

    def _partial(self, ctx: Context, data: bytes) -> None:
        record = self._running.get(ctx.attempt_ref)
        if record is None or record.cancelled_because is not None or not self._registered:
            return  # never after the result, nor after a cancel (§5.7)
        self._send(p.Partial(ctx.attempt_ref, "", data, ctx._take_usage()))

    # MARK: Flushing

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._registered and self._outbox:
            batch, self._outbox = self._outbox, []
            self._send_results(batch)
        if self._registered and self._cancelled_outbox:
            attempts = tuple(self._cancelled_outbox)
            self._cancelled_outbox.clear()
            for i in range(0, len(attempts), 1 << 20):
                self._send(p.Cancelled(attempts[i:i + (1 << 20)]))
        if self._draining_since is not None and not self._running and not self._done.done():
            # Everything finished or was given back: leave. Without a coordinator, leave anyway
            # (it declares this worker dead and re-queues what it had outstanding here).
            if self._registered:
                self._send(p.Deregister())
            log.info("drained; leaving")
            self._event("drained")
            self._done.set_result(None)

    def _send_results(self, batch: List[p.SubtaskResult]) -> None:
        chunk: List[p.SubtaskResult] = []
        size = 8
        for r in batch:
            n = _RESULT_OVERHEAD + len(r.outcome.output or b"") + (
                len(r.outcome.failure.message.encode()) if r.outcome.failure else 0)
            if chunk and size + n > p.MAX_MESSAGE_BYTES:
                self._send(p.Results(tuple(chunk)))
                chunk, size = [], 8
            chunk.append(r)
            size += n
        if chunk:
            self._send(p.Results(tuple(chunk)))

    # MARK: Liveness

    def _send_register(self) -> None:
        self._registered = False
        self._connecting_since = time.monotonic()
        holding = sorted(set(self._running) | {r.attempt for r in self._outbox})
        self._send(p.Register(self.worker_id, self.group, self.node, self.capacity, self.kinds, tuple(holding),
                              self.incarnation))

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(max(self._hb_ms, 10) / 1000)
            self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        if self._parent_pid is not None and os.getppid() != self._parent_pid and self._draining_since is None:
            log.warning("the process that started this worker (pid %d) is gone; draining", self._parent_pid)
            self.stop()
        if self._registered:
            if (now - self._last_heard) * 1000 > self._live_ms:
                log.warning("coordinator silent for more than %d ms; reconnecting (%d running)",
                            self._live_ms, len(self._running))
                self._event("reconnecting")
                self._reconnect()
                self._send_register()
            elif ((now - self._last_sent) * 1000) + self._hb_ms / 2 >= self._hb_ms:
                self._send(p.Heartbeat())
        elif now - self._connecting_since >= REGISTER_RETRY_S:
            if (now - self._last_heard) * 1000 > self._live_ms:
                self._reconnect()  # nothing heard: the connection may be stale
            self._send_register()

    # MARK: Drain

    def _drain(self, grace_ms: float, announce: bool) -> None:
        if self._draining_since is not None:
            return  # the drain under way keeps its grace
        self._draining_since = time.monotonic()
        self._grace_end = self._draining_since + grace_ms / 1000
        log.info("draining: %d running, grace %d ms", len(self._running), grace_ms)
        self._event("draining", grace_ms=grace_ms)
        if announce and self._registered:
            self._send(p.Drain(int(grace_ms)))
        self._grace_timer = self._loop.call_later(grace_ms / 1000, self._grace_ended)
        self._schedule_flush()

    def _grace_ended(self) -> None:
        self._give_back_all("drain grace ended")
        self._flush()

    def _give_back_all(self, reason: str) -> None:
        if self._draining_since is None:
            self._draining_since = time.monotonic()
            self._grace_end = self._draining_since
        given = 0
        for attempt in sorted(self._running):
            record = self._running[attempt]
            if record.given_back or record.confirm_as_cancelled:
                continue
            self._cancelled_outbox[attempt] = None
            record.given_back = True
            given += 1
            self._cancel(attempt, p.FailureInfo(p.Category.CANCELLED, reason))
        if given:
            log.info("gave back %d running attempts: %s", given, reason)
