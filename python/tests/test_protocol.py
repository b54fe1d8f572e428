"""The codec against the worked examples of docs/PROTOCOL.md §11, byte for byte, and its errors."""

import pytest

from herd import protocol as p


def hexb(text):
    return bytes.fromhex("".join(text.split()))


def test_heartbeat_has_no_body():
    assert p.encode(p.Heartbeat()) == [hexb("48 44 01 20")]
    assert isinstance(p.decode([hexb("48 44 01 20"), b""]), p.Heartbeat)


def test_dispatch_example():
    body = hexb("01000000 0700000000000000 03000000 01000000 04000000 6563686f 02000000 6869 01 3075000000000000")
    m = p.decode([hexb("48 44 01 11"), body])
    assert m == p.Dispatch((p.Assignment(p.Attempt(7, 3, 1), "echo", b"hi", 30000),))
    assert p.encode(m)[1] == body


def test_results_example_and_failure():
    body = hexb("01000000 0700000000000000 03000000 01000000 00 02000000 4849 0200000000000000")
    m = p.Results((p.SubtaskResult(p.Attempt(7, 3, 1), p.Outcome.success(b"HI"), 2),))
    assert p.encode(m) == [hexb("48 44 01 02"), body]
    failure = p.FailureInfo(p.Category.RATE_LIMITED, "slow", 1500)
    encoded = p.encode(p.Results((p.SubtaskResult(p.Attempt(7, 3, 1), p.Outcome.failed(failure), 0),)))[1]
    assert hexb("01 02 04000000 736c6f77 01 dc05000000000000 00") in encoded


def test_register_example():
    m = p.Register("w-1", "g", "n", 4, ("echo",), (), incarnation=0x0102030405060708)
    body = p.encode(m)[1]
    base = hexb("03000000 772d31 01000000 67 01000000 6e 04000000 01000000 04000000 6563686f 00000000")
    if p.REGISTER_HAS_INCARNATION:
        assert body == base + hexb("0807060504030201")  # u64, little-endian, after holding
    else:
        assert body == base
    assert p.decode(p.encode(m)) == (m if p.REGISTER_HAS_INCARNATION else p.Register("w-1", "g", "n", 4, ("echo",)))


def test_partial_submit_cancel_job_examples():
    partial = p.Partial(p.Attempt(7, 3, 1), "", b"He", 1)
    assert p.encode(partial)[1] == hexb("0700000000000000 03000000 01000000 00000000 02000000 4865 0100000000000000")
    submit = p.Submit(1, "g", "echo", p.Template(b"hi", 3), None, p.Policy("quorum", 2), 1000, p.Attempt(7, 3, 1))
    assert p.encode(submit)[1] == hexb(
        "0100000000000000 01000000 67 04000000 6563686f 00 02000000 6869 03000000 00 03 02000000"
        " 01 e803000000000000 01 0700000000000000 03000000 01000000")
    assert p.encode(p.CancelJob(2, 8, "stop"))[1] == hexb("0200000000000000 0800000000000000 04000000 73746f70")


def test_job_finished_and_cancel_reply_examples():
    body = hexb("0800000000000000 01000000 00000000 05000000 2c01000000000000 01 09 04000000 73746f70 00 00")
    m = p.decode([hexb("48 44 01 43"), body])
    assert m == p.JobFinished(8, 1, 0, 5, 300, p.FailureInfo(p.Category.CANCELLED, "stop"))
    reply = p.decode([hexb("48 44 01 45"), hexb("0200000000000000 0800000000000000 01 05000000")])
    assert reply == p.CancelReply(2, 8, True, 5)


def test_drain_reply_and_job_results_examples():
    body = hexb("0300000000000000 01000000 03000000 772d31 02000000 02000000"
                " 0700000000000000 03000000 03000000 772d32 0700000000000000 04000000 00000000")
    m = p.decode([hexb("48 44 01 46"), body])
    assert m == p.DrainReply(3, (p.DrainedWorker("w-1", 2, ((7, 3, "w-2"), (7, 4, ""))),))
    jr = hexb("01000000 0700000000000000 03000000 02000000 03000000 632d31 00 02000000 4849 03000000 637075")
    assert p.decode([hexb("48 44 01 42"), jr]) == p.JobResults(
        (p.JobResult(7, 3, 2, "c-1", p.Outcome.success(b"HI"), "cpu"),))


