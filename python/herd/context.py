"""What a handler gets: its subtask, a way to stream output and report usage, and cancellation."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Optional

from .errors import Cancelled
from .protocol import Attempt

if TYPE_CHECKING:  # pragma: no cover
    from .worker import Worker


class Context:
    """One attempt of one subtask, as its handler sees it.

    * ``payload`` (bytes), ``kind``, ``job``, ``subtask`` (its index in the job), ``attempt``
      (1 for the first try).
    * ``deadline``: seconds left until the attempt's deadline, or ``None`` without one. The worker
      enforces it by cancelling the handler.
    * ``await ctx.emit(data)``: streams a partial output to the job's client (PARTIAL).
    * ``ctx.report_usage(n)``: adds ``n`` units (e.g. tokens) to the attempt's usage, counted against
      the job's budget; sent with the next partial output or with the result, each unit once.
    * ``ctx.cancelled`` / ``ctx.check()`` / ``ctx.wait_cancelled(timeout)``: the cancellation token,
      for synchronous handlers (an async handler is cancelled with ``asyncio.CancelledError``).
    """

    def __init__(self, worker: "Worker", attempt: Attempt, kind: str, payload: bytes,
                 deadline_ms: Optional[int], loop: asyncio.AbstractEventLoop):
        self._worker = worker
        self._attempt = attempt
        self.kind = kind
        self.payload = payload
        self._deadline_at = None if deadline_ms is None else time.monotonic() + deadline_ms / 1000
        self._loop = loop
        self._usage = 0
        self._usage_lock = threading.Lock()
        self._cancelled = threading.Event()
        self.worker_id = worker.worker_id
        self.group = worker.group

    @property
    def job(self) -> int:
        return self._attempt.job

    @property
    def subtask(self) -> int:
        return self._attempt.index

    @property
    def attempt(self) -> int:
        return self._attempt.attempt

    @property
    def attempt_ref(self) -> Attempt:
        return self._attempt

    @property
    def deadline(self) -> Optional[float]:
        """Seconds left until the attempt's deadline (never negative), or ``None``."""
        if self._deadline_at is None:
            return None
        return max(0.0, self._deadline_at - time.monotonic())

    # Usage and partial output

    def report_usage(self, units: int) -> None:
        """Adds ``units`` consumed units to the attempt's usage. Safe from any thread."""
        if units < 0:
            raise ValueError("usage must be >= 0")
        with self._usage_lock:
            self._usage += int(units)

    def _take_usage(self) -> int:
        with self._usage_lock:
            usage, self._usage = self._usage, 0
        return usage

    async def emit(self, data) -> None:
        """Streams ``data`` (bytes or str) as a partial output, with the usage reported since the last one."""
        self._emit(data)

    def emit_nowait(self, data) -> None:
        """:meth:`emit` for synchronous handlers (safe from any thread)."""
        if self._on_loop():
            self._emit(data)
        else:
            self._loop.call_soon_threadsafe(self._emit, data)

    def _emit(self, data) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._worker._partial(self, bytes(data))

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    # Cancellation token

    @property
    def cancelled(self) -> bool:
        """True once the attempt has been cancelled (by the coordinator, its deadline or a drain)."""
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raises :class:`herd.Cancelled` if the attempt has been cancelled."""
        if self._cancelled.is_set():
            raise Cancelled(f"attempt {self._attempt} was cancelled")

    def wait_cancelled(self, timeout: Optional[float] = None) -> bool:
        """Blocks up to ``timeout`` seconds until cancelled (a cancellable ``sleep``); True if cancelled."""
        return self._cancelled.wait(timeout)

    def __repr__(self) -> str:
        return f"<herd.Context {self._attempt} kind={self.kind!r} payload={len(self.payload)} bytes>"
