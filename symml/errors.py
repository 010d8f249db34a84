"""The exception hierarchy. Everything symml raises on bad input is a SymmlError.

The CLI turns a SymmlError into a one-line message on stderr and exit status 2
(1 for a check that ran and failed, see VerificationError).
"""

from __future__ import annotations

__all__ = [
    "DerivationError",
    "ParseError",
    "RegistryError",
    "SymmlError",
    "SymmlTimeout",
    "VerificationError",
    "WorkerDied",
]


class SymmlError(Exception):
    """Root of every error symml raises on purpose."""


class ParseError(SymmlError, ValueError):
    """LaTeX that cannot be given a meaning.

    Attributes:
        text: the input that failed.
        column: 0-based column of the problem in ``text`` (None if unknown).
        reason: the message without the caret line.
    """

    def __init__(self, reason: str, text: str | None = None, column: int | None = None):
        self.reason = reason
        self.text = text
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        if self.text is None:
            return self.reason
        if self.column is None:
            return f"{self.reason} in {_clip(self.text)!r}"
        return f"{self.reason} at column {self.column + 1} of {_clip(self.text)!r}"

    def caret(self) -> str:
        """Two lines: the input (clipped around the error) and a caret under the column."""
        if self.text is None or self.column is None:
            return ""
        start = max(0, self.column - 40)
        line = self.text[start : start + 80].replace("\n", " ")
        return f"{line}\n{' ' * (self.column - start)}^"


class RegistryError(SymmlError):
    """A registry file, table or field that is malformed; the message names all three."""


class DerivationError(SymmlError):
    """A derivative that cannot be taken (unknown variable, order < 1, not differentiable)."""


class VerificationError(SymmlError):
    """A check that ran and failed; the message names the point, got, expected, tolerance."""


class SymmlTimeout(SymmlError):
    """A bounded computation (simplify, solve, integral, mpmath) ran out of time."""


class WorkerDied(SymmlError):
    """A worker process ended (crashed, was killed, ran out of memory) before it replied."""


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
