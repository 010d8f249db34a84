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

import traceback
from pathlib import Path

from symml.documents._claims import DECLARED, Unparsed, range_claim, table_derivative
from symml.documents._context import Context
from symml.documents._extract import extract_scan
from symml.documents._markdown import extract_markdown
from symml.documents._model import FormulaCheck, Found, Statement, Status
from symml.documents._sentence import sentence_before
from symml.documents._statements import parse_formula

#: Seconds allowed for the checks of one formula (parse excluded).
CHECK_TIMEOUT = 20.0

#: The formats a text can be read as, and the file suffixes that choose them.
FORMATS = {
    "markdown": (".md", ".markdown", ".mdx", ".myst", ".rmd", ".qmd", ".ipynb"),
    "latex": (".tex", ".ltx", ".latex"),
    "text": (".txt", ".text", ".rst"),
}


def format_of(name: str | None) -> str:
    """The format of a document named ``name``: by suffix; Markdown when unknown.

    Examples:
        >>> format_of("notes.tex"), format_of("a.md"), format_of("<stdin>")
        ('latex', 'markdown', 'markdown')
    """
    suffix = Path(name or "").suffix.lower()
    return next((fmt for fmt, suffixes in FORMATS.items() if suffix in suffixes), "markdown")


def extract(text: str, format: str = "markdown") -> list[Found]:
    """Every formula of ``text`` read as ``format`` (markdown, latex or text), in order.

    Markdown is read by markdown-it-py with the dollarmath and amsmath plugins; LaTeX and
    plain text line by line.

    Examples:
        >>> [(f.line, f.latex) for f in extract("Let $x^2$ be.\\n$$\\na = b\\n$$")]
        [(1, 'x^2'), (3, 'a = b')]
    """
    if format not in FORMATS:
        from symml.errors import SymmlError

        raise SymmlError(f"unknown format {format!r}: one of {', '.join(FORMATS)}")
    return extract_markdown(text) if format == "markdown" else extract_scan(text)


def check_text(
    text: str,
    *,
    source: str = "<text>",
    format: str | None = None,
    timeout: float | None = CHECK_TIMEOUT,
    symbols: dict[str, str] | None = None,
) -> list[FormulaCheck]:
    """Find and check every formula of one document's text: the per-document entry point.

    A plain top-level function of plain values (picklable, for process pools and Dask).
    One formula that makes symml fail is status ``error`` (its traceback in ``debug``);
    the others are still checked.

    Args:
        text: the document's text.
        source: its name in the results (its format is guessed from the suffix).
        format: markdown, latex or text (default: from ``source``'s suffix, else markdown).
        timeout: seconds allowed for the checks of one formula; ``None`` is unbounded.
        symbols: declared kinds by name (``{"X": "matrix", "w": "vector"}``), as ``-s``
            gives them: every formula of the document is parsed with them.

    Returns:
        One FormulaCheck per formula found, in document order.

    Examples:
        >>> [c.status.value for c in check_text(r"Let \\\\(t \\geq 1\\\\).", source="a.md")]
        ['ok']
    """
    fmt = format or format_of(source)
    context = Context(timeout=timeout)
    # -s y=simplex: y is a distribution in every formula of the document
    context.simplex |= {n for n, kind in (symbols or {}).items() if kind.startswith("simplex")}
    lines = text.splitlines()
    token = DECLARED.set(dict(symbols or {}))
    try:
        return [
            _check(found, source, context, sentence_before(lines, found.line, found.column))
            for found in extract(text, fmt)
        ]
    finally:
        DECLARED.reset(token)


def check_document(
    path_or_text: str | Path,
    *,
    name: str | None = None,
    timeout: float | None = CHECK_TIMEOUT,
    literal: bool = False,
    format: str | None = None,
) -> list[FormulaCheck]:
    """Find and check every formula of a document.

    Args:
        path_or_text: a path to a document (a ``Path``, or a string naming an existing file),
            or the text itself.
        name: the document name in the results (default: the file name, or ``<text>``).
        timeout: seconds allowed for the checks of one formula; ``None`` is unbounded.
        literal: ``path_or_text`` is the text, even if it happens to name a file.
        format: markdown, latex or text (default: from the name's suffix, else markdown).

    Returns:
        One FormulaCheck per formula found, in document order.

    Examples:
        >>> [c.status.value for c in check_document("$$\\n$$\\n# Next", name="doc.md")]
        ['broken']
    """
    text, name = (str(path_or_text), name or "<text>") if literal else _read(path_or_text, name)
    return check_text(text, source=name, format=format, timeout=timeout)


def _read(path_or_text: str | Path, name: str | None) -> tuple[str, str]:
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8"), name or path_or_text.name
    if "\n" not in path_or_text and len(path_or_text) < 4096:
        candidate = Path(path_or_text)
        if candidate.suffix and candidate.is_file():
            return candidate.read_text(encoding="utf-8"), name or candidate.name
    return path_or_text, name or "<text>"


def _check(found: Found, document: str, ctx: Context, sentence: str) -> FormulaCheck:
    def result(
        status: Status,
        message: str,
        registry: str | None = None,
        statement: Statement | None = None,
        correction: str | None = None,
        debug: str | None = None,
    ) -> FormulaCheck:
        return FormulaCheck(
            document,
            found.line,
            found.column,
            found.latex or found.source,
            status,
            message,
            registry,
            statement,
            correction,
            debug,
        )

    if found.problem:
        return result(Status.BROKEN, found.problem)
    from symml.errors import SymmlTimeout

    try:
        if found.role == "range":
            return result(*range_claim(found, ctx), Statement.PROPERTY)
        if found.role == "derivative":
            return result(*table_derivative(found, ctx), Statement.DERIVATIVE)
        return result(*parse_formula(found, ctx, sentence))
    except Unparsed as e:
        return result(Status.UNPARSED, str(e))
    except SymmlTimeout as e:
        return result(Status.UNCHECKED, f"the check ran out of time: {e}")
    except RecursionError as e:  # SymPy recursing past the limit: symml failed here
        return result(
            Status.ERROR,
            f"symml failed on this formula: RecursionError: {e}",
            debug=traceback.format_exc(),
        )
    except Exception as e:  # noqa: BLE001 - recorded as this formula's error, never hidden
        # one formula that symml cannot handle must not lose the document: it is reported
        # with its reason (the traceback under --debug) and the next formula is checked
        reason = " ".join(str(e).split())[:200] or "no message"
        return result(
            Status.ERROR,
            f"symml failed on this formula: {type(e).__name__}: {reason}",
            debug=traceback.format_exc(),
        )
