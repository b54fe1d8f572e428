"""A Herd client in Python (docs/PROTOCOL.md, client side): submit jobs, stream their results.

``async for r in herd.Client(endpoint).submit("agents", "summarize", payloads=[...]): ...``

One asyncio event loop owns the client's DEALER socket; jobs, status and drain requests share it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from dataclasses import dataclass
from typing import AsyncIterator, Dict, Iterable, List, Optional, Sequence, Union

import zmq
import zmq.asyncio

from . import protocol as p
from .errors import ConnectionLost, Failure, JobRejected
from .keys import curve_from

log = logging.getLogger("herd.client")

#: Clients receive no WELCOME: they use the defaults (§7.3).
HEARTBEAT_S = 0.25
#: How long the coordinator may stay silent while something is outstanding.
COORDINATOR_SILENCE_S = 5.0


@dataclass(frozen=True)
class Result:
    """One subtask's committed result (a JOB-RESULTS entry)."""

    job: int
    index: int
    attempts: int
    worker: str
    output: Optional[bytes]
    failure: Optional[Failure]
    fallback: str = ""

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def text(self) -> str:
        return (self.output or b"").decode("utf-8", "replace")


@dataclass(frozen=True)
class PartialOutput:
    """A provisional piece of a running attempt's output (PARTIAL), yielded with ``partials=True``."""

    job: int
    index: int
    attempt: int
    worker: str
    data: bytes
    usage: int


@dataclass(frozen=True)
class Summary:
    """JOB-FINISHED: counts, usage, and why the job ended early (``reason``), if it did."""

    job: int
    succeeded: int
    failed: int
    cancelled: int
    usage: int
    reason: Optional[Failure]


def _seconds_ms(value: Optional[float]) -> Optional[int]:
    return None if value is None else max(0, int(value * 1000))


class Job:
    """A submitted job: iterate it (``async for``) for its results as they arrive.

    The SUBMIT is sent when iteration starts (or on ``await job.accepted()``). ``job.id`` is the
    coordinator's job number once accepted; ``job.summary`` the JOB-FINISHED once the iteration
    ends. Cancelling the task that iterates (or leaving the loop early) cancels the job.
    """

    def __init__(self, client: "Client", submit: p.Submit, partials: bool):
        self._client = client
        self._submit = submit
        self._partials = partials
        self._queue: asyncio.Queue = asyncio.Queue()
        self._accepted: Optional[asyncio.Future] = None
        self.id: Optional[int] = None
        self.subtasks: Optional[int] = None
        self.summary: Optional[Summary] = None
        self.notices: List[str] = []
        self._started = False
        self._abandoned = False

    async def accepted(self) -> int:
        """Sends the SUBMIT if not yet sent and waits for ACCEPTED; returns the job's number."""
        if not self._started:
            self._started = True
            self._accepted = asyncio.get_running_loop().create_future()
            await self._client._start(self)
        return await asyncio.shield(self._accepted)

    async def cancel(self, reason: str = "cancelled by the client") -> bool:
        """Sends CANCEL-JOB and waits for CANCEL-REPLY (every attempt stopped). False if not found."""
        job = await self.accepted()
        reply = await self._client._cancel(job, reason)
        return reply.found

    def __aiter__(self) -> AsyncIterator[Union[Result, PartialOutput]]:
        return self._iterate()

    async def _iterate(self):
        finished = False
        try:
            await self.accepted()
            while True:
                item = await self._queue.get()
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, Summary):
                    self.summary = item
                    finished = True
                    return
                yield item
        finally:
            if not finished:
                if self.id is not None:
                    self._client._cancel_nowait(self.id, "the client stopped waiting")
                else:  # the ACCEPTED is still on its way: cancel the job as soon as it comes
                    self._abandoned = True

    async def results(self) -> List[Result]:
        """Every result, sorted by index (waits for the job to finish)."""
        out = [r async for r in self if isinstance(r, Result)]
        return sorted(out, key=lambda r: r.index)

    # Called by the client's reader.

    def _deliver(self, item) -> None:
        self._queue.put_nowait(item)

    def _fail(self, error: BaseException) -> None:
        if self._accepted is not None and not self._accepted.done():
            self._accepted.set_exception(error)
        self._queue.put_nowait(error)


