"""Fixtures that start the real `herd` binary and Python workers as processes.

Everything waits on events (a line a process prints, a message received), never on fixed sleeps,
and every process started is killed by pid when its test ends.
"""

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_DIR))

HERD_BIN = os.environ.get("HERD_BIN") or str(PYTHON_DIR.parent / ".build" / "debug" / "herd")
WORKER_SCRIPT = str(Path(__file__).resolve().parent / "agent_worker.py")


def run(coro, timeout=60):
    """Runs a coroutine to completion, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Proc:
    """A child process whose stdout (and stderr) lines are collected as they arrive."""

    def __init__(self, args, name, env=None):
        self.name = name
        self.args = args
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self.lines = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def events(self):
        out = []
        with self._cond:
            lines = list(self.lines)
        for line in lines:
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def wait_line(self, predicate, timeout=20, count=1):
        """Waits until `count` lines satisfy `predicate`; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [line for line in self.lines if predicate(line)]
                if len(hits) >= count:
                    return hits[:count]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = "\n".join(self.lines[-30:])
                    raise AssertionError(f"{self.name}: waited {timeout}s for {count} matching lines; last:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def wait_event(self, event, timeout=20, count=1, **match):
        def pred(line):
            if not line.startswith("{"):
                return False
            try:
                e = json.loads(line)
            except ValueError:
                return False
            return e.get("event") == event and all(e.get(k) == v for k, v in match.items())

        return [json.loads(line) for line in self.wait_line(pred, timeout, count)]

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(5)

    def wait(self, timeout=20):
        return self.proc.wait(timeout)


class Cluster:
    """Starts processes for one test and kills them all at its end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.procs = []
        self.endpoint = None
        self.coordinator = None

    def start_coordinator(self, config=None):
        args = [HERD_BIN, "coordinator", "--bind", "tcp://127.0.0.1:*", "--log-level", "info"]
        if config:
            path = self.tmp_path / "cluster.toml"
            path.write_text(config)
            args += ["--config", str(path)]
        self.coordinator = self._start(args, "coordinator")
        line = self.coordinator.wait_line(lambda l: "listening on" in l)[0]
        self.endpoint = line.split("listening on", 1)[1].strip().split()[0]
        return self.coordinator

    def python_worker(self, worker_id, capacity=8, group="agents", drain_grace=10.0):
        args = [sys.executable, WORKER_SCRIPT, self.endpoint, "--id", worker_id, "--capacity", str(capacity),
                "--group", group, "--drain-grace", str(drain_grace)]
        proc = self._start(args, worker_id)
        proc.wait_event("registered")
        return proc

    def swift_worker(self, worker_id, capacity=8, group="agents"):
        args = [HERD_BIN, "worker", "--connect", self.endpoint, "--group", group, "--id", worker_id,
                "--capacity", str(capacity), "--log-level", "info"]
        proc = self._start(args, worker_id)
        proc.wait_line(lambda l: "registered" in l)
        return proc

    def herd(self, *args, timeout=30):
        return subprocess.run([HERD_BIN, *args, "--connect", self.endpoint], capture_output=True, timeout=timeout,
                              text=True)

    def _start(self, args, name):
        proc = Proc(args, name)
        self.procs.append(proc)
        return proc

    def close(self):
        for proc in reversed(self.procs):
            proc.kill()


@pytest.fixture
def cluster(tmp_path):
    if not os.path.exists(HERD_BIN):
        pytest.fail(f"herd binary not found at {HERD_BIN}: build it (swift build --product herd) or set HERD_BIN")
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.close()
