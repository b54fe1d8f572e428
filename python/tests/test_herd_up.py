"""`herd up` starts Python workers from a cluster file's `command`; the README's example serves jobs."""

import os
import signal
import sys
from pathlib import Path

import herd
from conftest import HERD_BIN, PYTHON_DIR, Proc, run


def test_herd_up_starts_python_workers_and_stops_them(tmp_path):
    example = PYTHON_DIR / "examples" / "fake_llm_worker.py"
    (tmp_path / "cluster.toml").write_text(
        "[[group]]\nname = \"agents\"\nworkers = 2\ncapacity = 4\n"
        f"command = \"{sys.executable} {example}\"\n")
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    up = Proc([HERD_BIN, "up", str(tmp_path / "cluster.toml"), "--bind", "tcp://127.0.0.1:*", "--grace", "2s",
               "--journal", ""], "up", env=env)
    try:
        line = up.wait_line(lambda l: l.startswith("herd cluster up: coordinator at "), timeout=30)[0]
        endpoint = line.split(" at ", 1)[1].split(";")[0].strip()

        async def go():
            # herd up runs CURVE by default with the keys it generated next to the cluster file; its
            # Python workers got theirs in HERD_SERVER_KEY and HERD_KEY.
            keys = tmp_path / ".herd" / "keys"
            async with herd.Client(endpoint, server_key=str(keys / "coordinator.pub"),
                                   key=str(keys / "client.key")) as client:
                job = client.submit("agents", "chat", payloads=["cats", "dogs", ""], partials=True, budget=10_000)
                items = [i async for i in job]
                status = await client.status()
                return items, job.summary, status

        items, summary, status = run(go())
        results = sorted((i for i in items if isinstance(i, herd.Result)), key=lambda r: r.index)
        partials = [i for i in items if isinstance(i, herd.PartialOutput)]
        assert [r.ok for r in results] == [True, True, False]
        assert '"answer": "Here is what I know about cats' in results[0].text
        assert results[2].failure.category == herd.Category.VALIDATION
        assert len(partials) >= 2 * 15 and summary.usage == len(partials)
        assert sorted(w.group for w in status.workers if w.state == "live") == ["agents", "agents"]
        up.signal(signal.SIGINT)
        assert up.wait(30) == 0
        assert _processes_running(str(example)) == [], "herd up left Python workers behind"
    finally:
        up.kill()
        for pid in _processes_running(str(example)):
            os.kill(pid, signal.SIGKILL)


def _processes_running(fragment):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if fragment in cmdline:
                found.append(int(entry.name))
    return found


def test_the_readme_shows_the_example_as_it_is():
    import re

    readme = (PYTHON_DIR / "README.md").read_text()
    block = re.search(r"## A runnable agent.*?```python\n(.*?)```", readme, re.S).group(1)
    source = (PYTHON_DIR / "examples" / "fake_llm_worker.py").read_text().split('"""', 2)[2].lstrip("\n")
    assert block == source, "python/README.md's example differs from python/examples/fake_llm_worker.py"
