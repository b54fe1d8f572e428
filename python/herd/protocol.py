"""The Herd wire protocol (docs/PROTOCOL.md): frames, field types and commands.

Written from the document, not from the Swift code. Encoding produces the header frame and,
for commands with fields, one body frame. Decoding is total: any input either decodes or raises
:class:`ProtocolError` whose message names the command, the byte offset and the field
(``results: truncated at byte 17 reading u64 usage of results[0]``), as §8.2 asks.

Checks are made in the order PROTOCOL.md §8.2 gives: the whole message's size (``tooLarge``),
then the header's magic (``malformed``), its version (``unsupportedVersion``), its length and its
command (``malformed``), the frame count, then the body field by field (a length over a field's
limit is ``tooLarge`` even when the bytes after it are truncated).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Optional, Sequence, Union

#: The protocol version byte of every header (§4.1).
VERSION = 1
#: The revision of docs/PROTOCOL.md this codec implements. Revision 7 appends ``incarnation``
#: (u64) to REGISTER; with a lower revision REGISTER is encoded without it. This is the one switch.
PROTOCOL_REVISION = 7
#: Whether REGISTER carries the incarnation field (revision 7 and later).
REGISTER_HAS_INCARNATION = PROTOCOL_REVISION >= 7

MAGIC = b"HD"
MAX_MESSAGE_BYTES = 64 << 20
MAX_NAME_BYTES = 255
MAX_TEXT_BYTES = 1 << 20
MAX_BREAKER_PATH_BYTES = 2 * MAX_NAME_BYTES + 1
MAX_CAUSES = 16
MAX_U32 = 0xFFFFFFFF
MAX_U64 = 0xFFFFFFFFFFFFFFFF


class Command(enum.IntEnum):
    REGISTER = 0x01
    RESULTS = 0x02
    DEREGISTER = 0x03
    CANCELLED = 0x04
    PARTIAL = 0x05
    WELCOME = 0x10
    DISPATCH = 0x11
    CANCEL = 0x12
    DRAIN = 0x14
    HEARTBEAT = 0x20
    SUBMIT = 0x30
    STATUS = 0x31
    CANCEL_JOB = 0x32
    DRAIN_REQUEST = 0x33
    BREAKER = 0x34
    RESULTS_REQUEST = 0x35
    ACCEPTED = 0x40
    REJECTED = 0x41
    JOB_RESULTS = 0x42
    JOB_FINISHED = 0x43
    STATUS_REPLY = 0x44
    CANCEL_REPLY = 0x45
    DRAIN_REPLY = 0x46
    JOB_NOTICE = 0x47
    BREAKER_REPLY = 0x48
    RESULTS_REPLY = 0x49
    ERROR = 0x7F

    @property
    def wire_name(self) -> str:
        return self.name.replace("_", "-")


RESERVED_COMMANDS = frozenset({0x13})
_NO_BODY = frozenset({Command.HEARTBEAT, Command.DEREGISTER})


class ErrorCode(enum.IntEnum):
    MALFORMED = 1
    UNSUPPORTED_VERSION = 2
    TOO_LARGE = 3
    UNKNOWN_PEER = 4
    UNEXPECTED = 5


class Category(enum.IntEnum):
    """Error categories (§6.3). ``Category.from_name("rate-limited")``; ``c.label`` is the name."""

    TRANSIENT = 1
    RATE_LIMITED = 2
    AUTH = 3
    VALIDATION = 4
    NOT_FOUND = 5
    SERVER = 6
    TIMEOUT = 7
    NETWORK = 8
    CANCELLED = 9
    UNKNOWN = 10
    BUDGET_EXHAUSTED = 11
    CIRCUIT_OPEN = 12

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_name(cls, name: str) -> "Category":
        try:
            return cls[name.upper().replace("-", "_")]
        except KeyError:
            names = ", ".join(c.label for c in cls)
            raise ValueError(f"unknown error category {name!r}; expected one of {names}") from None


class ProtocolError(Exception):
    """A message that could not be accepted (§8): its ERROR code and a message saying where."""

    def __init__(self, code: ErrorCode, message: str, *, about_error: bool = False):
        super().__init__(f"{code.name.lower()}: {message}")
        self.code = code
        self.message = message
        #: True when the rejected message was itself an ERROR: it must not be answered (§8.2).
        self.about_error = about_error


# MARK: - Structures


class Attempt(NamedTuple):
    """ATTEMPT (§6.1): ``j7/3#1``."""

    job: int
    index: int
    attempt: int

    def __str__(self) -> str:
        return f"j{self.job}/{self.index}#{self.attempt}"


