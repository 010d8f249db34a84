"""The result cache: what a command printed, on disk, so that asking again costs a lookup.

``symml derive sigmoid --wrt x`` spends two seconds importing SymPy and deriving; the answer
is the same every time until something it depends on changes. A cached command's output
(stdout, stderr and exit status) is stored under a key of everything that decides it:

- the command and its parsed parameters (``--no-cache`` aside), and standard input when an
  argument is ``-``;
- how the output is laid out: whether stdout is a terminal, its width, ``COLUMNS``,
  ``NO_COLOR``, ``FORCE_COLOR``, ``TERM``, and every ``SYMML_*`` variable but the cache's own;
- a fingerprint: the Python version, every installed distribution on ``sys.path`` (name and
  version, from the ``.dist-info`` names), the source of every module of symml (the
  hand-written code included) and every file of the registry directory.

A hit prints the stored output without importing SymPy. A result is stored only when the
command finished (exit 0, or 1 for a failed check) and nothing in it ran out of time (a
timeout depends on the machine's load, not on the input). Entries live in
``<cache dir>/results/``, beside the parse cache (:func:`symml.registry.cache_dir`), one
directory per fingerprint; removing them at any time is safe (``symml cache --clear``).
``SYMML_NO_CACHE=1`` or ``--no-cache`` bypasses it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

log = logging.getLogger("symml.cli")

#: Commands whose output depends only on what the key holds. ``verify --against`` runs the
#: user's own module and is never cached; ``check`` has the corpus cache of its own.
CACHED = ("show", "parse", "derive", "verify", "equiv")
_FORMAT = 1
_KEEP_GENERATIONS = 4
_LAYOUT_VARIABLES = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE")
#: Words of an output that say a bounded computation ran out of time.
_TIMED_OUT = ("timed out", "timeout", "did not finish within", "time budget")
#: The parameters whose ``-`` means standard input (``read_latex``).
_STDIN_PARAMS = ("latex", "latex_a", "latex_b")


def results_dir() -> Path | None:
    """Where results are cached, or None when caching is off (``SYMML_NO_CACHE``)."""
    from symml.registry import cache_dir

    base = cache_dir()
    return None if base is None else base / "results"


def run_cached(ctx: click.Context, invoke: Callable[[], Any]) -> Any:
    """Run ``invoke()`` (the command) through the cache: replay a stored result or store one."""
    directory = results_dir()
    key = _key(ctx) if directory is not None else None
    if directory is None or key is None:
        return invoke()
    generation = directory / _generation()
    entry = generation / key[:2] / f"{key}.json"
    stored = _read(entry, key)
    if stored is not None:
        sys.stdout.write(stored["stdout"])
        sys.stderr.write(stored["stderr"])
        sys.stdout.flush()
        if stored["status"]:
            raise click.exceptions.Exit(stored["status"])
        return None
    return _run_and_store(invoke, entry, key, generation)


def _run_and_store(invoke: Callable[[], Any], entry: Path, key: str, generation: Path) -> Any:
    from symml.workers import timeouts

    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    before = timeouts()  # bounded computations past their time, its workers' included
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    status: int | None = None
    try:
        value = invoke()
        status = 0
        return value
    except click.exceptions.Exit as e:
        status = e.exit_code
        raise
    finally:
        sys.stdout, sys.stderr = out.inner, err.inner
        text = out.text() + err.text()
        fresh = timeouts() == before and not any(w in text.lower() for w in _TIMED_OUT)
        if status in (0, 1) and fresh:
            record = {"key": key, "stdout": out.text(), "stderr": err.text(), "status": status}
            _write(entry, json.dumps(record, ensure_ascii=False))
            _prune_once(generation)


class _Tee(io.TextIOBase):
    """Passes writes through to ``inner`` and keeps a copy; looks like ``inner`` to Rich.

    ``uncached`` is the stream itself, for what must not be replayed (a progress bar).
    """

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = self.uncached = inner
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        written = self.inner.write(text)  # first: Click probes with b"", which must fail
        self._parts.append(text)
        return written

    def flush(self) -> None:
        # also called when the Tee is closed or collected (io's close flushes), possibly
        # after the stream it wraps was closed: pytest's capture, a shell's closed pipe
        if not getattr(self.inner, "closed", False):
            self.inner.flush()

    def isatty(self) -> bool:
        return bool(self.inner.isatty())

    def fileno(self) -> int:
        return int(self.inner.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.inner, "errors", None)

    def text(self) -> str:
        return "".join(self._parts)


# --------------------------------------------------------------------------- the key


def _key(ctx: click.Context) -> str | None:
    """Everything that decides the command's output, hashed; None: do not cache this call."""
    command = ctx.command.name or ""
    params = dict(ctx.params)
    if command == "verify" and (params.get("latex") is not None or params.get("against")):
        return None  # the user's module is not in the fingerprint
    stdin = None
    if any(params.get(name) == "-" for name in _STDIN_PARAMS):
        stdin = sys.stdin.read()
        sys.stdin = io.StringIO(stdin)  # the command reads it again
    layout = {name: os.environ.get(name) for name in _LAYOUT_VARIABLES}
    symml_env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("SYMML_") and k not in ("SYMML_CACHE_DIR", "SYMML_NO_CACHE", "SYMML_DEBUG")
    }
    try:
        terminal = bool(sys.stdout.isatty())
    except (AttributeError, ValueError):
        terminal = False
    width = _terminal_width() if terminal else None
    try:
        blob = json.dumps(
            [_FORMAT, command, params, stdin, terminal, width, layout, symml_env, _registry_hash()],
            sort_keys=True,
            default=_unknown,
        )
    except TypeError:  # a parameter value with no stable text: run it, do not cache it
        return None
    return hashlib.sha256(blob.encode()).hexdigest()


