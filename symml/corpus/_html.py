"""The HTML report: one self-contained page, math as MathML, nothing from a document trusted.

The page has a summary table (a row per document: found, verified, refuted, unparsed,
broken, errors), then, per document, its refuted, broken and error entries with the
position, the formula as MathML (SymPy's presentation printer; browsers render MathML
natively, so no JavaScript, no fonts or scripts fetched), its LaTeX, the message and the
correction.

Everything that comes from a document is escaped. SymPy's MathML printer does *not* escape
symbol names (a symbol called ``<script>`` prints as ``<mi><script></mi>``), so its output
is parsed as XML and rebuilt from an allowlist of MathML elements and attributes; anything
else (or anything that does not parse) shows the LaTeX as escaped text instead. A
Content-Security-Policy forbids scripts and every fetch, in case a browser were ever tricked.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from symml.corpus._model import DocumentResult, Entry

#: The entries shown in full (the others are only counted in the summary).
SHOWN = ("refuted", "broken", "error")

#: Seconds to parse and print one formula for the report.
RENDER_TIMEOUT = 10.0

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.refuted { color: #a00; font-weight: bold; }
.broken, .error { color: #a60; font-weight: bold; }
code { font-size: 0.85em; color: #555; white-space: pre-wrap; word-break: break-all; }
math { font-size: 1.2em; }
.formula math { display: block; margin: 0.2em 0; }
"""

_COLUMNS = ("found", "verified", "refuted", "unparsed", "broken", "errors")

_MATHML_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mfenced "
    "mover munder munderover mtable mtr mtd mstyle merror mpadded mphantom menclose".split()
)
_MATHML_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator form lspace rspace open close separators "
    "accent accentunder linethickness columnalign rowalign width height depth notation "
    "movablelimits largeop symmetric".split()
)

_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})

_OPERATORS = {"=": "=", "<": "<", ">": ">", r"\leq": "≤", r"\geq": "≥", r"\neq": "≠",
              r"\approx": "≈", ":=": "≔", r"\propto": "∝", r"\equiv": "≡", r"\sim": "∼",
              r"\ll": "≪", r"\gg": "≫", r"\le": "≤", r"\ge": "≥"}  # fmt: skip


