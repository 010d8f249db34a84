"""The per-document function: one Source in, one DocumentResult out.

:func:`check_source` is what every executor runs (in-process, the local pool, Dask), so a
document's result is the same whatever runs it. It is the one place that calls the
documents API (``symml.documents.check_document``); notebooks are read here with nbformat:
only markdown cells are checked, each as a Markdown document, and code cells are never run.
"""

from __future__ import annotations

from typing import Any

from symml.corpus._fingerprint import fingerprint
from symml.corpus._model import DocumentResult, Entry, Source, document_error

#: Seconds allowed for the checks of one formula (the documents API's default).
FORMULA_TIMEOUT = 20.0

#: A notebook cell's kind whose text is checked; every other cell is skipped.
_MARKDOWN = "markdown"


def check_source(source: Source, formula_timeout: float | None = FORMULA_TIMEOUT) -> DocumentResult:
    """Check every formula of one document.

    Args:
        source: the document (its bytes are decoded here, so a worker reports bad input).
        formula_timeout: seconds for the checks of one formula; ``None`` is unbounded.

    Returns:
        The document's entries in document order, or a single ``error`` entry (with
        ``bad_input``) for a document that is not UTF-8 or not a valid notebook.

    Examples:
        >>> from symml.corpus import Source
        >>> result = check_source(Source("d.md", "markdown", b"$$\\n$$\\n# Next"))
        >>> [(e.line, e.status) for e in result.entries]
        [(1, 'broken')]
        >>> print(check_source(Source("n.ipynb", "notebook", b"{}")).error)
        n.ipynb: not a valid notebook: no 'nbformat' version (a JSON object expected)
    """
    from symml.workers import timeouts

    before = timeouts()
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as e:
        return _stamped(
            document_error(
                source.name,
                f"{source.name} is not UTF-8 text ({e.reason} at byte {e.start})",
                bad_input=True,
            ),
            0,
        )
    if source.kind == "notebook":
        result = _check_notebook(source, text, formula_timeout)
    else:
        checks = _check_text(text, source.name, source.kind, formula_timeout, source.symbols)
        result = DocumentResult(source.name, tuple(_entry(c) for c in checks))
    return _stamped(result, timeouts() - before)


def _stamped(result: DocumentResult, timed_out: int) -> DocumentResult:
    from dataclasses import replace

    return replace(result, fingerprint=fingerprint(), timed_out=timed_out)


def _check_text(
    text: str,
    name: str,
    fmt: str,
    formula_timeout: float | None,
    symbols: tuple[tuple[str, str], ...] = (),
) -> list[Any]:
    """The one call of the documents API's per-document entry point."""
    from symml.documents import check_text

    return check_text(text, source=name, format=fmt, timeout=formula_timeout, symbols=dict(symbols))


def _entry(check: Any, cell: int | None = None) -> Entry:
    """A documents-API FormulaCheck as a corpus Entry."""
    return Entry(
        document=check.document,
        line=check.line,
        column=check.column,
        latex=check.latex,
        status=check.status.value,
        message=check.message,
        registry=check.registry,
        cell=cell,
        correction=check.correction,
        statement=check.statement.value if check.statement is not None else None,
        debug=check.debug,
    )


def _check_notebook(document: Source, text: str, formula_timeout: float | None) -> DocumentResult:
    name = document.name
    cells = read_notebook(name, text)
    if isinstance(cells, str):
        return document_error(name, cells, bad_input=True)
    entries = []
    for number, source in cells:
        checks = _check_text(source, name, _MARKDOWN, formula_timeout, document.symbols)
        entries.extend(_entry(c, cell=number) for c in checks)
    return DocumentResult(name, tuple(entries))


def read_notebook(name: str, text: str) -> list[tuple[int, str]] | str:
    """The markdown cells of a notebook as ``(cell number, text)``, or why it is invalid.

    Cells are numbered from 1 counting every cell (code and raw ones too), so ``cell 4``
    is the fourth cell a reader sees. The notebook is validated against its nbformat schema;
    nothing of it is executed.

    Examples:
        >>> print(read_notebook("n.ipynb", "[1, 2]"))
        n.ipynb: not a valid notebook: no 'nbformat' version (a JSON object expected)
    """
    import json

    import nbformat

    try:
        data = json.loads(text)
    except ValueError as e:
        return f"{name}: not a valid notebook: not JSON ({e})"
    if not isinstance(data, dict) or "nbformat" not in data:
        return f"{name}: not a valid notebook: no 'nbformat' version (a JSON object expected)"
    try:
        nbformat.validate(data)  # as written, before any conversion to version 4
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as e:  # noqa: BLE001  (nbformat raises many kinds; the message says which)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"{name}: not a valid notebook: {first[:300]}"
    return [
        (number, cell.source)
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == _MARKDOWN
    ]
