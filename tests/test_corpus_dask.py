"""``--executor dask``: the same per-document function on a real LocalCluster (worker
processes on this machine), the same results as ``-j 1``, nothing left running after it,
a worker that dies handled by Dask's own resilience, and a one-line error without Dask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from symml.corpus import Source, check_corpus, read_source

DATA = Path(__file__).parent / "data"
BOOK = DATA / "corpus_book"


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "symml.cli", "check", str(BOOK), "--format", "json", *args]


def _run_watching_children(args: list[str], env: dict) -> tuple[subprocess.CompletedProcess, set]:
    """Run ``args``, noting every process it starts (the cluster's), to check they end."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    seen: set[psutil.Process] = set()
    parent = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            seen.update(parent.children(recursive=True))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr), seen


def _alive(processes: set) -> list:
    deadline = time.monotonic() + 15  # a nanny's worker may take a moment to exit
    while True:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def test_a_local_cluster_gives_the_results_of_j1_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "SYMML_CACHE_DIR": str(tmp_path / "cache")}
    dask, children = _run_watching_children(
        _command("--executor", "dask", "-j", "2", "--no-cache"), env
    )
    local = subprocess.run(_command("-j", "1", "--no-cache"), capture_output=True, text=True,
                           env=env, timeout=600)  # fmt: skip
    assert dask.returncode == local.returncode == 1, dask.stderr  # the book has refutations
    # (Dask may log a warning on a busy machine; symml itself reports nothing)
    assert "error" not in dask.stderr.lower() and "Traceback" not in dask.stderr
    assert json.loads(dask.stdout) == json.loads(local.stdout)
    assert len(json.loads(dask.stdout)) == 7
    assert len(children) >= 2  # the cluster's worker processes (and their nannies) were seen
    assert _alive(children) == []


def test_dask_results_are_cached_like_local_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path / "cache"))
    sources = [read_source(p) for p in (BOOK / "ch1.md", BOOK / "lab.ipynb")]
    first = list(check_corpus(sources, executor="dask", jobs=2))
    assert [r.cached for r in first] == [False, False]
    again = list(check_corpus(sources, executor="local", jobs=2))
    assert [r.cached for r in again] == [True, True]
    assert [r.entries for r in again] == [r.entries for r in first]


def test_a_taken_dashboard_port_is_no_matter(tmp_path, monkeypatch) -> None:
    """Dask's default HTTP port may belong to another cluster; that must not warn (a warning
    on stderr, an error under this suite's filterwarnings) nor fail the run."""
    import socket

    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path / "cache"))
    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 8787))
        holder.listen()
    except OSError:
        pass  # already taken by someone else: the same situation
    try:
        source = read_source(BOOK / "ch2.markdown")
        [result] = check_corpus([source], executor="dask", jobs=1, cache=False)
    finally:
        holder.close()
    assert [e.status for e in result.entries] == ["verified"]


def test_a_worker_that_dies_is_an_error_of_its_document_only(tmp_path, monkeypatch) -> None:
    # Dask retries a task whose worker died; with no retries allowed it gives up at once.
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(DATA), *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    monkeypatch.syspath_prepend(str(DATA))
    import dask

    dask.config.refresh()
    from corpus_helpers import dying_check

    texts = [b"$$\\frac{d}{dx} x^2 = 2x$$\n", b"DIE\n", b"$$\\frac{d}{dx} x^2 = 3x$$\n"]
    sources = [Source(f"d{k}.md", "markdown", t) for k, t in enumerate(texts)]
    before = set(psutil.Process().children(recursive=True))
    results = list(check_corpus(sources, executor="dask", jobs=2, check=dying_check, cache=False))
    assert [r.document for r in results] == ["d0.md", "d1.md", "d2.md"]
    assert [e.status for e in results[0].entries] == ["verified"]
    assert results[1].error.startswith("d1.md: every Dask worker that tried this document died")
    assert [e.status for e in results[2].entries] == ["refuted"]
    assert _alive(set(psutil.Process().children(recursive=True)) - before) == []


def test_without_dask_the_dask_executor_is_a_one_line_error(monkeypatch, capsys) -> None:
    from symml.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(BOOK / "ch1.md"), "--executor", "dask", "--no-cache"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == ("error: --executor dask needs dask.distributed: pip install 'symml[dask]'\n")


def test_scheduler_needs_the_dask_executor(capsys) -> None:
    from symml.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(BOOK / "ch1.md"), "--scheduler", "tcp://127.0.0.1:8786"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --scheduler needs --executor dask\n"