class Client:
    """A connection to a coordinator. Use it from one event loop; ``close()`` (or ``async with``) ends it."""

    def __init__(self, endpoint: str = "tcp://127.0.0.1:5555", *, client_id: Optional[str] = None,
                 server_key: Optional[str] = None, key: Optional[str] = None):
        self.endpoint = endpoint
        #: CURVE (``server_key``/``key`` or ``HERD_SERVER_KEY``/``HERD_KEY``: herd.keys); None: plain text.
        self._curve = curve_from(server_key, key)
        self.client_id = client_id or f"client-{secrets.token_hex(8)}"
        self._ctx: Optional[zmq.asyncio.Context] = None
        self._sock: Optional[zmq.asyncio.Socket] = None
        self._reader: Optional[asyncio.Task] = None
        self._ticker: Optional[asyncio.Task] = None
        self._tokens = itertools.count(1)
        self._by_token: Dict[int, object] = {}
        self._jobs: Dict[int, Job] = {}
        self._replies: Dict[int, asyncio.Future] = {}
        self._last_sent = 0.0
        self._last_heard = 0.0

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    def _ensure(self) -> None:
        if self._sock is not None:
            return
        self._ctx = zmq.asyncio.Context()
        sock = self._ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.ROUTING_ID, self.client_id.encode())
        sock.setsockopt(zmq.LINGER, 200)
        sock.setsockopt(zmq.MAXMSGSIZE, p.MAX_MESSAGE_BYTES)
        if self._curve:
            self._curve.apply(sock)
        sock.connect(self.endpoint)
        self._sock = sock
        self._last_heard = time.monotonic()
        self._reader = asyncio.create_task(self._read_loop())
        self._ticker = asyncio.create_task(self._tick_loop())

    def close(self) -> None:
        for task in (self._reader, self._ticker):
            if task:
                task.cancel()
        if self._sock is not None:
            self._sock.close()
            self._ctx.term()
            self._sock = None

    def _send(self, m: p.Message) -> None:
        self._ensure()
        self._last_sent = time.monotonic()
        self._sock.send_multipart(p.encode(m), copy=False)

    # MARK: Requests

    def submit(self, group: str, kind: str, payloads: Optional[Iterable[Union[bytes, str]]] = None, *,
               template: Optional[Union[bytes, str]] = None, count: Optional[int] = None,
               policy: str = "all", timeout: Optional[float] = None, budget: Optional[int] = None,
               partials: bool = False) -> Job:
        """A job of ``kind`` on ``group``: one subtask per payload, or ``count`` from a ``template``
        (``{index}`` is replaced). ``timeout`` in seconds per subtask; ``budget`` in usage units;
        ``policy`` is ``all``, ``fail-fast``, ``first`` or ``quorum:K``. With ``partials=True``
        the iteration also yields :class:`PartialOutput` items."""
        def as_bytes(v):
            return v.encode("utf-8") if isinstance(v, str) else bytes(v)

        if payloads is not None and template is not None:
            raise ValueError("give payloads or template, not both")
        if template is not None:
            source: Union[p.Template, p.PayloadList] = p.Template(as_bytes(template), int(count or 1))
        else:
            source = p.PayloadList(tuple(as_bytes(x) for x in (payloads or ())))
        message = p.Submit(0, group, kind, source, _seconds_ms(timeout), p.Policy.parse(policy), budget, None)
        return Job(self, message, partials)

    async def _start(self, job: Job) -> None:
        token = next(self._tokens)
        self._by_token[token] = job
        s = job._submit
        self._send(p.Submit(token, s.group, s.kind, s.payloads, s.timeout_ms, s.policy, s.budget, s.parent))

    async def _request(self, make) -> object:
        token = next(self._tokens)
        future = asyncio.get_running_loop().create_future()
        self._by_token[token] = future
        self._send(make(token))
        return await future

    async def _cancel(self, job: int, reason: str) -> p.CancelReply:
        return await self._request(lambda t: p.CancelJob(t, job, reason))

    def _cancel_nowait(self, job: int, reason: str) -> None:
        if self._sock is not None:
            self._send(p.CancelJob(next(self._tokens), job, reason))

    async def cancel(self, job: int, reason: str = "") -> p.CancelReply:
        """CANCEL-JOB for any job (not only this client's); waits for CANCEL-REPLY."""
        return await self._cancel(job, reason)

    async def status(self) -> p.StatusReply:
        return await self._request(lambda t: p.Status(t))

    async def drain(self, *, worker: Optional[str] = None, node: Optional[str] = None,
                    group: Optional[str] = None, grace: float = 10.0) -> p.DrainReply:
        """DRAIN-REQUEST: waits until every matching worker has left (DRAIN-REPLY)."""
        (tag, name), = [(i, n) for i, n in enumerate((worker, node, group)) if n is not None] or [(None, None)]
        if tag is None:
            raise ValueError("give one of worker, node or group")
        return await self._request(lambda t: p.DrainRequest(t, tag, name, int(grace * 1000)))

    # MARK: Receiving

    async def _read_loop(self) -> None:
        try:
            while True:
                frames = await self._sock.recv_multipart()
                self._last_heard = time.monotonic()
                try:
                    m = p.decode(frames)
                except p.ProtocolError as e:
                    log.warning("undecodable message from the coordinator: %s", e)
                    if not e.about_error:
                        self._send(p.Error(e.code, e.message))
                    continue
                self._received(m)
        except (asyncio.CancelledError, zmq.ZMQError):
            pass

    def _received(self, m: p.Message) -> None:
        if isinstance(m, p.Accepted):
            job = self._by_token.pop(m.token, None)
            if isinstance(job, Job):
                job.id, job.subtasks = m.job, m.subtasks
                self._jobs[m.job] = job
                if not job._accepted.done():
                    job._accepted.set_result(m.job)
                if job._abandoned:
                    self._cancel_nowait(m.job, "the client stopped waiting")
        elif isinstance(m, p.Rejected):
            job = self._by_token.pop(m.token, None)
            if isinstance(job, Job):
                job._fail(JobRejected(Failure.from_wire(m.failure)))
        elif isinstance(m, p.JobResults):
            for r in m.results:
                job = self._jobs.get(r.job)
                if job is not None:
                    failure = None if r.outcome.ok else Failure.from_wire(r.outcome.failure)
                    job._deliver(Result(r.job, r.index, r.attempts, r.worker, r.outcome.output, failure, r.fallback))
        elif isinstance(m, p.Partial):
            job = self._jobs.get(m.attempt.job)
            if job is not None and job._partials:
                a = m.attempt
                job._deliver(PartialOutput(a.job, a.index, a.attempt, m.worker, m.data, m.usage))
        elif isinstance(m, p.JobFinished):
            job = self._jobs.pop(m.job, None)
            if job is not None:
                reason = None if m.reason is None else Failure.from_wire(m.reason)
                job._deliver(Summary(m.job, m.succeeded, m.failed, m.cancelled, m.usage, reason))
        elif isinstance(m, p.JobNotice):
            job = self._jobs.get(m.job)
            if job is not None:
                job.notices.append(m.message)
            log.info("job %d: %s", m.job, m.message)
        elif isinstance(m, (p.CancelReply, p.StatusReply, p.DrainReply, p.BreakerReply, p.ResultsReply)):
            future = self._by_token.pop(m.token, None)
            if isinstance(future, asyncio.Future) and not future.done():
                future.set_result(m)
        elif isinstance(m, p.Heartbeat):
            pass
        elif isinstance(m, p.Error):
            log.warning("coordinator reported an error: %s: %s", m.code.name, m.message)
            if m.code in (p.ErrorCode.UNKNOWN_PEER, p.ErrorCode.UNSUPPORTED_VERSION):
                self._lose_everything(ConnectionLost(f"{m.code.name.lower()}: {m.message}"))
        else:
            log.warning("unexpected %s from the coordinator", p.command_of(m).wire_name)

    def _outstanding(self) -> bool:
        return bool(self._jobs or self._by_token)

    def _lose_everything(self, error: BaseException) -> None:
        for job in list(self._jobs.values()):
            job._fail(error)
        self._jobs.clear()
        for pending in list(self._by_token.values()):
            if isinstance(pending, Job):
                pending._fail(error)
            elif isinstance(pending, asyncio.Future) and not pending.done():
                pending.set_exception(error)
        self._by_token.clear()

    async def _tick_loop(self) -> None:
        try:
            while True:
                await asyncio.sleep(HEARTBEAT_S / 2)
                now = time.monotonic()
                if not self._outstanding():
                    self._last_heard = now
                    continue
                if now - self._last_heard > COORDINATOR_SILENCE_S:
                    self._lose_everything(ConnectionLost(
                        f"the coordinator at {self.endpoint} has been silent for {COORDINATOR_SILENCE_S:g} s"))
                elif now - self._last_sent >= HEARTBEAT_S * 0.75:
                    self._send(p.Heartbeat())
        except asyncio.CancelledError:
            pass
