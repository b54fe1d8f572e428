"""The exceptions a handler raises and a caller catches."""

from __future__ import annotations

import asyncio
from typing import Optional, Union

from .protocol import Category, FailureInfo, ProtocolError

__all__ = ["Failure", "Cancelled", "JobRejected", "RegistrationRefused", "ConnectionLost", "ProtocolError"]


def _ms(seconds: Optional[float]) -> Optional[int]:
    if seconds is None:
        return None
    if seconds < 0:
        raise ValueError("retry_after must be >= 0 seconds")
    return int(seconds * 1000)


class Failure(Exception):
    """A classified failure (docs/PROTOCOL.md §6.3).

    Raise it from a handler to fail the attempt with a category the coordinator understands:
    ``raise herd.Failure("rate-limited", "slow down", retry_after=2.5)``. The coordinator decides
    from the category whether to retry (``validation``, ``auth``, ``not-found``, ``cancelled`` and
    ``budget-exhausted`` are never retried) and waits at least ``retry_after`` seconds before it does.

    A client sees the same type for a failed subtask (``result.failure``).
    """

    def __init__(self, category: Union[str, Category], message: str = "", retry_after: Optional[float] = None):
        self.category = category if isinstance(category, Category) else Category.from_name(category)
        self.message = message
        self.retry_after = retry_after
        self._retry_after_ms = _ms(retry_after)
        self.causes: tuple = ()
        super().__init__(f"{self.category.label}: {message}")

    def to_wire(self) -> FailureInfo:
        return FailureInfo(self.category, self.message, self._retry_after_ms, ())

    @classmethod
    def from_wire(cls, info: FailureInfo) -> "Failure":
        f = cls(info.category, info.message, None if info.retry_after_ms is None else info.retry_after_ms / 1000)
        f.causes = tuple(cls(c.category, c.message, None if c.retry_after_ms is None else c.retry_after_ms / 1000)
                         for c in info.causes)
        return f


class Cancelled(asyncio.CancelledError):
    """Raised by :meth:`herd.Context.check` in a synchronous handler whose attempt was cancelled.

    A subclass of :class:`asyncio.CancelledError`, so code that catches either sees it.
    """


class JobRejected(Exception):
    """The coordinator refused a submission (REJECTED); ``failure`` says why."""

    def __init__(self, failure: Failure):
        super().__init__(f"job rejected: {failure}")
        self.failure = failure


class RegistrationRefused(Exception):
    """The coordinator refused this worker's REGISTER (ERROR ``unexpected``)."""


class ConnectionLost(Exception):
    """The coordinator stopped answering, or said it does not know this client (its jobs are lost)."""
