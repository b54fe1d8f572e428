"""The Python worker and client against the real `herd coordinator` (and Swift workers)."""

import asyncio
import json
import signal
import time
from collections import Counter

import herd
from conftest import run


def test_registration(cluster):
    cluster.start_coordinator()
    cluster.python_worker("py-reg", capacity=5)

    async def check():
        client = herd.Client(cluster.endpoint)
        try:
            status = await client.status()
        finally:
            client.close()
        (worker,) = [w for w in status.workers if w.id == "py-reg"]
        assert (worker.group, worker.capacity, worker.state) == ("agents", 5, "live")
        (group,) = [g for g in status.groups if g.name == "agents"]
        assert group.workers == 1

    run(check())


def test_echo_1000_subtasks_each_once(cluster):
    cluster.start_coordinator()
    cluster.python_worker("py-echo", capacity=32)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "echo", payloads=[f"payload {i}" for i in range(1000)])
            results = [r async for r in job]
            return job, results

    job, results = run(go())
    assert Counter(r.index for r in results) == Counter(range(1000))
    assert all(r.ok and r.text == f"payload {r.index}" and r.worker == "py-echo" for r in results)
    assert (job.summary.succeeded, job.summary.failed, job.summary.cancelled) == (1000, 0, 0)


def test_mixed_group_of_swift_and_python_workers_shares_one_job(cluster):
    cluster.start_coordinator()
    cluster.python_worker("py-mix", capacity=4)
    cluster.swift_worker("sw-mix", capacity=4)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "sleep", template="20", count=80)
            return [r async for r in job], job.summary

    results, summary = run(go())
    assert sorted(r.index for r in results) == list(range(80))
    assert summary.succeeded == 80
    by_worker = Counter(r.worker for r in results)
    assert set(by_worker) == {"py-mix", "sw-mix"}, by_worker
    assert all(r.text.startswith("slept") for r in results)  # both kinds answer `sleep` alike enough


def test_cancel_reaches_handlers_as_cancelled_error_and_is_confirmed(cluster):
    cluster.start_coordinator()
    worker = cluster.python_worker("py-cancel", capacity=4)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "sleep", template="60000", count=2)
            sync_job = client.submit("agents", "sync-sleep", template="60000", count=2)
            await job.accepted()
            await sync_job.accepted()
            await asyncio.to_thread(worker.wait_event, "handler-began", count=4)
            started = time.monotonic()
            found = await job.cancel("stop now")
            found_sync = await sync_job.cancel("stop now")
            confirmed = time.monotonic() - started
            results = [r async for r in job] + [r async for r in sync_job]
            return found and found_sync, confirmed, results, job.summary

    found, confirmed, results, summary = run(go())
    assert found
    assert confirmed < 2.0  # CANCEL-REPLY comes once every attempt confirmed
    assert len(worker.wait_event("handler-cancelled", count=4)) == 4
    assert all(r.failure.category == herd.Category.CANCELLED and r.failure.message == "stop now" for r in results)
    assert summary.cancelled == 2 and summary.reason.category == herd.Category.CANCELLED


def test_cancelling_the_consuming_task_cancels_the_job(cluster):
    cluster.start_coordinator()
    worker = cluster.python_worker("py-task", capacity=2)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            async def consume():
                async for _ in client.submit("agents", "sleep", template="60000", count=2):
                    pass

            task = asyncio.create_task(consume())
            await asyncio.to_thread(worker.wait_event, "handler-began", count=2)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            await asyncio.to_thread(worker.wait_event, "handler-cancelled", count=2)
            for _ in range(100):  # the coordinator forgets the job once both attempts confirmed
                status = await client.status()
                if not status.jobs:
                    return status
                await asyncio.sleep(0.05)
            raise AssertionError(f"job still known: {status.jobs}")

    run(go())


def test_deadline_cancels_the_handler_and_fails_with_timeout(cluster):
    cluster.start_coordinator()
    worker = cluster.python_worker("py-deadline", capacity=2)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            started = time.monotonic()
            results = [r async for r in client.submit("agents", "sleep", template="60000", count=1, timeout=0.5)]
            return results, time.monotonic() - started

    (result,), elapsed = run(go())
    assert result.failure.category == herd.Category.TIMEOUT
    assert 0.4 < elapsed < 3.0
    (event,) = worker.wait_event("handler-cancelled")
    assert event["deadline"] == 0.0


def test_drain_request_redistributes_given_back_work(cluster):
    cluster.start_coordinator()
    a = cluster.python_worker("py-drain-a", capacity=2)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "sleep", template="1500", count=2)
            await job.accepted()
            await asyncio.to_thread(a.wait_event, "started", count=2)
            cluster.python_worker("py-drain-b", capacity=2)
            reply = await client.drain(worker="py-drain-a", grace=0.2)
            results = [r async for r in job]
            return reply, results

    reply, results = run(go())
    assert a.wait(10) == 0
    (drained,) = reply.workers
    assert drained.worker == "py-drain-a" and len(drained.moved) == 2
    assert sorted(r.index for r in results) == [0, 1]
    assert all(r.ok and r.worker == "py-drain-b" and r.attempts == 2 for r in results)


def test_sigterm_drains_in_flight_work_then_leaves(cluster):
    cluster.start_coordinator()
    a = cluster.python_worker("py-term-a", capacity=2, drain_grace=5)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "sleep", template="300", count=2)
            await job.accepted()
            await asyncio.to_thread(a.wait_event, "started", count=2)
            a.signal(signal.SIGTERM)
            return [r async for r in job]

    results = run(go())
    assert all(r.ok and r.worker == "py-term-a" for r in results)  # finished within the grace
    assert a.wait(10) == 0
    a.wait_event("drained")