@dataclass(frozen=True)
class Cause:
    category: Category
    message: str
    retry_after_ms: Optional[int] = None


@dataclass(frozen=True)
class FailureInfo:
    """FAILURE (§6.3) as it travels on the wire."""

    category: Category
    message: str
    retry_after_ms: Optional[int] = None
    causes: tuple = ()

    def __str__(self) -> str:
        return f"{self.category.label}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    """OUTCOME (§6.2): ``output`` on success, ``failure`` otherwise."""

    output: Optional[bytes] = None
    failure: Optional[FailureInfo] = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @staticmethod
    def success(output: bytes) -> "Outcome":
        return Outcome(output=bytes(output))

    @staticmethod
    def failed(failure: FailureInfo) -> "Outcome":
        return Outcome(failure=failure)


@dataclass(frozen=True)
class Template:
    template: bytes
    count: int


@dataclass(frozen=True)
class PayloadList:
    payloads: tuple


@dataclass(frozen=True)
class Policy:
    """Fan-out policy (§6.5): ``all``, ``fail-fast``, ``first`` or ``quorum`` with ``k``."""

    name: str = "all"
    k: int = 0

    @staticmethod
    def parse(text: str) -> "Policy":
        if text in ("all", "fail-fast", "first"):
            return Policy(text)
        if text.startswith("quorum:"):
            k = int(text.split(":", 1)[1])
            if k < 1:
                raise ValueError("a quorum must be at least 1")
            return Policy("quorum", k)
        raise ValueError(f"unknown policy {text!r}; expected all, fail-fast, first or quorum:K")

    def __str__(self) -> str:
        return f"quorum:{self.k}" if self.name == "quorum" else self.name


_POLICY_TAGS = {"all": 0, "fail-fast": 1, "first": 2, "quorum": 3}
_POLICY_NAMES = {v: k for k, v in _POLICY_TAGS.items()}

# MARK: - Messages


@dataclass(frozen=True)
class Register:
    worker_id: str
    group: str
    node: str
    capacity: int
    kinds: tuple
    holding: tuple = ()
    incarnation: int = 0


@dataclass(frozen=True)
class SubtaskResult:
    attempt: Attempt
    outcome: Outcome
    usage: int = 0


@dataclass(frozen=True)
class Results:
    results: tuple


@dataclass(frozen=True)
class Deregister:
    pass


@dataclass(frozen=True)
class Cancelled:
    attempts: tuple


@dataclass(frozen=True)
class Partial:
    attempt: Attempt
    worker: str
    data: bytes
    usage: int = 0


@dataclass(frozen=True)
class Welcome:
    coordinator_id: str
    heartbeat_ms: int
    liveness_ms: int


@dataclass(frozen=True)
class Assignment:
    attempt: Attempt
    kind: str
    payload: bytes
    deadline_ms: Optional[int]


@dataclass(frozen=True)
class Dispatch:
    assignments: tuple


@dataclass(frozen=True)
class Cancel:
    attempts: tuple


@dataclass(frozen=True)
class Drain:
    grace_ms: int


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class Submit:
    token: int
    group: str
    kind: str
    payloads: Union[Template, PayloadList]
    timeout_ms: Optional[int] = None
    policy: Policy = Policy()
    budget: Optional[int] = None
    parent: Optional[Attempt] = None


@dataclass(frozen=True)
class Status:
    token: int


@dataclass(frozen=True)
class CancelJob:
    token: int
    job: int
    reason: str = ""


@dataclass(frozen=True)
class DrainRequest:
    token: int
    target_tag: int  # 0 worker, 1 node, 2 group
    target: str
    grace_ms: int


@dataclass(frozen=True)
class Breaker:
    token: int
    action: int
    path: str


@dataclass(frozen=True)
class ResultsRequest:
    token: int
    job: int


@dataclass(frozen=True)
class Accepted:
    token: int
    job: int
    subtasks: int


@dataclass(frozen=True)
class Rejected:
    token: int
    failure: FailureInfo


@dataclass(frozen=True)
class JobResult:
    job: int
    index: int
    attempts: int
    worker: str
    outcome: Outcome
    fallback: str = ""


@dataclass(frozen=True)
class JobResults:
    results: tuple


@dataclass(frozen=True)
class JobFinished:
    job: int
    succeeded: int
    failed: int
    cancelled: int
    usage: int
    reason: Optional[FailureInfo] = None


@dataclass(frozen=True)
class WorkerStatus:
    id: str
    group: str
    node: str
    state: str
    in_flight: int
    capacity: int
    last_heard_ms: int
    cancelling: int
    overdue: int
    breaker: str


@dataclass(frozen=True)
class GroupStatus:
    name: str
    queued: int
    workers: int
    in_flight: int
    breaker: str
    fallback: str


@dataclass(frozen=True)
class JobStatus:
    job: int
    group: str
    kind: str
    total: int
    finished: int
    running: int
    cancelling: int
    parent: Optional[Attempt]


@dataclass(frozen=True)
class StatusReply:
    token: int
    coordinator_id: str
    workers: tuple
    groups: tuple
    jobs: tuple
    cluster_breaker: str
    retry_budget: tuple  # (firstAttempts, retries, available)
    errors: tuple  # ((Category, count), ...)
    recent_calls: int
    journal: str


@dataclass(frozen=True)
class CancelReply:
    token: int
    job: int
    found: bool
    cancelled: int


@dataclass(frozen=True)
class DrainedWorker:
    worker: str
    finished: int
    moved: tuple  # ((job, index, to), ...)


@dataclass(frozen=True)
class DrainReply:
    token: int
    workers: tuple


@dataclass(frozen=True)
class JobNotice:
    job: int
    message: str


@dataclass(frozen=True)
class BreakerReply:
    token: int
    ok: bool
    message: str


@dataclass(frozen=True)
class ResultsReply:
    token: int
    job: int
    state: int
    results: tuple
    summary: Optional[JobFinished]


@dataclass(frozen=True)
class Error:
    code: ErrorCode
    message: str


Message = Union[
    Register, Results, Deregister, Cancelled, Partial, Welcome, Dispatch, Cancel, Drain, Heartbeat,
    Submit, Status, CancelJob, DrainRequest, Breaker, ResultsRequest, Accepted, Rejected, JobResults,
    JobFinished, StatusReply, CancelReply, DrainReply, JobNotice, BreakerReply, ResultsReply, Error,
]

# MARK: - Writing


class _Writer:
    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list = []

    def u8(self, v: int) -> None:
        self.parts.append(struct.pack("<B", v))

    def u32(self, v: int) -> None:
        self.parts.append(struct.pack("<I", v))

    def u64(self, v: int) -> None:
        self.parts.append(struct.pack("<Q", min(max(int(v), 0), MAX_U64)))

    def boolean(self, v: bool) -> None:
        self.u8(1 if v else 0)

    def blob(self, b: bytes) -> None:
        self.u32(len(b))
        self.parts.append(bytes(b))

    def name(self, s: str) -> None:
        self.blob(s.encode("utf-8"))  # sent as is; an over-long name is the receiver's tooLarge

    def text(self, s: str, limit: int = MAX_TEXT_BYTES) -> None:
        data = s.encode("utf-8")
        if len(data) > limit:  # cut at a character boundary (§4.3)
            data = data[:limit].decode("utf-8", "ignore").encode("utf-8")
        self.blob(data)

    def ms(self, v: float) -> None:
        self.u64(max(0, int(v)))

    def opt_ms(self, v: Optional[int]) -> None:
        if v is None:
            self.u8(0)
        else:
            self.u8(1)
            self.ms(v)

    def opt_u64(self, v: Optional[int]) -> None:
        if v is None:
            self.u8(0)
        else:
            self.u8(1)
            self.u64(v)

    def attempt(self, a: Attempt) -> None:
        self.parts.append(struct.pack("<QII", a.job, a.index, a.attempt))

    def attempts(self, items: Sequence[Attempt]) -> None:
        self.u32(len(items))
        for a in items:
            self.attempt(a)

    def failure(self, f: FailureInfo) -> None:
        self.u8(int(f.category))
        self.text(f.message)
        self.opt_ms(f.retry_after_ms)
        causes = tuple(f.causes)[:MAX_CAUSES]
        self.u8(len(causes))
        for c in causes:
            self.u8(int(c.category))
            self.text(c.message)
            self.opt_ms(c.retry_after_ms)

    def outcome(self, o: Outcome) -> None:
        if o.failure is None:
            self.u8(0)
            self.blob(o.output or b"")
        else:
            self.u8(1)
            self.failure(o.failure)

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def _body(m: Message) -> Optional[bytes]:
    w = _Writer()
    if isinstance(m, Register):
        w.name(m.worker_id)
        w.name(m.group)
        w.name(m.node)
        w.u32(m.capacity)
        w.u32(len(m.kinds))
        for k in m.kinds:
            w.name(k)
        w.attempts(m.holding)
        if REGISTER_HAS_INCARNATION:
            w.u64(m.incarnation)
    elif isinstance(m, Results):
        w.u32(len(m.results))
        for r in m.results:
            w.attempt(r.attempt)
            w.outcome(r.outcome)
            w.u64(r.usage)
    elif isinstance(m, (Deregister, Heartbeat)):
        return None
    elif isinstance(m, (Cancelled, Cancel)):
        w.attempts(m.attempts)
    elif isinstance(m, Partial):
        w.attempt(m.attempt)
        w.name(m.worker)
        w.blob(m.data)
        w.u64(m.usage)
    elif isinstance(m, Welcome):
        w.text(m.coordinator_id)
        w.ms(m.heartbeat_ms)
        w.ms(m.liveness_ms)
    elif isinstance(m, Dispatch):
        w.u32(len(m.assignments))
        for a in m.assignments:
            w.attempt(a.attempt)
            w.name(a.kind)
            w.blob(a.payload)
            w.opt_ms(a.deadline_ms)
    elif isinstance(m, Drain):
        w.ms(m.grace_ms)
    elif isinstance(m, Submit):
        w.u64(m.token)
        w.name(m.group)
        w.name(m.kind)
        if isinstance(m.payloads, Template):
            w.u8(0)
            w.blob(m.payloads.template)
            w.u32(m.payloads.count)
        else:
            w.u8(1)
            w.u32(len(m.payloads.payloads))
            for p in m.payloads.payloads:
                w.blob(p)
        w.opt_ms(m.timeout_ms)
        w.u8(_POLICY_TAGS[m.policy.name])
        if m.policy.name == "quorum":
            w.u32(m.policy.k)
        w.opt_u64(m.budget)
        if m.parent is None:
            w.u8(0)
        else:
            w.u8(1)
            w.attempt(m.parent)
    elif isinstance(m, Status):
        w.u64(m.token)
    elif isinstance(m, CancelJob):
        w.u64(m.token)
        w.u64(m.job)
        w.text(m.reason)
    elif isinstance(m, DrainRequest):
        w.u64(m.token)
        w.u8(m.target_tag)
        w.name(m.target)
        w.ms(m.grace_ms)
    elif isinstance(m, Breaker):
        w.u64(m.token)
        w.u8(m.action)
        w.text(m.path, MAX_BREAKER_PATH_BYTES)
    elif isinstance(m, ResultsRequest):
        w.u64(m.token)
        w.u64(m.job)
    elif isinstance(m, Accepted):
        w.u64(m.token)
        w.u64(m.job)
        w.u32(m.subtasks)
    elif isinstance(m, Rejected):
        w.u64(m.token)
        w.failure(m.failure)
    elif isinstance(m, JobResults):
        w.u32(len(m.results))
        for r in m.results:
            _write_job_result(w, r)
    elif isinstance(m, JobFinished):
        _write_job_finished(w, m)
    elif isinstance(m, CancelReply):
        w.u64(m.token)
        w.u64(m.job)
        w.boolean(m.found)
        w.u32(m.cancelled)
    elif isinstance(m, JobNotice):
        w.u64(m.job)
        w.text(m.message)
    elif isinstance(m, BreakerReply):
        w.u64(m.token)
        w.boolean(m.ok)
        w.text(m.message)
    elif isinstance(m, Error):
        w.u8(int(m.code))
        w.text(m.message)
    else:
        raise TypeError(f"cannot encode {type(m).__name__}")
    return w.bytes()


def _write_job_result(w: _Writer, r: JobResult) -> None:
    w.u64(r.job)
    w.u32(r.index)
    w.u32(r.attempts)
    w.name(r.worker)
    w.outcome(r.outcome)
    w.name(r.fallback)


def _write_job_finished(w: _Writer, m: JobFinished) -> None:
    w.u64(m.job)
    w.u32(m.succeeded)
    w.u32(m.failed)
    w.u32(m.cancelled)
    w.u64(m.usage)
    if m.reason is None:
        w.u8(0)
    else:
        w.u8(1)
        w.failure(m.reason)


_COMMAND_OF = {
    Register: Command.REGISTER, Results: Command.RESULTS, Deregister: Command.DEREGISTER,
    Cancelled: Command.CANCELLED, Partial: Command.PARTIAL, Welcome: Command.WELCOME,
    Dispatch: Command.DISPATCH, Cancel: Command.CANCEL, Drain: Command.DRAIN,
    Heartbeat: Command.HEARTBEAT, Submit: Command.SUBMIT, Status: Command.STATUS,
    CancelJob: Command.CANCEL_JOB, DrainRequest: Command.DRAIN_REQUEST, Breaker: Command.BREAKER,
    ResultsRequest: Command.RESULTS_REQUEST, Accepted: Command.ACCEPTED, Rejected: Command.REJECTED,
    JobResults: Command.JOB_RESULTS, JobFinished: Command.JOB_FINISHED,
    StatusReply: Command.STATUS_REPLY, CancelReply: Command.CANCEL_REPLY,
    DrainReply: Command.DRAIN_REPLY, JobNotice: Command.JOB_NOTICE,
    BreakerReply: Command.BREAKER_REPLY, ResultsReply: Command.RESULTS_REPLY, Error: Command.ERROR,
}


def command_of(m: Message) -> Command:
    return _COMMAND_OF[type(m)]


def encode(m: Message) -> list:
    """The frames of ``m``: the 4-byte header, then the body unless the command has no fields."""
    command = command_of(m)
    header = bytes((MAGIC[0], MAGIC[1], VERSION, int(command)))
    body = _body(m)
    return [header] if body is None else [header, body]


# MARK: - Reading


class _Reader:
    __slots__ = ("buf", "off", "command", "where")

    def __init__(self, buf: bytes, command: str):
        self.buf = memoryview(buf)
        self.off = 0
        self.command = command
        self.where = ""

    def malformed(self, what: str) -> ProtocolError:
        return ProtocolError(ErrorCode.MALFORMED, f"{self.command}: {what}{self.where}")

    def too_large(self, what: str) -> ProtocolError:
        return ProtocolError(ErrorCode.TOO_LARGE, f"{self.command}: {what}{self.where}")

    @property
    def remaining(self) -> int:
        return len(self.buf) - self.off

    def _need(self, n: int, typ: str, fld: str) -> None:
        if self.remaining < n:
            raise self.malformed(f"truncated at byte {self.off} reading {typ} {fld}")

    def u8(self, fld: str) -> int:
        self._need(1, "u8", fld)
        v = self.buf[self.off]
        self.off += 1
        return v

    def u32(self, fld: str) -> int:
        self._need(4, "u32", fld)
        (v,) = struct.unpack_from("<I", self.buf, self.off)
        self.off += 4
        return v

    def u64(self, fld: str) -> int:
        self._need(8, "u64", fld)
        (v,) = struct.unpack_from("<Q", self.buf, self.off)
        self.off += 8
        return v

    def boolean(self, fld: str) -> bool:
        start = self.off
        v = self.u8(fld)
        if v > 1:
            raise self.malformed(f"bool {fld} at byte {start} is {v}; expected 0 or 1")
        return v == 1

    def flag(self, fld: str) -> bool:
        start = self.off
        v = self.u8(f"presence flag of {fld}")
        if v > 1:
            raise self.malformed(f"presence flag of {fld} at byte {start} is {v}; expected 0 or 1")
        return v == 1

    def _span(self, typ: str, fld: str, limit: int) -> bytes:
        start = self.off
        n = self.u32(fld)
        if n > limit:
            raise self.too_large(f"{typ} {fld} of {n} bytes at byte {start} exceeds the limit of {limit}")
        if n > self.remaining:
            raise self.malformed(
                f"truncated at byte {start} reading {typ} {fld}: length {n}, only {self.remaining} left"
            )
        data = bytes(self.buf[self.off:self.off + n])
        self.off += n
        return data

    def blob(self, fld: str) -> bytes:
        return self._span("bytes", fld, MAX_U32)

    def _string(self, typ: str, fld: str, limit: int) -> str:
        start = self.off
        data = self._span(typ, fld, limit)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise self.malformed(f"{typ} {fld} at byte {start} is not valid UTF-8 ({e.reason})") from None

    def name(self, fld: str) -> str:
        return self._string("name", fld, MAX_NAME_BYTES)

    def text(self, fld: str, limit: int = MAX_TEXT_BYTES) -> str:
        return self._string("text", fld, limit)

    def opt_u64(self, fld: str) -> Optional[int]:
        return self.u64(fld) if self.flag(fld) else None

    def count(self, fld: str, min_size: int) -> int:
        start = self.off
        n = self.u32(f"count of {fld}")
        if min_size > 0 and n > self.remaining // min_size:
            raise self.malformed(
                f"count {n} of {fld} at byte {start} exceeds what the {self.remaining} bytes left could hold"
            )
        return n

    def attempt(self) -> Attempt:
        self._need(16, "attempt", "")
        job, index, attempt = struct.unpack_from("<QII", self.buf, self.off)
        self.off += 16
        return Attempt(job, index, attempt)

    def attempts(self, fld: str) -> tuple:
        n = self.count(fld, 16)
        out = []
        for i in range(n):
            self.where = f" of {fld}[{i}]"
            out.append(self.attempt())
        self.where = ""
        return tuple(out)

    def category(self, fld: str = "category") -> Category:
        start = self.off
        v = self.u8(fld)
        try:
            return Category(v)
        except ValueError:
            raise self.malformed(f"unknown error category {v} at byte {start}") from None

    def failure(self) -> FailureInfo:
        category = self.category()
        message = self.text("message")
        retry = self.opt_u64("retryAfter")
        start = self.off
        n = self.u8("cause count")
        if n > MAX_CAUSES:
            raise self.malformed(f"{n} causes at byte {start}; at most {MAX_CAUSES}")
        causes = []
        for _ in range(n):
            causes.append(Cause(self.category(), self.text("message"), self.opt_u64("retryAfter")))
        return FailureInfo(category, message, retry, tuple(causes))

    def outcome(self) -> Outcome:
        start = self.off
        tag = self.u8("outcome tag")
        if tag == 0:
            return Outcome(output=self.blob("output"))
        if tag == 1:
            return Outcome(failure=self.failure())
        raise self.malformed(f"unknown outcome tag {tag} at byte {start}")

    def job_result(self) -> JobResult:
        return JobResult(
            self.u64("job"), self.u32("index"), self.u32("attempts"), self.name("worker"), self.outcome(),
            self.name("fallback"),
        )

    def job_finished(self) -> JobFinished:
        job = self.u64("job")
        s, f, c = self.u32("succeeded"), self.u32("failed"), self.u32("cancelled")
        usage = self.u64("usage")
        reason = self.failure() if self.flag("reason") else None
        return JobFinished(job, s, f, c, usage, reason)


def _read_body(r: _Reader, command: Command) -> Message:
    if command == Command.REGISTER:
        wid, group, node, cap = r.name("workerID"), r.name("group"), r.name("node"), r.u32("capacity")
        n = r.count("kinds", 4)
        kinds = []
        for i in range(n):
            r.where = f" of kinds[{i}]"
            kinds.append(r.name("kind"))
        r.where = ""
        holding = r.attempts("holding")
        inc = r.u64("incarnation") if REGISTER_HAS_INCARNATION else 0
        return Register(wid, group, node, cap, tuple(kinds), holding, inc)
    if command == Command.RESULTS:
        n = r.count("results", 29)
        out = []
        for i in range(n):
            r.where = f" of results[{i}]"
            out.append(SubtaskResult(r.attempt(), r.outcome(), r.u64("usage")))
        r.where = ""
        return Results(tuple(out))
    if command == Command.DEREGISTER:
        return Deregister()
    if command == Command.HEARTBEAT:
        return Heartbeat()
    if command == Command.CANCELLED:
        return Cancelled(r.attempts("attempts"))
    if command == Command.CANCEL:
        return Cancel(r.attempts("attempts"))
    if command == Command.PARTIAL:
        return Partial(r.attempt(), r.name("worker"), r.blob("data"), r.u64("usage"))
    if command == Command.WELCOME:
        return Welcome(r.text("coordinatorID"), r.u64("heartbeatInterval"), r.u64("livenessWindow"))
    if command == Command.DISPATCH:
        n = r.count("assignments", 25)
        out = []
        for i in range(n):
            r.where = f" of assignments[{i}]"
            out.append(Assignment(r.attempt(), r.name("kind"), r.blob("payload"), r.opt_u64("deadline")))
        r.where = ""
        return Dispatch(tuple(out))
    if command == Command.DRAIN:
        return Drain(r.u64("grace"))
    if command == Command.SUBMIT:
        token, group, kind = r.u64("token"), r.name("group"), r.name("kind")
        start = r.off
        tag = r.u8("payloads tag")
        if tag == 0:
            payloads: Union[Template, PayloadList] = Template(r.blob("template"), r.u32("count"))
        elif tag == 1:
            n = r.count("payloads", 4)
            payloads = PayloadList(tuple(r.blob("payload") for _ in range(n)))
        else:
            raise r.malformed(f"unknown payloads tag {tag} at byte {start}")
        timeout = r.opt_u64("timeout")
        start = r.off
        ptag = r.u8("policy tag")
        if ptag not in _POLICY_NAMES:
            raise r.malformed(f"unknown policy tag {ptag} at byte {start}")
        k = 0
        if ptag == 3:
            start = r.off
            k = r.u32("quorum")
            if k == 0:
                raise r.malformed(f"quorum of 0 at byte {start}; a quorum must be at least 1")
        budget = r.opt_u64("budget")
        parent = r.attempt() if r.flag("parent") else None
        return Submit(token, group, kind, payloads, timeout, Policy(_POLICY_NAMES[ptag], k), budget, parent)
    if command == Command.STATUS:
        return Status(r.u64("token"))
    if command == Command.CANCEL_JOB:
        return CancelJob(r.u64("token"), r.u64("job"), r.text("reason"))
    if command == Command.DRAIN_REQUEST:
        token = r.u64("token")
        start = r.off
        tag = r.u8("target tag")
        if tag > 2:
            raise r.malformed(f"unknown drain target tag {tag} at byte {start}")
        return DrainRequest(token, tag, r.name("target"), r.u64("grace"))
    if command == Command.BREAKER:
        token = r.u64("token")
        start = r.off
        action = r.u8("action")
        if action > 3:
            raise r.malformed(f"unknown breaker action {action} at byte {start}")
        return Breaker(token, action, r.text("path", MAX_BREAKER_PATH_BYTES))
    if command == Command.RESULTS_REQUEST:
        return ResultsRequest(r.u64("token"), r.u64("job"))
    if command == Command.ACCEPTED:
        return Accepted(r.u64("token"), r.u64("job"), r.u32("subtasks"))
    if command == Command.REJECTED:
        return Rejected(r.u64("token"), r.failure())
    if command == Command.JOB_RESULTS:
        n = r.count("results", 29)
        out = []
        for i in range(n):
            r.where = f" of results[{i}]"
            out.append(r.job_result())
        r.where = ""
        return JobResults(tuple(out))
    if command == Command.JOB_FINISHED:
        return r.job_finished()
    if command == Command.STATUS_REPLY:
        return _read_status_reply(r)
    if command == Command.CANCEL_REPLY:
        return CancelReply(r.u64("token"), r.u64("job"), r.boolean("found"), r.u32("cancelled"))
    if command == Command.DRAIN_REPLY:
        token = r.u64("token")
        n = r.count("workers", 12)
        workers = []
        for i in range(n):
            r.where = f" of workers[{i}]"
            worker, finished = r.name("worker"), r.u32("finished")
            m = r.count("moved", 16)
            moved = tuple((r.u64("job"), r.u32("index"), r.name("to")) for _ in range(m))
            workers.append(DrainedWorker(worker, finished, moved))
        r.where = ""
        return DrainReply(token, tuple(workers))
    if command == Command.JOB_NOTICE:
        return JobNotice(r.u64("job"), r.text("message"))
    if command == Command.BREAKER_REPLY:
        return BreakerReply(r.u64("token"), r.boolean("ok"), r.text("message"))
    if command == Command.RESULTS_REPLY:
        token, job = r.u64("token"), r.u64("job")
        start = r.off
        state = r.u8("state")
        if state > 2:
            raise r.malformed(f"unknown results state {state} at byte {start}")
        n = r.count("results", 29)
        results = tuple(r.job_result() for _ in range(n))
        summary = r.job_finished() if r.flag("summary") else None
        return ResultsReply(token, job, state, results, summary)
    if command == Command.ERROR:
        start = r.off
        code = r.u8("code")
        try:
            ecode = ErrorCode(code)
        except ValueError:
            raise r.malformed(f"unknown error code {code} at byte {start}") from None
        return Error(ecode, r.text("message"))
    raise r.malformed(f"no decoder for {command.wire_name}")  # pragma: no cover


def _read_status_reply(r: _Reader) -> StatusReply:
    token, cid = r.u64("token"), r.text("coordinatorID")
    workers = []
    for i in range(r.count("workers", 44)):
        r.where = f" of workers[{i}]"
        workers.append(WorkerStatus(
            r.name("id"), r.name("group"), r.name("node"), r.text("state"), r.u32("inFlight"),
            r.u32("capacity"), r.u64("lastHeard"), r.u32("cancelling"), r.u32("overdue"), r.text("breaker"),
        ))
    groups = []
    for i in range(r.count("groups", 24)):
        r.where = f" of groups[{i}]"
        groups.append(GroupStatus(
            r.name("name"), r.u32("queued"), r.u32("workers"), r.u32("inFlight"), r.text("breaker"),
            r.name("fallback"),
        ))
    jobs = []
    for i in range(r.count("jobs", 33)):
        r.where = f" of jobs[{i}]"
        jobs.append(JobStatus(
            r.u64("job"), r.name("group"), r.name("kind"), r.u32("total"), r.u32("finished"),
            r.u32("running"), r.u32("cancelling"), r.attempt() if r.flag("parent") else None,
        ))
    r.where = ""
    breaker = r.text("clusterBreaker")
    budget = (r.u32("firstAttempts"), r.u32("retries"), r.u32("available"))
    errors = []
    for i in range(r.count("errors", 5)):
        r.where = f" of errors[{i}]"
        errors.append((r.category(), r.u32("count")))
    r.where = ""
    recent = r.u32("recentCalls")
    journal = r.text("journal")
    return StatusReply(token, cid, tuple(workers), tuple(groups), tuple(jobs), breaker, budget, tuple(errors),
                       recent, journal)


def decode(frames: Sequence[bytes], max_bytes: int = MAX_MESSAGE_BYTES) -> Message:
    """Decodes one message's frames (no routing-id frame). Raises :class:`ProtocolError`."""
    if not frames:
        raise ProtocolError(ErrorCode.MALFORMED, "no frames; expected a 4-byte header frame and a body frame")
    header = bytes(frames[0])
    about_error = len(header) == 4 and header[3] == Command.ERROR
    try:
        return _decode(frames, header, max_bytes)
    except ProtocolError as e:
        e.about_error = about_error
        raise


