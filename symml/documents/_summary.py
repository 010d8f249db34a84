"""Counts of a document check: the summary line, and the rows worth listing.

:func:`summary` is the one line the CLI prints per document (found, parsed, verified,
refuted, broken, errors); :func:`summarise` adds the counts per statement class and
status; :func:`listed` leaves out the rows a reader does not need one by one (bare
symbols and other notation) unless ``everything`` is asked for; :func:`exit_status` is
the command's exit status for a set of results.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from symml.documents._model import FormulaCheck, Statement, Status

__all__ = ["Summary", "exit_status", "listed", "summarise", "summary"]

#: Statuses that make ``symml check`` exit 1.
FAILING = (Status.REFUTED, Status.BROKEN, Status.ERROR)


@dataclass(frozen=True)
class Summary:
    """Counts of one document's (or several documents') checks."""

    found: int
    parsed: int
    by_status: dict[str, int]
    by_class: dict[str, int]
    notation: int  # rows of bare symbols and notation, summarised rather than listed

    def line(self, name: str = "") -> str:
        """The summary line: totals, then the counts per class."""
        s = self.by_status
        prefix = f"{name}: " if name else ""
        text = (
            f"{prefix}{self.found} found, {self.parsed} parsed, {s.get('verified', 0)} verified, "
            f"{s.get('refuted', 0)} refuted, {s.get('broken', 0)} broken"
        )
        if s.get("error"):
            text += f", {s['error']} errors"
        if s.get("unparsed"):
            text += f", {s['unparsed']} unparsed"
        if self.by_class:
            classes = ", ".join(f"{k} {v}" for k, v in sorted(self.by_class.items()))
            text += f" (by class: {classes})"
        return text

    def to_json(self) -> dict:
        return {
            "found": self.found,
            "parsed": self.parsed,
            "status": dict(self.by_status),
            "class": dict(self.by_class),
            "notation": self.notation,
        }


def summarise(checks: list[FormulaCheck]) -> Summary:
    """Counts per status and per statement class.

    Examples:
        >>> from symml.documents import check_text
        >>> summarise(check_text(r"So $x^2 \\geq 0$ for every $m$.", source="a.md")).line()
        '2 found, 2 parsed, 1 verified, 0 refuted, 0 broken (by class: notation 1, property 1)'
    """
    status = Counter(c.status.value for c in checks)
    classes = Counter(c.statement.value for c in checks if c.statement is not None)
    parsed = len(checks) - status["unparsed"] - status["broken"]
    notation = sum(_is_notation(c) for c in checks)
    return Summary(len(checks), parsed, dict(status), dict(classes), notation)


def summary(checks: list[FormulaCheck], name: str = "") -> str:
    """One line: found, parsed, verified, refuted, broken (the CLI prints it per document).

    Examples:
        >>> from symml.documents import check_document
        >>> summary(check_document("$$\\n$$\\n# Next", name="d.md"), "d.md")
        'd.md: 1 found, 0 parsed, 0 verified, 0 refuted, 1 broken'
    """
    return summarise(checks).line(name)


def _is_notation(check: FormulaCheck) -> bool:
    return check.status is Status.OK and check.statement is Statement.NOTATION


def listed(checks: list[FormulaCheck], everything: bool = False) -> list[FormulaCheck]:
    """The rows to print: all of them with ``everything``, else all but bare notation."""
    return list(checks) if everything else [c for c in checks if not _is_notation(c)]


def exit_status(checks: list[FormulaCheck]) -> int:
    """1 when something is refuted, broken or failed, or when nothing could be read; else 0.

    Examples:
        >>> from symml.documents import check_text
        >>> exit_status(check_text(r"$x^2 \\geq 0$", source="a.md"))
        0
        >>> exit_status(check_text(r"$\\bogus{$", source="a.md"))
        1
    """
    if any(c.status in FAILING for c in checks):
        return 1
    if checks and all(c.status is Status.UNPARSED for c in checks):
        return 1  # nothing in the document could be read: not a pass
    return 0
