"""The incremental cache: a document's result, keyed by its bytes and what checked it.

Key: sha256 of the document's bytes, its kind (notebook or text) and the fingerprint (the
versions of Python, symml and SymPy, a hash of the registry files and one of symml's
sources). Entries are JSON files under ``cache_dir()/check/``, written to a temporary file
and renamed, so a reader never sees half an entry and a killed run leaves none behind.
Entries hold no document name (two files with the same bytes share one); a damaged entry is
a miss. Not cached: document-level errors (a timeout, a dead worker, unreadable input) and
documents where a formula ran out of time, since both depend on the moment, not the bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from symml.corpus._model import DocumentResult, Entry, Source

log = logging.getLogger("symml.corpus")

#: The message prefix of a formula whose check ran out of time (symml.documents).
_TIMED_OUT = "the check ran out of time"


class ResultCache:
    """Results on disk under ``directory`` (``None``: a cache that never hits nor stores)."""

    def __init__(self, directory: Path | None, fingerprint: str) -> None:
        self.directory = directory / "check" if directory is not None else None
        self.fingerprint = fingerprint

    def key(self, source: Source) -> str:
        digest = hashlib.sha256()
        for part in (self.fingerprint.encode(), source.kind.encode()):
            digest.update(part + b"\0")
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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:  # a read-only or full disk costs only speed
            log.debug("not caching %s: %s", source.name, e)
            return False
        return True


def cacheable(result: DocumentResult, fingerprint: str) -> bool:
    """A result that the same bytes would get again: no document error, no formula that
    ran out of time, and computed by this very symml (same fingerprint)."""
    if result.error is not None or result.fingerprint != fingerprint:
        return False
    return not any(
        e.status == "unchecked" and e.message.startswith(_TIMED_OUT) for e in result.entries
    )
