"""The Python worker the tests start as a process. It prints one JSON line per event on stdout.

Kinds: echo, sleep (payload: milliseconds; async), sync-sleep (a thread, cancellation token),
fail (payload JSON {"category", "message", "retry_after", "succeed_on"}), boom (raises ValueError),
stream (payload N: emits N partial outputs of 1 unit each, then returns), usage (reports N units).
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import herd  # noqa: E402


_say_lock = threading.Lock()


def say(event, **detail):
    """One JSON line per event, whole (handler threads print too)."""
    detail = {k: (str(v) if isinstance(v, herd.Attempt) else v) for k, v in detail.items()}
    line = json.dumps({"event": event, "t": time.monotonic(), **detail}) + "\n"
    with _say_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("--id", required=True)
    ap.add_argument("--group", default="agents")
    ap.add_argument("--capacity", type=int, default=8)
    ap.add_argument("--drain-grace", type=float, default=10.0)
    args = ap.parse_args()
    worker = herd.Worker(args.endpoint, group=args.group, capacity=args.capacity, worker_id=args.id,
                         drain_grace=args.drain_grace)
    worker.on_event = lambda name, detail: say(name, **detail)

    @worker.handler("echo")
    async def echo(ctx):
        return ctx.payload

    @worker.handler("sleep")
    async def sleep(ctx):
        say("handler-began", attempt=str(ctx.attempt_ref))
        try:
            await asyncio.sleep(int(ctx.payload) / 1000)
        except asyncio.CancelledError:
            say("handler-cancelled", attempt=str(ctx.attempt_ref), deadline=ctx.deadline)
            raise
        return b"slept " + ctx.payload

    @worker.handler("sync-sleep")
    def sync_sleep(ctx):
        say("handler-began", attempt=str(ctx.attempt_ref))
        if ctx.wait_cancelled(int(ctx.payload) / 1000):
            say("handler-cancelled", attempt=str(ctx.attempt_ref))
            ctx.check()
        return b"slept " + ctx.payload

    @worker.handler("fail")
    async def fail(ctx):
        spec = json.loads(ctx.payload)
        say("fail-attempt", attempt=str(ctx.attempt_ref))
        if ctx.attempt >= spec.get("succeed_on", 1 << 30):
            return b"ok on attempt %d" % ctx.attempt
        raise herd.Failure(spec["category"], spec.get("message", "failed"), retry_after=spec.get("retry_after"))

    @worker.handler("boom")
    async def boom(ctx):
        raise ValueError("boom: " + ctx.payload.decode())

    @worker.handler("stream")
    async def stream(ctx):
        n = int(ctx.payload)
        for i in range(n):
            ctx.report_usage(1)
            await ctx.emit(f"token {i} ")
            await asyncio.sleep(0.005)
        ctx.report_usage(2)
        return f"streamed {n}".encode()

    @worker.handler("usage")
    async def usage(ctx):
        ctx.report_usage(int(ctx.payload))
        await asyncio.sleep(0.02)
        return b"used " + ctx.payload

    worker.run()
    say("exited")


if __name__ == "__main__":
    main()