def _decode(frames: Sequence[bytes], header: bytes, max_bytes: int) -> Message:
    total = sum(len(f) for f in frames)
    if total > max_bytes:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message of {total} bytes exceeds the limit of {max_bytes} bytes")
    if len(header) >= 2 and header[:2] != MAGIC:
        raise ProtocolError(
            ErrorCode.MALFORMED, f"bad magic 0x{header[0]:02x} 0x{header[1]:02x} in header; expected 0x48 0x44 (\"HD\")"
        )
    if len(header) >= 3 and header[2] != VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION, f"peer speaks protocol version {header[2]}; this side speaks {VERSION}"
        )
    if len(header) != 4:
        raise ProtocolError(ErrorCode.MALFORMED, f"header frame is {len(header)} bytes; expected 4")
    try:
        command = Command(header[3])
    except ValueError:
        reserved = " (reserved for a later protocol revision)" if header[3] in RESERVED_COMMANDS else ""
        raise ProtocolError(ErrorCode.MALFORMED, f"unknown command 0x{header[3]:02x}{reserved}") from None
    label = command.wire_name
    if len(frames) > 2:
        raise ProtocolError(
            ErrorCode.MALFORMED, f"{label}: {len(frames)} frames; expected a header frame and at most one body frame"
        )
    if len(frames) == 1 and command not in _NO_BODY:
        raise ProtocolError(ErrorCode.MALFORMED, f"{label}: missing body frame")
    body = bytes(frames[1]) if len(frames) == 2 else b""
    r = _Reader(body, label)
    message = _read_body(r, command)
    if r.remaining:
        raise ProtocolError(
            ErrorCode.MALFORMED, f"{label}: {r.remaining} trailing bytes after the last field, at byte {r.off}"
        )
    return message
