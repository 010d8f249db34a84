"""The values of a document check: a formula as found, its status, its verdict.

``_extract`` and ``_plain`` make :class:`Found` values, ``_claims`` gives each a
:class:`Status`, and ``check_document`` returns one :class:`FormulaCheck` per formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Found", "FormulaCheck", "Status"]


class Status(str, Enum):
    """What became of one formula."""

    OK = "ok"  # parsed; nothing to check, or a definition (matched against the registry)
    VERIFIED = "verified"  # a claim that was computed and holds
    REFUTED = "refuted"  # a claim that was computed and fails (message has a counterexample)
    UNPARSED = "unparsed"  # the LaTeX parser rejected it (message has the reason)
    BROKEN = "broken"  # a broken math block
    UNCHECKED = "unchecked"  # parsed, but its claim cannot be computed (message says why)


@dataclass(frozen=True)
class Found:
    """A formula as found in the text.

    Attributes:
        line: 1-based line of its first character.
        column: 1-based column of its first character.
        source: the text as written.
        latex: the LaTeX to parse (plain-text math already converted).
        kind: display | inline | environment | table | fence | code.
        problem: why the block is broken, else None.
        role: formula | range | derivative (range and derivative: table cells about ``subject``).
        subject: for a range/derivative cell, the LaTeX of its row's formula.
        title: the row name of a table formula (``Sigmoid``), else None.
    """

    line: int
    column: int
    source: str
    latex: str
    kind: str
    problem: str | None = None
    role: str = "formula"
    subject: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class FormulaCheck:
    """The verdict on one formula; ``registry`` names the matching registry entry, if any."""

    document: str
    line: int
    column: int
    latex: str
    status: Status
    message: str
    registry: str | None = None

    def to_json(self) -> dict:
        """The JSON object of one formula in ``symml check --json``."""
        return {
            "document": self.document,
            "line": self.line,
            "column": self.column,
            "latex": self.latex,
            "status": self.status.value,
            "message": self.message,
            "registry": self.registry,
        }
