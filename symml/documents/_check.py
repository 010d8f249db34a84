"""Find the formulas of a Markdown/LaTeX/plain-text document, with positions, and check them.

The pipeline reads top to bottom: :func:`extract` finds every formula (a :class:`Found`
with its 1-based line and column), :func:`check_document` parses each one and checks what
it claims, and returns one frozen :class:`FormulaCheck` per formula.

The stages live in their own modules: ``_extract`` and ``_plain`` (finding formulas),
``_claims`` (what a formula claims), ``_context`` (definitions and registry matching),
``_compare`` (are two sides equal); ``_model`` holds the values.

What counts as a formula:

- ``$$...$$``, ``\\[...\\]`` and ``equation``/``align``/``gather``/``multline`` environments
  (starred or not): one formula per block, or per row (and per ``\\quad``-separated
  equation) of an align-like environment;
- ``$...$`` and ``\\(...\\)`` inline;
- cells of Markdown tables written as plain-text math (``| Sigmoid | 1/(1+e^-x) | (0, 1) |
  f(x)(1-f(x)) |``): the first such cell of a row is the formula, an interval after it is
  its stated range, a cell using ``f(x)`` is its stated derivative;
- lines of *unlabelled* code fences written in plain-text notation (``σ(x) = 1 / (1 +
  e^(-x))``), continuation lines (``      = ...``) joined to the formula above; labelled fences
  (python, rust, ...) are code, never math;
- backtick spans of prose lines that hold an equation (`` `σ'(x) = σ(x)(1 - σ(x))` ``).

Undelimited text (a plain-text file of Python code) has no formulas.

A broken block (a ``$$`` that never closes, that swallows a heading, a ``---`` rule or a
blank paragraph, or that is empty) is reported at the line that opened it; extraction
resumes at the line that broke it, so the rest of the document is found as if the block
were not there.
"""

from __future__ import annotations

from pathlib import Path

from symml.documents._claims import Unparsed, parse_formula, range_claim, table_derivative
from symml.documents._context import Context
from symml.documents._extract import extract
from symml.documents._model import FormulaCheck, Found, Status

#: Seconds allowed for the checks of one formula (parse excluded).
CHECK_TIMEOUT = 20.0


def check_document(
    path_or_text: str | Path, *, name: str | None = None, timeout: float | None = CHECK_TIMEOUT,
    literal: bool = False,
) -> list[FormulaCheck]:
    """Find and check every formula of a document.

    Args:
        path_or_text: a path to a document (a ``Path``, or a string naming an existing file),
            or the text itself.
        name: the document name in the results (default: the file name, or ``<text>``).
        timeout: seconds allowed for the checks of one formula; ``None`` is unbounded.
        literal: ``path_or_text`` is the text, even if it happens to name a file.

    Returns:
        One FormulaCheck per formula found, in document order.

    Examples:
        >>> [c.status.value for c in check_document("$$\\n$$\\n# Next", name="doc.md")]
        ['broken']
    """
    text, name = (str(path_or_text), name or "<text>") if literal else _read(path_or_text, name)
    context = Context(timeout=timeout)
    return [_check(found, name, context) for found in extract(text)]


def _read(path_or_text: str | Path, name: str | None) -> tuple[str, str]:
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8"), name or path_or_text.name
    if "\n" not in path_or_text and len(path_or_text) < 4096:
        candidate = Path(path_or_text)
        if candidate.suffix and candidate.is_file():
            return candidate.read_text(encoding="utf-8"), name or candidate.name
    return path_or_text, name or "<text>"


def _check(found: Found, document: str, ctx: Context) -> FormulaCheck:
    def result(status: Status, message: str, registry: str | None = None) -> FormulaCheck:
        return FormulaCheck(
            document,
            found.line,
            found.column,
            found.latex or found.source,
            status,
            message,
            registry,
        )

    if found.problem:
        return result(Status.BROKEN, found.problem)
    from symml.errors import SymmlTimeout

    try:
        if found.role == "range":
            return result(*range_claim(found, ctx))
        if found.role == "derivative":
            return result(*table_derivative(found, ctx))
        return result(*parse_formula(found, ctx))
    except Unparsed as e:
        return result(Status.UNPARSED, str(e))
    except SymmlTimeout as e:
        return result(Status.UNCHECKED, f"the check ran out of time: {e}")


def summary(checks: list[FormulaCheck], name: str = "") -> str:
    """One line: found, parsed, verified, refuted, broken (the CLI prints it per document).

    Examples:
        >>> summary(check_document("$$\\n$$\\n# Next", name="d.md"), "d.md")
        'd.md: 1 found, 0 parsed, 0 verified, 0 refuted, 1 broken'
    """
    count = {s: sum(c.status is s for c in checks) for s in Status}
    parsed = len(checks) - count[Status.UNPARSED] - count[Status.BROKEN]
    prefix = f"{name}: " if name else ""
    return (
        f"{prefix}{len(checks)} found, {parsed} parsed, {count[Status.VERIFIED]} verified, "
        f"{count[Status.REFUTED]} refuted, {count[Status.BROKEN]} broken"
    )