def test_kill_9_of_a_python_worker_mid_job_loses_nothing(cluster):
    cluster.start_coordinator()
    a = cluster.python_worker("py-kill-a", capacity=4)
    cluster.python_worker("py-kill-b", capacity=4)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "sleep", template="200", count=40)
            await job.accepted()
            results = []
            killed = False
            async for r in job:
                results.append(r)
                if not killed:
                    await asyncio.to_thread(a.wait_event, "started", count=1)
                    a.signal(signal.SIGKILL)
                    killed = True
            return results, job.summary

    results, summary = run(go())
    assert Counter(r.index for r in results) == Counter(range(40))
    assert summary.succeeded == 40
    assert any(r.attempts > 1 for r in results)  # what died with py-kill-a ran again


def test_classified_failures_and_retry_after(cluster):
    cluster.start_coordinator()
    worker = cluster.python_worker("py-fail", capacity=4)
    payloads = [
        json.dumps({"category": "rate-limited", "message": "slow down", "retry_after": 0.6, "succeed_on": 2}),
        json.dumps({"category": "validation", "message": "bad input"}),
        json.dumps({"category": "transient", "message": "flaky"}),
    ]

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "fail", payloads=payloads)
            boom = client.submit("agents", "boom", payloads=["x"])
            return await job.results(), await boom.results()

    (limited, invalid, flaky), (boom,) = run(go())
    assert limited.ok and limited.attempts == 2 and limited.text == "ok on attempt 2"
    first, second = _attempts(worker, 0)
    assert second - first >= 0.6  # retry-after honoured as a floor
    assert invalid.failure.category == herd.Category.VALIDATION and invalid.attempts == 1  # never retried
    assert flaky.failure.category == herd.Category.TRANSIENT and flaky.attempts == 3  # the coordinator's default
    assert len(flaky.failure.causes) == 2
    assert boom.failure.category == herd.Category.UNKNOWN and "ValueError: boom: x" in boom.failure.message


def _attempts(worker, index):
    events = [e for e in worker.events() if e.get("event") == "fail-attempt" and f"/{index}#" in e["attempt"]]
    return [e["t"] for e in events][:2]


def test_partial_output_streams_before_the_result_with_its_usage(cluster):
    cluster.start_coordinator()
    cluster.python_worker("py-stream", capacity=2)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "stream", payloads=["5"], partials=True)
            return [item async for item in job], job.summary

    items, summary = run(go())
    partials = [i for i in items if isinstance(i, herd.PartialOutput)]
    (result,) = [i for i in items if isinstance(i, herd.Result)]
    assert [x.data for x in partials] == [f"token {i} ".encode() for i in range(5)]
    assert all(x.usage == 1 and x.worker == "py-stream" for x in partials)
    assert items[-1] is result and result.text == "streamed 5"
    assert summary.usage == 7  # 5 with the partial outputs, 2 with the result: each unit once


def test_budget_ends_the_job(cluster):
    cluster.start_coordinator()
    cluster.python_worker("py-budget", capacity=1)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "usage", template="10", count=20, budget=25)
            return await job.results(), job.summary

    results, summary = run(go())
    assert len(results) == 20
    assert summary.reason.category == herd.Category.BUDGET_EXHAUSTED
    assert 25 <= summary.usage < 60
    assert summary.succeeded < 20 and summary.cancelled > 0


def test_submit_rejected_for_an_unknown_group(cluster):
    cluster.start_coordinator()

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            try:
                await client.submit("nobody", "echo", payloads=["x"]).accepted()
            except herd.JobRejected as e:
                return e.failure

    failure = run(go())
    assert failure.category == herd.Category.NOT_FOUND


def test_coordinator_answers_bad_frames_but_never_an_error_of_another_version(cluster):
    import zmq
    from herd import protocol as p

    cluster.start_coordinator()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.ROUTING_ID, b"client-raw-test")
    sock.connect(cluster.endpoint)
    try:
        def reply():
            assert sock.poll(5000), "no reply"
            return p.decode(sock.recv_multipart())

        sock.send_multipart([b"HD\x02\x20"])  # a HEARTBEAT of version 2
        error = reply()
        assert error.code == p.ErrorCode.UNSUPPORTED_VERSION and "version 2" in error.message
        sock.send_multipart([b"HD\x01\x31", b"\x01"])  # a truncated STATUS
        assert reply().code == p.ErrorCode.MALFORMED
        # A version-2 ERROR and an undecodable ERROR: not answered (no ping-pong, §8.2) ...
        sock.send_multipart([b"HD\x02\x7f", b"\x02\x00\x00\x00\x00"])
        sock.send_multipart([b"HD\x01\x7f", b"\x63\x00\x00\x00\x00"])
        sock.send_multipart(p.encode(p.Status(7)))
        # ... so the next thing that comes back is the STATUS-REPLY.
        status = reply()
        assert isinstance(status, p.StatusReply) and status.token == 7
    finally:
        sock.close()
        ctx.term()


def test_a_python_worker_restarted_under_the_same_id_gets_its_lost_work_again(cluster):
    cluster.start_coordinator()
    first = cluster.python_worker("py-again", capacity=4)

    async def go():
        async with herd.Client(cluster.endpoint) as client:
            job = client.submit("agents", "sleep", template="300", count=4)
            await job.accepted()
            await asyncio.to_thread(first.wait_event, "started", count=4)
            first.signal(signal.SIGKILL)
            first.wait(5)
            # A new process, a new incarnation (protocol revision 7), within the liveness window.
            await asyncio.to_thread(cluster.python_worker, "py-again", 4)
            return await job.results(), job.summary

    results, summary = run(go())
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert all(r.ok and r.attempts == 2 and r.worker == "py-again" for r in results)
    assert summary.succeeded == 4
