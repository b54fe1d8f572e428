"""The Python worker against a scripted coordinator (a ROUTER socket in the test): what the real
coordinator never sends — malformed frames, duplicates, undeclared kinds — and reconnects."""

import subprocess
import sys
import time

import pytest
import zmq

from herd import protocol as p
from conftest import Proc, WORKER_SCRIPT


class FakeCoordinator:
    def __init__(self):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self.sock.setsockopt(zmq.LINGER, 0)
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.peer = None

    def recv(self, timeout=5.0, skip_heartbeats=True):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                raise AssertionError(f"nothing received within {timeout}s")
            frames = self.sock.recv_multipart()
            self.peer = frames[0]
            m = p.decode(frames[1:])
            if skip_heartbeats and isinstance(m, p.Heartbeat):
                continue
            return m

    def expect(self, kind, timeout=5.0):
        m = self.recv(timeout)
        assert isinstance(m, kind), m
        return m

    def quiet(self, seconds, heartbeats=True):
        """Asserts that nothing (but heartbeats, if allowed) arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.sock.poll(int(left * 1000)):
                m = p.decode(self.sock.recv_multipart()[1:])
                assert heartbeats and isinstance(m, p.Heartbeat), f"unexpected {m}"

    def send_raw(self, *frames):
        self.sock.send_multipart([self.peer, *frames])

    def send(self, m):
        self.send_raw(*p.encode(m))

    def close(self):
        self.sock.close()
        self.ctx.term()


@pytest.fixture
def fake():
    f = FakeCoordinator()
    procs = []
    f.start_worker = lambda **kw: procs.append(Proc(
        [sys.executable, WORKER_SCRIPT, f.endpoint, "--id", "py-fake", "--capacity", "4"], "py-fake")) or procs[-1]
    try:
        yield f
    finally:
        for proc in procs:
            proc.kill()
        f.close()


def register(fake, heartbeat_ms=100, liveness_ms=100_000):
    reg = fake.expect(p.Register)
    fake.send(p.Welcome("fake-1", heartbeat_ms, liveness_ms))
    return reg


def test_register_fields_and_malformed_frames_are_answered_not_fatal(fake):
    worker = fake.start_worker()
    reg = register(fake)
    assert (reg.worker_id, reg.group, reg.capacity, reg.holding) == ("py-fake", "agents", 4, ())
    assert set(reg.kinds) >= {"echo", "sleep", "stream"}
    if p.REGISTER_HAS_INCARNATION:
        assert reg.incarnation != 0
    bad = [
        ([b"XD\x01\x11", b""], p.ErrorCode.MALFORMED),
        ([b"HD\x05\x11", b""], p.ErrorCode.UNSUPPORTED_VERSION),
        ([b"HD\x01\x13", b""], p.ErrorCode.MALFORMED),  # reserved code
        ([b"HD\x01\x11", b"\x01\x00\x00\x00\x07"], p.ErrorCode.MALFORMED),  # truncated DISPATCH
        ([b"HD\x01\x12", b"\x00\x00\x00\x00", b"extra"], p.ErrorCode.MALFORMED),  # three frames
        ([b"HD\x01\x11", bytes.fromhex("01000000" + "00" * 16 + "00010000") + b"\x00" * 300], p.ErrorCode.TOO_LARGE),
    ]
    for frames, code in bad:
        fake.send_raw(*frames)
        error = fake.expect(p.Error)
        assert error.code == code, (frames, error)
    # An ERROR, even one that cannot be decoded, is never answered (no ping-pong, §8.2).
    fake.send_raw(b"HD\x01\x7f", b"\x63\x00\x00\x00\x00")
    fake.send(p.Error(p.ErrorCode.UNEXPECTED, "just so you know"))
    fake.quiet(0.3)
    # Still working.
    fake.send(p.Dispatch((p.Assignment(p.Attempt(1, 0, 1), "echo", b"hi", None),)))
    results = fake.expect(p.Results)
    assert results.results[0].outcome == p.Outcome.success(b"hi")
    assert worker.proc.poll() is None


def test_undeclared_kind_duplicate_dispatch_and_cancel_of_unknown_attempt(fake):
    fake.start_worker()
    register(fake)
    a = p.Assignment(p.Attempt(2, 0, 1), "sleep", b"200", None)
    fake.send(p.Dispatch((a, p.Assignment(p.Attempt(2, 1, 1), "translate", b"x", None))))
    fake.send(p.Dispatch((a,)))  # a duplicate: ignored, reported once
    first = fake.expect(p.Results).results
    assert [(r.attempt, r.outcome.failure.category) for r in first] == [(p.Attempt(2, 1, 1), p.Category.VALIDATION)]
    assert "does not run kind 'translate'" in first[0].outcome.failure.message
    fake.send(p.Cancel((p.Attempt(9, 9, 9),)))  # never held: confirmed at once
    assert fake.expect(p.Cancelled).attempts == (p.Attempt(9, 9, 9),)
    second = fake.expect(p.Results).results
    assert [r.attempt for r in second] == [p.Attempt(2, 0, 1)] and second[0].outcome.output == b"slept 200"
    fake.quiet(0.4)  # and nothing more for the duplicate


def test_reconnect_lists_running_and_unsent_attempts_in_holding(fake):
    worker = fake.start_worker()
    first = register(fake, heartbeat_ms=50, liveness_ms=300)
    fake.send(p.Dispatch((p.Assignment(p.Attempt(3, 0, 1), "sleep", b"60000", None),)))
    worker.wait_event("started")
    # Go silent: the worker declares the coordinator lost and registers again, holding the attempt.
    deadline = time.monotonic() + 5
    while True:
        m = fake.recv(timeout=deadline - time.monotonic())
        if isinstance(m, p.Register):
            break
    assert m.holding == (p.Attempt(3, 0, 1),)
    assert m.incarnation == first.incarnation  # the same process: the same incarnation (revision 7)
    fake.send(p.Welcome("fake-1", 50, 300))
    # A CANCEL for the held attempt stops it, confirmed once the handler returned.
    fake.send(p.Cancel((p.Attempt(3, 0, 1),)))
    assert fake.expect(p.Cancelled).attempts == (p.Attempt(3, 0, 1),)
    worker.wait_event("handler-cancelled")


def test_drain_from_the_coordinator_gives_back_at_the_end_of_grace_then_deregisters(fake):
    worker = fake.start_worker()
    register(fake)
    fake.send(p.Dispatch((p.Assignment(p.Attempt(4, 0, 1), "sleep", b"60000", None),)))
    worker.wait_event("started")
    fake.send(p.Drain(100))
    fake.send(p.Dispatch((p.Assignment(p.Attempt(4, 1, 1), "echo", b"late", None),)))  # crossed the drain
    got = []
    while not isinstance(m := fake.recv(), p.Deregister):
        assert isinstance(m, p.Cancelled), m
        got.extend(m.attempts)
    assert sorted(got) == [p.Attempt(4, 0, 1), p.Attempt(4, 1, 1)]  # given back, both
    assert worker.wait(10) == 0


def test_a_refused_registration_stops_the_worker_with_the_reason(fake):
    worker = fake.start_worker()
    fake.expect(p.Register)
    fake.quiet(0.6, heartbeats=False)  # unregistered: no HEARTBEAT, no REGISTER before a second has passed
    fake.send(p.Error(p.ErrorCode.UNEXPECTED, "registration refused: capacity must be 1...100000, got 0"))
    assert worker.wait(10) != 0
    assert any("RegistrationRefused" in line and "capacity must be" in line for line in worker.lines)


def test_unknown_peer_while_registered_registers_again_once(fake):
    fake.start_worker()
    register(fake)
    fake.send(p.Error(p.ErrorCode.UNKNOWN_PEER, "declared dead"))
    again = fake.expect(p.Register)
    # More unknownPeer while that REGISTER is unanswered: no REGISTER storm.
    for _ in range(5):
        fake.send(p.Error(p.ErrorCode.UNKNOWN_PEER, "still unknown"))
    fake.quiet(0.5)
    fake.send(p.Welcome("fake-1", 100, 100_000))
    assert again.worker_id == "py-fake"


def test_a_cancel_right_behind_its_dispatch_is_confirmed_not_reported(fake):
    fake.start_worker()
    register(fake)
    attempt = p.Attempt(5, 0, 1)
    fake.send(p.Dispatch((p.Assignment(attempt, "sleep", b"60000", None),)))
    fake.send(p.Cancel((attempt,)))
    assert fake.expect(p.Cancelled).attempts == (attempt,)
    fake.quiet(0.3)  # no RESULTS for it, and no second confirmation
