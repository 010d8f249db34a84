"""The parse cache: parsed registry LaTeX on disk, so a new process need not parse again.

An entry is keyed by the LaTeX, the symbol declarations, the functions and a fingerprint of
everything else that can change the parse (the version of Python, the installed
distributions, and the source of every module of symml). Entries of one fingerprint live in
one directory, a *generation*; the few most recently used generations are kept.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("symml.registry")

PACKAGE = Path(__file__).resolve().parents[1]  # the symml package
_CACHE_FORMAT = 2
_KEEP_GENERATIONS = 4


def cache_dir() -> Path | None:
    """The parse cache directory, or None when ``SYMML_NO_CACHE`` is set.

    ``$SYMML_CACHE_DIR``, else ``$XDG_CACHE_HOME/symml``, else ``~/.cache/symml``. Removing it
    at any time is safe: entries are only a faster way to get the same parse.
    """
    if os.environ.get("SYMML_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("SYMML_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symml"


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    """Everything besides the input that can change a parse: versions and parser sources.

    The versions are the ``.dist-info`` names on ``sys.path`` (one directory listing each,
    about a millisecond: ``importlib.metadata`` took 60 ms for four distributions, more than
    the parses a command reads from the cache save), so an upgrade of SymPy or of a LaTeX
    reader starts a new generation.
    """
    import hashlib

    digest = hashlib.sha256(f"{_CACHE_FORMAT}|{sys.version}".encode())
    for entry in sys.path:
        try:
            listed = os.listdir(entry) if entry else []  # "": the working directory
        except OSError:
            continue
        names = sorted(n for n in listed if n.endswith((".dist-info", ".egg-info")))
        digest.update("\0".join(names).encode())
    # During development the version stays put while the parser changes, and the parser is
    # spread over several packages (latex, functions, symbols, ...): hash every module of symml.
    digest.update(source_hash().encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def source_hash() -> str:
    """A hash of every module of the symml package, names and bytes (about 5 ms).

    Every cache of symml (parses, command results, checked documents) keys on it: during
    development the version stays put while the code changes.
    """
    import hashlib

    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(source.relative_to(PACKAGE).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _cache_key(latex: str, symbols: Mapping[str, str], functions: tuple[str, ...]) -> str:
    import hashlib
    import json

    blob = json.dumps([_fingerprint(), latex, sorted(symbols.items()), sorted(functions)])
    return hashlib.sha256(blob.encode()).hexdigest()


def cached_parse(latex: str, symbols: dict[str, str], functions: tuple[str, ...]) -> Any:
    """``parse_latex(latex, ...)``, read from the cache when an entry is there, else stored."""
    import pickle

    directory = cache_dir()
    key = _cache_key(latex, symbols, functions) if directory is not None else ""
    entry = _generation(directory) / key[:2] / f"{key}.pickle" if directory else None
    # What a damaged or foreign cache file can raise while unpickling: a miss, not an error.
    corrupt = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
               KeyError, TypeError, ValueError, OSError)  # fmt: skip
    if entry is not None and entry.exists():
        try:
            with entry.open("rb") as fh:
                stored_key, value = pickle.load(fh)
            if stored_key == key:
                return value
            log.debug("cache entry %s has a foreign key; rewriting", entry)
        except corrupt as e:
            log.debug("cache entry %s is unreadable (%s); rewriting", entry, e)
    from symml.latex import parse_latex

    value = parse_latex(latex, symbols=symbols, functions=list(functions) or None)
    if entry is not None:
        _write_atomically(entry, (key, value))
        _prune_once(entry.parent.parent)
    return value


def _generation(directory: Path) -> Path:
    """Entries live under one directory per fingerprint (symml/SymPy versions, sources)."""
    import hashlib

    return directory / "parse" / hashlib.sha256(_fingerprint().encode()).hexdigest()[:16]


@functools.cache
def _prune_once(current: Path) -> None:
    """Keep the few most recently used generations, so edits and upgrades do not pile up.

    Racing another process is harmless: a removed entry is a cache miss, a failed removal
    leaves a file behind for next time.
    """
    try:
        os.utime(current)
        others = [d for d in current.parent.iterdir() if d.is_dir() and d != current]
        others.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    except OSError as e:
        log.debug("not pruning the parse cache: %s", e)
        return
    for stale in others[_KEEP_GENERATIONS - 1 :]:
        for path in sorted(stale.rglob("*"), reverse=True):  # files before their directories
            try:
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
            except OSError as e:
                log.debug("cannot remove %s from the parse cache: %s", path, e)
        try:
            stale.rmdir()
        except OSError as e:
            log.debug("cannot remove %s from the parse cache: %s", stale, e)


def _write_atomically(entry: Path, payload: Any) -> None:
    """Pickle ``payload`` into ``entry`` through :func:`write_entry`."""
    import pickle

    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as e:
        log.debug("not caching %s: cannot pickle (%s)", entry.name, e)
        return
    write_entry(entry, data)


def write_entry(entry: Path, data: bytes) -> bool:
    """Write a cache entry through a temporary file beside it and a rename, so that a reader
    never sees half of one. False (and nothing left behind) when the disk refuses: a
    read-only or full disk only costs speed.
    """
    import tempfile

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=entry.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        log.debug("not caching %s: %s", entry.name, e)
        return False
    return True
