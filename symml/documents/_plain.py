"""Formulas written as plain text: Markdown table cells, unlabelled fences, backtick spans.

Part of :func:`symml.documents._extract.extract`. A table row's first plain-text-math cell is its
formula, an interval after it is the formula's stated range and a cell using ``f(x)`` its
stated derivative; each line of an unlabelled fence is a formula (continuation lines
``= ...`` joined to it, prose prefixes such as ``minimize:`` dropped); a backtick span of
prose is a formula when it states an equation. The text is converted to LaTeX by
:func:`symml.latex._unicode.to_latex`.
"""

from __future__ import annotations

import re

from symml.documents._model import Found
from symml.latex import plain_to_latex as to_latex

_TABLE_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def is_code_equation(body: str) -> bool:
    """A backtick span of prose that states an equation: ``σ'(x) = σ(x)(1 - σ(x))``."""
    body = body.strip()
    if not re.search(r"(?<![=!<>])=(?!=)", body):
        return False
    if re.search(r"\b(np|def|import|return|self|print|lambda)\b|[\[\]]\s*=|\.\w+\(|==", body):
        return False
    return True


# Words that may appear in plain-text math; any other word of 3+ letters is prose.
_MATH_WORDS = {
    "sum",
    "sqrt",
    "log",
    "ln",
    "exp",
    "max",
    "min",
    "inf",
    "grad",
    "integral",
    "softmax",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sign",
    "theta",
    "alpha",
    "beta",
    "gamma",
    "delta",
    "lambda",
    "sigma",
    "mu",
    "pi",
    "xi",
    "eta",
    "epsilon",
    "hat",
    "lim",
    "relu",
    "mse",
    "var",
    "cov",
}
INTERVAL = re.compile(
    r"^\s*[(\[]\s*([-+]?(?:\d+(?:\.\d+)?|inf|∞))\s*,\s*"
    r"([-+]?(?:\d+(?:\.\d+)?|inf|∞))\s*[)\]]\s*$"
)


def _looks_like_math(cell: str) -> bool:
    """Plain-text math in a table cell: operators or brackets, no prose words."""
    text = cell.strip()
    if not text or not re.search(r"[=/^()\[\]*+\-|]|\d", text):
        return False
    for word in re.findall(r"[A-Za-z]+", text.replace("_hat", "")):
        if word.lower() in _MATH_WORDS:
            continue
        if len(word) >= 3 or word.lower() in {"or", "if", "to", "of", "in", "is", "as", "vs"}:
            return False
    return True


def table_row(line: str, lineno: int) -> list[Found]:
    if _TABLE_SEPARATOR.match(line):
        return []
    cells = _cells(line)
    out: list[Found] = []
    subject: Found | None = None
    title = None
    for start, cell in cells:
        text = cell.strip()
        col = start + len(cell) - len(cell.lstrip()) + 1
        if not _looks_like_math(text):
            if subject is None and text:
                title = text
            continue
        if subject is not None and INTERVAL.match(text):
            role, latex = "range", _interval_latex(text)
        elif subject is not None and "f(x)" in text.replace(" ", ""):
            role, latex = "derivative", to_latex(text)
        else:
            found = Found(lineno, col, text, to_latex(text), "table", title=title)
            subject = subject or found
            out.append(found)
            continue
        out.append(
            Found(lineno, col, text, latex, "table", role=role, subject=subject.latex, title=title)
        )
    return out


def _interval_latex(text: str) -> str:
    return re.sub(r"\binf\b|∞", r"\\infty", text.strip())


def _cells(line: str) -> list[tuple[int, str]]:
    """Cells of a table row, split at '|' outside parentheses; (offset, text) pairs."""
    out, depth, start = [], 0, None
    for k, ch in enumerate(line):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "|" and depth == 0:
            if start is not None:
                out.append((start, line[start:k]))
            start = k + 1
    return out


_PROSE_PREFIX = re.compile(r"^\s*(minimize|maximize|subject to|where|s\.t\.)\s*:?\s*", re.I)
_PROSE_SPLIT = re.compile(r"\s+such that\s+")
_WHERE = re.compile(r"\s+where\s+.*$")


def fence_formulas(lines: list[str], first_line: int) -> list[Found]:
    """Formulas of an unlabelled fence: one per line, continuation lines joined."""
    out: list[Found] = []
    pending: list = []  # [line, col, source, text] of a formula being continued
    for k, raw in enumerate(lines):
        lineno = first_line + k
        if not raw.strip():
            continue
        col = len(raw) - len(raw.lstrip()) + 1
        text = raw.strip()
        if pending and (text.startswith("=") or pending[3].rstrip().endswith("=")):
            pending[2] += "\n" + raw
            pending[3] += " " + _strip_comment(text)
            continue
        if pending:
            out.append(_fence_found(*pending))
        pending = [lineno, col, text, _strip_comment(text)]
    if pending:
        out.append(_fence_found(*pending))
    return out


def _fence_found(line: int, col: int, source: str, text: str) -> Found:
    prefix = _PROSE_PREFIX.match(text)
    if prefix:
        col += prefix.end()
        text = text[prefix.end() :]
    parts = _PROSE_SPLIT.split(text)
    if len(parts) > 1:
        col += text.rfind(parts[-1])
        text = parts[-1]
    text = _WHERE.sub("", text)
    return Found(line, col, source, to_latex(text), "fence")


def _strip_comment(text: str) -> str:
    """Drop a trailing parenthesised remark: ``(for single example i)``, ``(e.g., 0.01)``."""
    m = re.search(r"\s\(([^()]*)\)\s*$", text)
    if m and re.search(r"\b(e\.g|i\.e|for|if|output|hidden|identity|size)\b|[a-z]{4,}", m.group(1)):
        return text[: m.start()].rstrip()
    return text
