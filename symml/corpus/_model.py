"""The values of a corpus check: a document to check, one entry per formula, a document's result.

They cross process boundaries (the local pool pickles them, Dask ships them to its workers)
and sit in the cache as JSON, so they hold only strings, numbers and tuples.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: Statuses that make ``symml check`` exit 1 (2 is for documents that could not be read).
FAILING = frozenset({"refuted", "broken", "error"})


@dataclass(frozen=True)
class Source:
    """A document to check: its name in the results, what it is, and its bytes.

    Attributes:
        name: the path as the user wrote it (``book/ch1.md``), or ``<stdin>``.
        kind: ``notebook`` (``.ipynb``), else the documents API's format of the name
            (``markdown``, ``latex`` or ``text``).
        data: the document's bytes, read once by the parent process.
        symbols: the kinds declared for it (``-s X=matrix``), as sorted (name, kind) pairs.
    """

    name: str
    kind: str
    data: bytes = field(repr=False)
    symbols: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Entry:
    """One formula of one document (or the one error of a document that could not be checked).

    ``line`` and ``column`` are 1-based; in a notebook ``line`` counts inside the markdown
    cell ``cell`` (1-based, counting every cell of the notebook). A document-level error
    has no position (``line`` is None).
    """

    document: str
    line: int | None
    column: int | None
    latex: str
    status: str
    message: str
    registry: str | None = None
    cell: int | None = None
    correction: str | None = None
    statement: str | None = None
    debug: str | None = field(default=None, compare=False)  # an error's traceback (--debug)

    def to_json(self) -> dict[str, Any]:
        """The record of ``symml check --format json/jsonl``: the documents API's, plus ``cell``."""
        record: dict[str, Any] = {
            "document": self.document,
            "line": self.line,
            "column": self.column,
            "latex": self.latex,
            "status": self.status,
            "message": self.message,
            "registry": self.registry,
            "class": self.statement,
        }
        if self.cell is not None:
            record["cell"] = self.cell
        if self.correction is not None:
            record["correction"] = self.correction
        return record

    @property
    def where(self) -> str:
        """``12:3``, ``cell 4, line 2`` or ``-`` (a document-level error)."""
        if self.line is None:
            return "-"
        if self.cell is not None:
            return f"cell {self.cell}, line {self.line}"
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class DocumentResult:
    """Everything ``symml check`` says about one document, in document order.

    Attributes:
        document: the document's name.
        entries: one Entry per formula; a document that could not be checked has a single
            Entry with status ``error`` and no position.
        bad_input: the document itself is at fault (not UTF-8, an invalid notebook): the
            run exits 2 and the message is also printed on stderr.
        fingerprint: what produced the result (symml version, registry and code
            fingerprints); a result from a worker running another symml is not trusted.
        cached: the result came from the cache.
        timed_out: bounded computations (simplify, solve, a formula's checks) that ran out
            of time while the document was checked. Such a result depends on the machine's
            load as well as on the document, so it is not cached.
    """

    document: str
    entries: tuple[Entry, ...]
    bad_input: bool = False
    fingerprint: str = ""
    cached: bool = False
    timed_out: int = 0

    @property
    def error(self) -> str | None:
        """The message of a document-level error, else None."""
        if len(self.entries) == 1 and self.entries[0].line is None:
            return self.entries[0].message
        return None

    def counts(self) -> dict[str, int]:
        """found, verified, refuted, unparsed, broken, errors (the report's summary row)."""
        formulas = [e for e in self.entries if e.line is not None]
        return {
            "found": len(formulas),
            "verified": sum(e.status == "verified" for e in formulas),
            "refuted": sum(e.status == "refuted" for e in formulas),
            "unparsed": sum(e.status == "unparsed" for e in formulas),
            "broken": sum(e.status == "broken" for e in formulas),
            "errors": sum(e.status == "error" for e in self.entries),
        }

    def renamed(self, document: str) -> DocumentResult:
        """The same result under another name (a cache hit for a file with the same bytes)."""
        entries = tuple(replace(e, document=document) for e in self.entries)
        return replace(self, document=document, entries=entries)


def document_error(document: str, message: str, *, bad_input: bool = False) -> DocumentResult:
    """The result of a document that could not be checked (one ``error`` entry)."""
    entry = Entry(document, None, None, "", "error", message)
    return DocumentResult(document, (entry,), bad_input=bad_input)
