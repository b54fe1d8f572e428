"""Herd for Python: workers and clients that speak docs/PROTOCOL.md natively.

>>> import herd
>>> worker = herd.Worker("tcp://127.0.0.1:5555", group="agents", capacity=8)
>>> @worker.handler("summarize")
... async def summarize(ctx: herd.Context) -> bytes:
...     await ctx.emit(b"partial")
...     return b"done"
"""

from .client import Client, Job, PartialOutput, Result, Summary
from .context import Context
from .keys import Curve, KeyFileError
from .errors import Cancelled, ConnectionLost, Failure, JobRejected, ProtocolError, RegistrationRefused
from .protocol import PROTOCOL_REVISION, Attempt, Category
from .worker import Worker

__version__ = "0.1.0"

__all__ = [
    "Worker", "Context", "Client", "Job", "Result", "PartialOutput", "Summary", "Failure", "Cancelled",
    "JobRejected", "RegistrationRefused", "ConnectionLost", "ProtocolError", "Category", "Attempt",
    "PROTOCOL_REVISION", "Curve", "KeyFileError",
]
