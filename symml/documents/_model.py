"""The values of a document check: a formula as found, its status, its verdict.

``_extract`` and ``_plain`` make :class:`Found` values, ``_claims`` gives each a
:class:`Status`, and ``check_document`` returns one :class:`FormulaCheck` per formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Found", "FormulaCheck", "Statement", "Status"]


class Status(str, Enum):
    """What became of one formula."""

    OK = "ok"  # parsed; nothing to check, or a definition (matched against the registry)
    VERIFIED = "verified"  # a claim that was computed and holds
    REFUTED = "refuted"  # a claim that was computed and fails (message has a counterexample)
    UNPARSED = "unparsed"  # the LaTeX parser rejected it (message has the reason)
    BROKEN = "broken"  # a broken math block
    UNCHECKED = "unchecked"  # parsed, but its claim cannot be computed (message says why)
    ERROR = "error"  # symml itself failed on this formula (the others are still checked)


class Statement(str, Enum):
    """What a formula states, decided from the formula and the sentence around it.

    Only the claims (identity, derivation, derivative, property, approximation) can be
    refuted; a definition is compared with the registry; the others are never refuted.
    """

    DEFINITION = "definition"  # f(x) = ..., y = f(x) = ...: names something
    IDENTITY = "identity"  # a = b for all values: (a + b)^2 = ..., sin^2 x + cos^2 x = 1
    DERIVATION = "derivation"  # a = b = c: each step follows from the one before
    DERIVATIVE = "derivative"  # d/dx f = ...
    PROPERTY = "property"  # an inequality that should always hold: x^2 >= 0
    CONDITION = "condition"  # lambda > 0, t >= 1, or any relation after "for", "if", "where"
    ASSUMPTION = "assumption"  # after "assume", "suppose", "let"
    ASSIGNMENT = "assignment"  # k_h = k_w = 4, alpha = 0.01: a value chosen
    UPDATE = "update"  # theta = theta - alpha grad J, x_{t+1} = f(x_t)
    APPROXIMATION = "approximation"  # \approx, \sim, or = a decimal (rounded)
    NOTATION = "notation"  # a bare symbol, an interval or a set
    EXPRESSION = "expression"  # an expression that states nothing
    EQUATION = "equation"  # an equation to solve (the sides use different unknowns)


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
    statement: Statement | None = None
    correction: str | None = None  # for a refutation: the registry's form, when it has one
    debug: str | None = None  # for an error: the traceback (``--debug`` prints it)

    def to_json(self) -> dict:
        """The JSON object of one formula in ``symml check --json``."""
        out = {
            "document": self.document,
            "line": self.line,
            "column": self.column,
            "latex": self.latex,
            "status": self.status.value,
            "message": self.message,
            "registry": self.registry,
            "class": self.statement.value if self.statement else None,
        }
        if self.correction is not None:
            out["correction"] = self.correction
        return out