@pytest.mark.parametrize("frames, code, fragment", [
    ([b"XD\x01\x20"], p.ErrorCode.MALFORMED, "bad magic"),
    ([b"HD\x02\x20"], p.ErrorCode.UNSUPPORTED_VERSION, "version 2"),
    ([b"HD\x01"], p.ErrorCode.MALFORMED, "header frame is 3 bytes"),
    ([b"HD\x01\x13", b""], p.ErrorCode.MALFORMED, "reserved"),
    ([b"HD\x01\x99", b""], p.ErrorCode.MALFORMED, "unknown command 0x99"),
    ([b"HD\x01\x11"], p.ErrorCode.MALFORMED, "missing body"),
    ([b"HD\x01\x20", b"", b""], p.ErrorCode.MALFORMED, "3 frames"),
    ([b"HD\x01\x12", hexb("01000000 07000000")], p.ErrorCode.MALFORMED, "count 1 of attempts"),
    ([b"HD\x01\x12", hexb("00000000 00")], p.ErrorCode.MALFORMED, "trailing"),
    ([b"HD\x01\x11", hexb("01000000 0700000000000000 03000000 01000000 00010000 0000000000")], p.ErrorCode.TOO_LARGE,
     "name kind of 256 bytes"),
    ([b"HD\x01\x11", hexb("01000000 0700000000000000 03000000 01000000 02000000 c0af 00000000 00")],
     p.ErrorCode.MALFORMED, "UTF-8"),
    ([b"HD\x01\x11", hexb("01000000 0700000000000000 03000000 01000000 00000000 00000000 02")],
     p.ErrorCode.MALFORMED, "presence flag"),
    ([b"HD\x01\x7f", hexb("09 00000000")], p.ErrorCode.MALFORMED, "unknown error code 9"),
])
def test_malformed_input_is_named(frames, code, fragment):
    with pytest.raises(p.ProtocolError) as info:
        p.decode(frames)
    assert info.value.code == code
    assert fragment in info.value.message
    assert info.value.about_error == (frames[0][3:4] == b"\x7f")


def test_order_of_checks():
    # Size before anything else; version before command; a length over its limit before truncation.
    with pytest.raises(p.ProtocolError) as info:
        p.decode([b"XD\x02\x99", b"x" * 100], max_bytes=50)
    assert info.value.code == p.ErrorCode.TOO_LARGE
    with pytest.raises(p.ProtocolError) as info:
        p.decode([b"HD\x02\x99"])
    assert info.value.code == p.ErrorCode.UNSUPPORTED_VERSION


def test_round_trip_everything_a_worker_and_client_send():
    failure = p.FailureInfo(p.Category.TIMEOUT, "late", None, (p.Cause(p.Category.NETWORK, "x", 5),))
    for m in [
        p.Results((p.SubtaskResult(p.Attempt(1, 2, 3), p.Outcome.failed(failure), 9),)),
        p.Cancelled((p.Attempt(1, 2, 3),)), p.Drain(30000), p.Deregister(), p.Status(4),
        p.DrainRequest(3, 1, "n1", 30000), p.Welcome("c", 250, 1000), p.Cancel((p.Attempt(5, 6, 7),)),
        p.Accepted(1, 2, 3), p.Rejected(1, failure), p.JobNotice(7, "hi"), p.Error(p.ErrorCode.UNKNOWN_PEER, "who"),
        p.Submit(5, "g", "k", p.PayloadList((b"a", b"")), 100, p.Policy("fail-fast"), None, None),
    ]:
        assert p.decode(p.encode(m)) == m


def test_each_worker_picks_a_nonzero_incarnation_of_its_own():
    import herd

    a, b = herd.Worker("tcp://127.0.0.1:1", group="g"), herd.Worker("tcp://127.0.0.1:1", group="g")
    assert 0 < a.incarnation < 1 << 64 and a.incarnation != b.incarnation
