"""A worker busy in a runaway computation ends when its parent dies (no orphans left)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_worker_exits_when_its_parent_is_killed():
    if not Path("/proc").is_dir():
        import pytest

        pytest.skip("needs /proc to find the worker process (Linux)")
    code = (
        "import time\nfrom symml.workers import run_bounded\n"
        "run_bounded(time.sleep, 600, timeout=600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while not workers and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(parent.pid)
        assert workers, "the bounded call started no worker process"
        time.sleep(1.5)  # the worker is now inside time.sleep(600)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "the worker outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