def html_report(results: Sequence[DocumentResult], *, render: bool = True) -> str:
    """The report page for ``results`` (one per document, in order).

    Args:
        results: what :func:`check_corpus` yielded.
        render: print formulas as MathML (parsing each shown formula again, bounded);
            ``False`` shows their LaTeX only.

    Examples:
        >>> from symml.corpus import Entry, DocumentResult
        >>> bad = Entry("<b>.md", 1, 1, "x<y", "refuted", "</td><script>", None)
        >>> page = html_report([DocumentResult("<b>.md", (bad,))], render=False)
        >>> "<script>" in page, "&lt;/td&gt;&lt;script&gt;" in page
        (False, True)
    """
    shown = [[e for e in r.entries if e.status in SHOWN] for r in results]
    latexes = sorted({e.latex for entries in shown for e in entries if e.latex})
    maths = _render_all(latexes) if render else {}
    totals = {c: sum(r.counts()[c] for r in results) for c in _COLUMNS}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>symml check report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>symml check</h1>",
        f"<p>{len(results)} documents, {totals['found']} formulas: {totals['verified']} verified, "
        f"{totals['refuted']} refuted, {totals['unparsed']} unparsed, {totals['broken']} broken, "
        f"{totals['errors']} errors.</p>",
        _summary(results),
    ]
    for k, (result, entries) in enumerate(zip(results, shown, strict=True)):
        if entries:
            parts.append(_section(k, result, entries, maths))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _summary(results: Sequence[DocumentResult]) -> str:
    head = "".join(f"<th>{c}</th>" for c in ("document", *_COLUMNS))
    rows = []
    for k, result in enumerate(results):
        counts = result.counts()
        name = _esc(result.document)
        if any(e.status in SHOWN for e in result.entries):
            name = f'<a href="#doc-{k}">{name}</a>'
        cells = "".join(f'<td class="n">{counts[c]}</td>' for c in _COLUMNS)
        rows.append(f"<tr><td>{name}</td>{cells}</tr>")
    body = "".join(rows)
    return f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _section(k: int, result: DocumentResult, entries: Iterable[Entry], maths: dict) -> str:
    rows = []
    for e in entries:
        formula = maths.get(e.latex) or ""
        latex = f"<code>{_esc(e.latex)}</code>" if e.latex else ""
        status = _esc(e.status)
        rows.append(
            f'<tr><td>{_esc(e.where)}</td><td class="{status}">{status}</td>'
            f'<td class="formula">{formula}{latex}</td><td>{_esc(e.message)}</td>'
            f"<td>{_esc(e.correction or '')}</td></tr>"
        )
    head = "".join(f"<th>{c}</th>" for c in ("where", "status", "formula", "message", "correction"))
    return (
        f'<section id="doc-{k}"><h2>{_esc(result.document)}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _render_all(latexes: list[str]) -> dict[str, str]:
    """MathML per LaTeX (those that parse, print and pass the allowlist), each bounded."""
    if not latexes:
        return {}
    from symml.errors import SymmlError
    from symml.workers import run_bounded

    found = {}
    for latex in latexes:
        try:
            math = run_bounded(mathml_of, latex, timeout=RENDER_TIMEOUT)
        except SymmlError:  # unparsable or too slow: the report shows the LaTeX alone
            continue
        if math:
            found[latex] = math
    return found


def mathml_of(latex: str) -> str | None:
    """``<math>`` for a formula, or None if it does not parse or print to safe MathML.

    Examples:
        >>> mathml_of("x^2")
        '<math display="block"><msup><mi>x</mi><mn>2</mn></msup></math>'
        >>> mathml_of(r"\\frac{")  is None
        True
    """
    from symml.errors import SymmlError
    from symml.latex import parse_latex

    try:
        value = parse_latex(latex)
    except (SymmlError, RecursionError, ValueError, TypeError):
        return None
    return mathml(value)


def mathml(value: Any) -> str | None:
    """``<math>`` for a parsed value (expression, Equation, Relation, Aligned), or None.

    SymPy's printer writes symbol names unescaped, so its output is rebuilt from allowlisted
    MathML elements and attributes with every text escaped; what is not that gives None.

    Examples:
        >>> import sympy
        >>> print(mathml(sympy.Symbol("a") + 1))
        <math display="block"><mrow><mi>a</mi><mo>+</mo><mn>1</mn></mrow></math>
        >>> mathml(sympy.Symbol("a&b") + 1) is None  # printed as <mi>a&b</mi>: not XML
        True
        >>> mathml(sympy.Symbol('<img src="x" onerror="alert(1)"/>')) is None
        True
    """
    from symml.latex import Aligned, Equation, Relation

    def row(item: Any) -> str:
        if isinstance(item, Equation):
            return _join([item.lhs, item.rhs], [item.op])
        if isinstance(item, Relation):
            return _join(list(item.parts), list(item.ops))
        return _expr(item)

    try:
        if isinstance(value, Aligned):
            body = (
                "<mtable>"
                + "".join(f"<mtr><mtd>{row(i)}</mtd></mtr>" for i in value.items)
                + "</mtable>"
            )
        else:
            body = row(value)
    except Exception:  # noqa: BLE001  (a value SymPy cannot print: the LaTeX is shown instead)
        return None
    return _sanitized(f'<math display="block">{body}</math>')


def _expr(value: Any) -> str:
    from sympy.printing.mathml import mathml

    return mathml(value, printer="presentation")


def _join(parts: list[Any], ops: list[str]) -> str:
    out = [_expr(parts[0])]
    for op, part in zip(ops, parts[1:], strict=False):
        out.append(f"<mo>{html.escape(_OPERATORS.get(op, op))}</mo>{_expr(part)}")
    return "<mrow>" + "".join(out) + "</mrow>"


def _sanitized(markup: str) -> str | None:
    """``markup`` rebuilt from allowlisted MathML (text escaped), or None if it is not that."""
    import re
    import xml.etree.ElementTree as ET
    from html.entities import html5

    def character(match: re.Match[str]) -> str:  # SymPy writes HTML entities (&dd;, &int;)
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        return html.escape(html5.get(f"{name};", match.group(0)), quote=False)

    try:
        root = ET.fromstring(re.sub(r"&([A-Za-z][A-Za-z0-9]*);", character, markup))
    except ET.ParseError:
        return None
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag not in _MATHML_ELEMENTS:
            return None
        if any(name not in _MATHML_ATTRIBUTES for name in element.attrib):
            return None
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)
