"""The incremental cache: a document's result, keyed by its bytes and what checked it.

Key: sha256 of the document's bytes, its kind (notebook or a format), the time allowed per
formula and the fingerprint (the versions of Python, symml and SymPy, a hash of the registry
files and one of symml's sources). Entries are JSON files under ``cache_dir()/check/``,
written to a temporary file and renamed, so a reader never sees half an entry and a killed
run leaves none behind. Entries hold no document name (two files with the same bytes share
one); a damaged entry is a miss. Entries of one fingerprint share a directory, and only the
few most recently used such directories are kept. Not cached: document-level errors (a
document past its bound, a dead worker, unreadable input), which say nothing about the
document, and a result computed while a bounded computation ran out of time (a formula
left ``unchecked`` for want of time, or a simplification cut short): a timeout depends on
the machine's load, so the next run tries again instead of serving it for ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from symml.corpus._model import DocumentResult, Entry, Source

log = logging.getLogger("symml.corpus")

#: Generations (fingerprints) of results kept; older ones are removed when a new one starts.
KEEP_GENERATIONS = 4


class ResultCache:
    """Results on disk under ``directory`` (``None``: a cache that never hits nor stores)."""

    def __init__(
        self, directory: Path | None, fingerprint: str, formula_timeout: float | None = None
    ) -> None:
        # one directory (a generation) per fingerprint, so stale ones can go as a whole
        generation = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
        self.directory = directory / "check" / generation if directory is not None else None
        self.fingerprint = fingerprint
        self.formula_timeout = formula_timeout
        self._pruned = False

    def key(self, source: Source) -> str:
        digest = hashlib.sha256()
        settings = (repr(self.formula_timeout), repr(source.symbols))  # -s changes the readings
        for part in (self.fingerprint, source.kind, *settings):
            digest.update(part.encode() + b"\0")
        digest.update(hashlib.sha256(source.data).digest())
        return digest.hexdigest()

    def _path(self, key: str) -> Path | None:
        return self.directory / key[:2] / f"{key}.json" if self.directory is not None else None

    def get(self, source: Source) -> DocumentResult | None:
        """The stored result of ``source`` (under its own name), or None."""
        key = self.key(source)
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("key") != key:
                return None
            entries = tuple(Entry(document=source.name, **e) for e in stored["entries"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            log.debug("cache entry %s is unreadable (%s): a miss", path, e)
            return None
        return DocumentResult(source.name, entries, fingerprint=self.fingerprint, cached=True)

    def put(self, source: Source, result: DocumentResult) -> bool:
        """Store ``result`` if it may be served again; True if it was written."""
        path = self._path(self.key(source))
        if path is None or not cacheable(result, self.fingerprint):
            return False
        entries = []
        for e in result.entries:
            record = {k: v for k, v in vars(e).items() if k != "document"}
            entries.append(record)
        data = json.dumps({"key": path.stem, "entries": entries}, ensure_ascii=False)
        if not self._pruned:
            self._pruned = True
            prune(path.parent.parent)
        from symml.registry import write_entry

        return write_entry(path, data.encode("utf-8"))


def prune(current: Path, keep: int = KEEP_GENERATIONS) -> None:
    """Remove all but the ``keep`` most recently used generations beside ``current``.

    Every edit of symml's sources or registry starts a generation; racing another process
    is harmless (a removed entry is a miss, a failed removal is left for next time).
    """
    import shutil

    try:
        current.mkdir(parents=True, exist_ok=True)
        os.utime(current)
        others = [d for d in current.parent.iterdir() if d.is_dir() and d != current]
        others.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    except OSError as e:
        log.debug("not pruning the check cache: %s", e)
        return
    for stale in others[keep - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def cacheable(result: DocumentResult, fingerprint: str) -> bool:
    """A result about the document alone: no document-level error, nothing ran out of time,
    and computed by this very symml (the same fingerprint)."""
    return result.error is None and not result.timed_out and result.fingerprint == fingerprint