def _unknown(value: Any) -> Any:
    raise TypeError(f"cannot key {type(value).__name__}")


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def _registry_hash() -> str:
    """Every file of the registry directory (``SYMML_FORMULAS_DIR`` or the shipped one)."""
    from symml.registry import formulas_dir

    digest = hashlib.sha256()
    root = Path(formulas_dir())
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """Python, the installed distributions and symml's own source, as one hash.

    The distributions are read from the ``.dist-info`` directory names on ``sys.path`` (one
    directory listing each, about a millisecond; ``importlib.metadata`` takes 30 ms), so an
    upgrade of SymPy or NumPy makes a new generation. symml's source is hashed whole:
    during development the version stays put while the code changes.
    """
    digest = hashlib.sha256(f"{_FORMAT}|{sys.version}|{sys.platform}".encode())
    for entry in sys.path:
        try:
            listed = os.listdir(entry) if entry else []  # "": the working directory, no packages
        except OSError:
            continue
        names = sorted(n for n in listed if n.endswith((".dist-info", ".egg-info")))
        digest.update("\0".join(names).encode())
    from symml.registry import source_hash

    digest.update(source_hash().encode())
    return digest.hexdigest()


def _generation() -> str:
    return fingerprint()[:16]


# --------------------------------------------------------------------------- the files


def _read(entry: Path, key: str) -> dict[str, Any] | None:
    try:
        record = json.loads(entry.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:  # damaged or foreign: a miss, rewritten below
        log.debug("result cache entry %s is unreadable (%s)", entry, e)
        return None
    ok = (
        isinstance(record, dict)
        and record.get("key") == key
        and isinstance(record.get("stdout"), str)
        and isinstance(record.get("stderr"), str)
        and record.get("status") in (0, 1)
    )
    return record if ok else None


def _write(entry: Path, text: str) -> None:
    """Through a temporary file and a rename: a reader never sees half an entry."""
    from symml.registry import write_entry

    write_entry(entry, text.encode("utf-8"))


@functools.cache
def _prune_once(current: Path) -> None:
    """Keep the few most recent generations, so that edits and upgrades do not pile up."""
    import shutil

    try:
        os.utime(current)
        others = [d for d in current.parent.iterdir() if d.is_dir() and d != current]
        others.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    except OSError as e:
        log.debug("not pruning the result cache: %s", e)
        return
    for stale in others[_KEEP_GENERATIONS - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)  # racing another process is harmless


def clear() -> tuple[Path | None, int]:
    """Remove every cached result, parse and document check; returns (directory, files removed)."""
    import shutil

    from symml.registry import cache_dir

    base = cache_dir()
    if base is None or not base.is_dir():
        return base, 0
    count = 0
    for sub in ("results", "parse", "check"):  # check: the corpus cache of `symml check`
        target = base / sub
        if target.is_dir():
            count += sum(1 for p in target.rglob("*") if p.is_file())
            shutil.rmtree(target, ignore_errors=True)
    return base, count
