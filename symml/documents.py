"""Find the formulas of a Markdown/LaTeX/plain-text document, with positions, and check them.

The pipeline reads top to bottom: :func:`extract` finds every formula (a :class:`Found`
with its 1-based line and column), :func:`check_document` parses each one and checks what
it claims, and returns one frozen :class:`FormulaCheck` per formula.

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

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from symml.unicode_math import to_latex

__all__ = ["Found", "FormulaCheck", "Status", "check_document", "extract", "summary"]


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
        """The JSON object of ``symml check --json`` (design.md)."""
        return {
            "document": self.document,
            "line": self.line,
            "column": self.column,
            "latex": self.latex,
            "status": self.status.value,
            "message": self.message,
            "registry": self.registry,
        }


# --------------------------------------------------------------------------- extraction

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_RULE = re.compile(r"^\s{0,3}(-{3,}|\*{3,}|_{3,})\s*$")
_BEGIN = re.compile(r"\\begin\{((?:equation|align|gather|multline|eqnarray|flalign)\*?)\}")
_ALIGNED_ENVS = ("align", "gather", "multline", "eqnarray", "flalign")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def extract(text: str) -> list[Found]:
    """Every formula of ``text``, in document order.

    Examples:
        >>> [(f.line, f.latex) for f in extract("Let $x^2$ be.\\n$$\\na = b\\n$$")]
        [(1, 'x^2'), (2, 'a = b')]
    """
    lines = text.splitlines()
    found: list[Found] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            i = _fence(lines, i, fence, found)
            continue
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("$$") and "$$" not in stripped[2:]:
            i = _block(lines, i, indent, "$$", "$$", found)
            continue
        if stripped.startswith("\\[") and "\\]" not in stripped[2:]:
            i = _block(lines, i, indent, "\\[", "\\]", found)
            continue
        begin = _BEGIN.match(stripped)
        if begin and f"\\end{{{begin.group(1)}}}" not in stripped:
            env = begin.group(1)
            i = _block(lines, i, indent, begin.group(0), f"\\end{{{env}}}", found, env=env)
            continue
        found.extend(_inline(line, i + 1))
        i += 1
    return found


def _fence(lines: list[str], i: int, fence: re.Match, found: list[Found]) -> int:
    """Skip a code fence; an unlabelled one is read as plain-text math. Returns the next line."""
    marker, label = fence.group(2), fence.group(3)
    j = i + 1
    while j < len(lines) and not lines[j].lstrip().startswith(marker):
        j += 1
    if not label:
        found.extend(_fence_formulas(lines[i + 1 : j], i + 2))
    return j + 1


def _block(
    lines: list[str],
    i: int,
    indent: int,
    opener: str,
    closer: str,
    found: list[Found],
    env: str | None = None,
) -> int:
    """A multi-line math block opened on line ``i``; returns the line to resume at."""
    start_col = indent + 1
    first = lines[i][indent + len(opener) :]
    parts = [first]
    j = i + 1
    while j < len(lines):
        line = lines[j]
        problem = None
        if _HEADING.match(line):
            problem = f"the heading at line {j + 1} is inside the block"
        elif _RULE.match(line):
            problem = f"the rule '---' at line {j + 1} is inside the block"
        elif not line.strip() and env is None:
            problem = f"the blank line {j + 1} ends the paragraph inside the block"
        elif _FENCE.match(line):
            problem = f"the code fence at line {j + 1} is inside the block"
        if problem:
            content = "\n".join(parts).strip()
            what = "an empty" if not content else "an unterminated"
            closed = _closer_after_blank(lines, j, closer) if content and not line.strip() else None
            if closed is not None:
                # a block split by a blank line and closed below: one broken block, so that
                # its closing line is not read as the opening of another
                found.append(
                    Found(
                        i + 1,
                        start_col,
                        lines[i].strip(),
                        "",
                        "display",
                        problem=f"a {opener} block split by the blank line {j + 1}"
                        f" (closed at line {closed + 1}): Markdown ends "
                        f"the math at the blank line",
                    )
                )
                return closed + 1
            found.append(
                Found(
                    i + 1,
                    start_col,
                    lines[i].strip(),
                    "",
                    "display",
                    problem=f"{what} {opener} block: {problem} (no closing {closer} before it)",
                )
            )
            return j
        k = line.find(closer)
        if k >= 0:
            parts.append(line[:k])
            content = "\n".join(parts)
            if not content.strip():
                found.append(
                    Found(
                        i + 1,
                        start_col,
                        lines[i].strip(),
                        "",
                        "display",
                        problem=f"an empty {opener} block (closed at line {j + 1})",
                    )
                )
            elif env and env.rstrip("*") in _ALIGNED_ENVS:
                found.extend(_rows(content, i + 1, start_col + len(opener)))
            else:
                found.extend(
                    _pieces(
                        content,
                        i + 1,
                        start_col + len(opener),
                        "display" if env is None else "environment",
                    )
                )
            return j + 1
        parts.append(line)
        j += 1
    found.append(
        Found(
            i + 1,
            start_col,
            lines[i].strip(),
            "",
            "display",
            problem=f"an unterminated {opener} block: no closing {closer} "
            f"before the end of the document",
        )
    )
    return j


def _closer_after_blank(lines: list[str], j: int, closer: str) -> int | None:
    """The line that closes a block after the blank line ``j``, if no structure comes first."""
    for k in range(j + 1, len(lines)):
        line = lines[k]
        if _HEADING.match(line) or _RULE.match(line) or _FENCE.match(line) or not line.strip():
            return None
        if line.strip() == closer or line.rstrip().endswith(closer):
            return k
    return None


def _position(content: str, offset: int, line: int, col: int) -> tuple[int, int]:
    """Line and column of ``content[offset]``; content starts at (line, col)."""
    before = content[:offset]
    newlines = before.count("\n")
    if not newlines:
        return line, col + offset
    return line + newlines, offset - before.rfind("\n")


def _pieces(content: str, line: int, col: int, kind: str) -> list[Found]:
    """One formula at the first non-blank character of ``content``."""
    stripped = content.strip()
    offset = len(content) - len(content.lstrip())
    ln, cl = _position(content, offset, line, col)
    latex = " ".join(stripped.split())
    return [Found(ln, cl, stripped, latex, kind)]


def _rows(content: str, line: int, col: int) -> list[Found]:
    """The rows of an align-like environment; a row ``a = b, \\quad c = d`` gives two."""
    out = []
    for start, row in _split_top(content, r"\\"):
        for sub_start, piece in _split_top(row, r"\quad"):
            text = piece.strip().rstrip(",").strip()
            text = re.sub(r"\\(label|tag)\{[^}]*\}|\\nonumber|\\notag", "", text).strip()
            if not text:
                continue
            offset = start + sub_start + (len(piece) - len(piece.lstrip()))
            ln, cl = _position(content, offset, line, col)
            latex = " ".join(text.replace("&", " ").split())
            out.append(Found(ln, cl, piece.strip(), latex, "environment"))
    return out


def _split_top(text: str, sep: str) -> list[tuple[int, str]]:
    """Split at ``sep`` outside braces; returns (offset, piece) pairs."""
    out, depth, start, k = [], 0, 0, 0
    while k < len(text):
        ch = text[k]
        if (
            ch == "\\"
            and text.startswith(sep, k)
            and depth == 0
            and not (
                sep[-1].isalpha() and k + len(sep) < len(text) and text[k + len(sep)].isalpha()
            )
        ):
            out.append((start, text[start:k]))
            k += len(sep)
            start = k
            continue
        if ch == "\\":
            k += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        k += 1
    out.append((start, text[start:]))
    return out


# --- inline math, tables, backticks

_INLINE = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"
    r"|(?<![\\$])\$(?!\s)(?P<d>[^$]+?)(?<![\s\\])\$(?!\d)"
    r"|\\\((?P<p>.+?)\\\)"
    r"|\\\[(?P<b>.+?)\\\]"
    r"|\\begin\{(?P<env>(?:equation|align|gather|multline)\*?)\}(?P<e>.+?)\\end\{(?P=env)\}"
)
_CODE = re.compile(r"(`+)(.+?)\1")


def _inline(line: str, lineno: int) -> list[Found]:
    """Inline math, table cells and backtick equations of one line of prose."""
    out: list[Found] = []
    code_spans = [(m.start(), m.end()) for m in _CODE.finditer(line)]

    def in_code(pos: int) -> bool:
        return any(a <= pos < b for a, b in code_spans)

    for m in _INLINE.finditer(line):
        if in_code(m.start()):
            continue
        group = next(g for g in ("dd", "d", "p", "b", "e") if m.group(g) is not None)
        body = m.group(group)
        kind = "inline" if group in ("d", "p") else "display"
        if not body.strip():
            out.append(
                Found(lineno, m.start() + 1, m.group(0), "", kind, problem="an empty math span")
            )
            continue
        if group == "e" and m.group("env").rstrip("*") in _ALIGNED_ENVS:
            out.extend(_rows(body, lineno, m.start(group) + 1))
            continue
        out.append(Found(lineno, m.start() + 1, body.strip(), " ".join(body.split()), kind))
    if line.lstrip().startswith("|") and "$" not in line:
        out.extend(_table_row(line, lineno))
    for m in _CODE.finditer(line):
        body = m.group(2)
        if _is_code_equation(body):
            start = m.start(2) + len(body) - len(body.lstrip())
            out.append(Found(lineno, start + 1, body.strip(), to_latex(body.strip()), "code"))
    out.sort(key=lambda f: f.column)
    return out


def _is_code_equation(body: str) -> bool:
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
_INTERVAL = re.compile(
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


def _table_row(line: str, lineno: int) -> list[Found]:
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
        if subject is not None and _INTERVAL.match(text):
            out.append(
                Found(
                    lineno,
                    col,
                    text,
                    _interval_latex(text),
                    "table",
                    role="range",
                    subject=subject.latex,
                    title=title,
                )
            )
        elif subject is not None and "f(x)" in text.replace(" ", ""):
            out.append(
                Found(
                    lineno,
                    col,
                    text,
                    to_latex(text),
                    "table",
                    role="derivative",
                    subject=subject.latex,
                    title=title,
                )
            )
        else:
            found = Found(lineno, col, text, to_latex(text), "table", title=title)
            subject = subject or found
            out.append(found)
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


# --- unlabelled fences

_PROSE_PREFIX = re.compile(r"^\s*(minimize|maximize|subject to|where|s\.t\.)\s*:?\s*", re.I)
_PROSE_SPLIT = re.compile(r"\s+such that\s+")
_WHERE = re.compile(r"\s+where\s+.*$")


def _fence_formulas(lines: list[str], first_line: int) -> list[Found]:
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


# --------------------------------------------------------------------------- checking

#: Seconds allowed for the checks of one formula (parse excluded).
CHECK_TIMEOUT = 20.0
#: Points sampled for a numeric comparison, and the relative tolerance.
SAMPLES = 12
RTOL = 1e-6
SEED = 0
#: Differences larger than this (in SymPy operations) are compared numerically only.
SIMPLIFY_OPS = 40


def check_document(
    path_or_text: str | Path, *, name: str | None = None, timeout: float | None = CHECK_TIMEOUT
) -> list[FormulaCheck]:
    """Find and check every formula of a document.

    Args:
        path_or_text: a path to a document (a ``Path``, or a string naming an existing file),
            or the text itself.
        name: the document name in the results (default: the file name, or ``<text>``).
        timeout: seconds allowed for the checks of one formula; ``None`` is unbounded.

    Returns:
        One FormulaCheck per formula found, in document order.

    Examples:
        >>> [c.status.value for c in check_document("$$\\n$$\\n# Next", name="doc.md")]
        ['broken']
    """
    text, name = _read(path_or_text, name)
    context = _Context(timeout=timeout)
    return [_check(found, name, context) for found in extract(text)]


def _read(path_or_text: str | Path, name: str | None) -> tuple[str, str]:
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8"), name or path_or_text.name
    if "\n" not in path_or_text and len(path_or_text) < 4096:
        candidate = Path(path_or_text)
        if candidate.suffix and candidate.is_file():
            return candidate.read_text(encoding="utf-8"), name or candidate.name
    return path_or_text, name or "<text>"


class _Context:
    """What one document run has learnt so far: its definitions, and the registry."""

    def __init__(self, timeout: float | None):
        self.timeout = timeout
        self.defs: dict[str, tuple[tuple, object]] = {}  # name -> (parameters, body)
        self._registry: list | None = None
        self._shapes: list | None = None

    def registry(self) -> list:
        """Registry definitions as (name, title, head, parameters, body) tuples."""
        if self._registry is None:
            self._registry = _registry_definitions()
        return self._registry

    def shapes(self) -> list:
        """Registry bodies as preorder node lists, for matching up to renaming."""
        import sympy as sp

        if self._shapes is None:
            self._shapes = [
                (e[0], list(sp.preorder_traversal(e[4])))
                for e in self.registry()
                if isinstance(e[4], sp.Basic)
            ]
        return self._shapes

    def lookup(self, head: str) -> tuple[tuple, object] | None:
        """A function defined earlier in the document, else in the registry."""
        if head in self.defs:
            return self.defs[head]
        if _GENERIC.match(head):
            return None  # P, f, L: every document means its own; the registry has many
        for _name, _title, reg_head, params, body in self.registry():
            if reg_head == head:
                return params, body
        return None


def _check(found: Found, document: str, ctx: _Context) -> FormulaCheck:
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
            return result(*_range_claim(found, ctx))
        if found.role == "derivative":
            return result(*_table_derivative(found, ctx))
        return result(*_formula(found, ctx))
    except _Unparsed as e:
        return result(Status.UNPARSED, str(e))
    except SymmlTimeout as e:
        return result(Status.UNCHECKED, f"the check ran out of time: {e}")


class _Unparsed(Exception):
    """A formula the LaTeX parser rejected; the message has the reason and the column."""


def _parse(latex: str, offset: int = 0):
    from symml.errors import ParseError
    from symml.latex import parse_latex

    symbols, functions = _hints(latex)
    try:
        return parse_latex(latex, symbols=symbols or None, functions=functions or None)
    except ParseError as e:
        where = f" (column {offset + e.column + 1} of the LaTeX)" if e.column is not None else ""
        raise _Unparsed(f"does not parse: {e.reason}{where}") from e


def _hints(latex: str) -> tuple[dict[str, str], list[str]]:
    """Declarations the notation implies: ``w^T x`` has vectors, ``d(x, y) =`` a function."""
    symbols = {}
    for m in re.finditer(r"\b([a-z])\^\{?(?:T|\\top)\}?\s*\\?([a-z])\b", latex):
        symbols[m.group(1)] = symbols[m.group(2)] = "vector"
    functions = []
    m = re.match(r"\s*(?:\\(hat|tilde|bar)\{([A-Za-z])\}|([A-Za-z]))\s*\(", latex)
    if m:
        functions.append(m.group(3) or f"{m.group(2)}_{m.group(1)}")
    return symbols, functions


def _split_conditions(latex: str) -> list[tuple[int, str]]:
    """``a >= b, c >= 0``: pieces at top-level commas when every piece is a relation."""
    pieces, depth, start = [], 0, 0
    for k, ch in enumerate(latex):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append((start, latex[start:k]))
            start = k + 1
    pieces.append((start, latex[start:]))
    relation = re.compile(r"\\[lg]eq\b|\\neq\b|[<>=]")
    if len(pieces) > 1 and all(relation.search(text) for _, text in pieces):
        return [(off + len(t) - len(t.lstrip()), t.strip()) for off, t in pieces]
    return [(0, latex)]


def _split_equals(latex: str) -> list[tuple[int, str]]:
    """Split a chain ``a = b = c`` (or ``a := b``) at its top-level ``=`` signs."""
    out, depth, start = [], 0, 0
    for k, ch in enumerate(latex):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "=" and depth == 0:
            before, after = latex[k - 1 : k], latex[k + 1 : k + 2]
            if before in "<>!=" and before or after == "=":
                continue
            piece = latex[start:k]
            out.append((start, piece[:-1] if piece.endswith(":") else piece))
            start = k + 1
    out.append((start, latex[start:]))
    return out


_PROSE_WORD = re.compile(r"\\mathrm\{([a-z]{3,})\}|(?<![\\\w])(of|with|to|the)\b")


def _formula(found: Found, ctx: _Context) -> tuple[Status, str, str | None]:
    if found.kind in ("fence", "code"):
        words = sorted({a or b for a, b in _PROSE_WORD.findall(found.latex)})
        if len(words) >= 2 or any(len(w) >= 6 for w in words):
            raise _Unparsed(f"not parsed: prose, not a formula (the words {', '.join(words)})")
    conditions = _split_conditions(found.latex)
    if len(conditions) > 1:  # "y_i(w^T x_i + b) >= 1 - xi_i, xi_i >= 0"
        for offset, text in conditions:
            _parse(text, offset)
        return (
            Status.UNCHECKED,
            f"parsed; a system of {len(conditions)} conditions, not a claim",
            None,
        )
    pieces = _split_equals(found.latex)
    if any(not text.strip() for _, text in pieces):
        raise _Unparsed("does not parse: an equation with an empty side")
    sides = [_parse(text, offset) for offset, text in pieces]
    if len(sides) == 1:
        value = sides[0]
        if hasattr(value, "parts") or hasattr(value, "items"):
            return _property(value, ctx)
        if found.title:
            return _match_expression(value, found.title, ctx)
        return Status.OK, "parsed (an expression, no claim)", None
    for side in sides:
        if hasattr(side, "parts") or hasattr(side, "items"):
            return Status.UNCHECKED, "parsed; a relation inside an equation is not checked", None
    lhs_text = pieces[0][1]
    if _is_derivative_notation(lhs_text, sides[0]):
        return _derivative_claim(sides, ctx)
    head = _definition_head(sides[0])
    if head is not None:
        return _definition(head, sides, ctx)
    return _identity(sides, ctx, "identity")


def _is_derivative_notation(text: str, value) -> bool:
    import sympy as sp

    if isinstance(value, sp.Derivative):
        return True
    return bool(re.search(r"'\s*\(|\\frac\{\s*d|\\frac\{\\partial|\\partial", text))


def _definition_head(value):
    """(name, parameters) when ``value`` is the left side of a definition: ``f(x)``, ``L``."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if isinstance(value, sp.Symbol):
        return value.name, ()
    if isinstance(value, sp.Pow) and isinstance(value.base, sp.Symbol) and value.exp.is_Integer:
        return f"{value.base.name}^{value.exp}", ()  # sigma^2 = ..., MMD^2 = ...
    if isinstance(value, sp.Indexed):
        return str(value.base), ()
    if isinstance(value, AppliedUndef):
        if all(isinstance(a, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)) for a in value.args):
            return value.func.__name__, tuple(value.args)
        return sp.sstr(value), ()  # q(x_t | x_{t-1}) = ...: defines that expression
    if (
        isinstance(value, sp.Function)
        and not isinstance(value, AppliedUndef)
        and all(isinstance(a, sp.Symbol) for a in value.args)
    ):
        return type(value).__name__, tuple(value.args)  # relu(x) = ..., a known ML function
    return None


def _has_ellipsis(value) -> bool:
    return "Ellipsis" in str(value)


def _definition(head, sides, ctx: _Context) -> tuple[Status, str, str | None]:
    name, params = head
    body = sides[1]
    for side in sides[2:]:  # h(x) = w_0 + ... + w_n x_n = w^T x + b: the form without "..."
        if _has_ellipsis(body) and not _has_ellipsis(side):
            body = side
    # an update rule (theta = theta - alpha grad J) is not a definition
    if not params and any(getattr(s, "name", None) == name for s in body.free_symbols):
        return Status.OK, f"parsed (an update of {name})", None
    ctx.defs[name] = (params, body)
    shown = f"{name}({', '.join(map(str, params))})" if params else name
    matched, note = _match_registry(name, params, body, ctx)
    message = f"definition of {shown}" + (f"; {note}" if note else "")
    if len(sides) > 2:
        status, detail, _ = _identity(sides[1:], ctx, "chain")
        return status, f"{message}; {detail}", matched
    return Status.OK, message, matched


def _identity(sides, ctx: _Context, what: str) -> tuple[Status, str, str | None]:
    first = _expand(sides[0], ctx)
    if what == "identity":
        names = [_names(first), _names(_expand(sides[-1], ctx))]
        if names[0] != names[1]:
            return (
                Status.UNCHECKED,
                "an equation in unknowns, not an identity (the sides use "
                f"different symbols: {', '.join(sorted(names[0] ^ names[1]))})",
                None,
            )
    verdicts = []
    for k, side in enumerate(sides[1:], start=2):
        verdict, detail = _compare_bounded(first, _expand(side, ctx), ctx)
        if verdict is False:
            return Status.REFUTED, f"{what}: side {k} differs from side 1: {detail}", None
        verdicts.append((verdict, detail))
    if all(v is True for v, _ in verdicts):
        return Status.VERIFIED, f"{what} holds ({verdicts[-1][1]})", None
    reason = next(d for v, d in verdicts if v is None)
    return Status.UNCHECKED, f"{what} not checked: {reason}", None


def _short(expr, limit: int = 80) -> str:
    import sympy as sp

    text = sp.sstr(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _names(value) -> set[str]:
    """Names of the unknowns: symbols, and the bases of indexed entries (``x`` of ``x[i]``)."""
    import sympy as sp

    if not isinstance(value, sp.Basic):
        return set()
    names = {str(s) for s in value.free_symbols if isinstance(s, sp.Symbol)}
    bound = set()
    for node in value.atoms(sp.Sum, sp.Product, sp.Integral):
        bound |= {str(limit[0]) for limit in node.limits}
    names |= {str(ix.base.label) for ix in value.atoms(sp.Indexed)}
    return names - bound


def _derivative_claim(sides, ctx: _Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    expanded = [_expand(side, ctx, symbols=True) for side in sides]
    for side in expanded:
        if not isinstance(side, sp.Basic):
            continue
        for d in side.atoms(sp.Derivative):
            names = _names(d.expr)
            for var in d.variables:
                name = str(var.base.label) if isinstance(var, sp.Indexed) else str(var)
                if names and name not in names and not isinstance(d.expr, (sp.Symbol, sp.Indexed)):
                    return (
                        Status.UNCHECKED,
                        f"derivative not checked: {_short(d.expr)} "
                        f"(as defined above) does not depend on {name}",
                        None,
                    )
    return _identity(expanded, ctx, "derivative")


def _expand(value, ctx: _Context, rounds: int = 4, symbols: bool = False):
    """Substitute the definitions known so far: document first, then the registry.

    Applied functions (``\\sigma(z)``, ``J(w)``) are substituted wherever they occur. A bare
    name is substituted only where it is differentiated (``\\partial J``, ``dL``), and only
    when ``symbols`` is set (derivative claims): ``y = Xw + b`` must not leak into a later
    ``f(x, y)``.
    """
    import warnings

    import sympy as sp
    from sympy.core.function import AppliedUndef
    from sympy.utilities.exceptions import SymPyDeprecationWarning

    if not isinstance(value, sp.Basic):
        return value

    def apply(app):
        known = ctx.lookup(app.func.__name__)
        if known is None or len(known[0]) != len(app.args) or not known[0]:
            return app
        params, body = known
        vectors = {str(ix.base.label) for ix in getattr(body, "atoms", lambda *_: ())(sp.Indexed)}
        used = {str(p) for p in params} & ({str(s) for s in body.free_symbols} | vectors)
        if not used:
            return app  # a "definition" that ignores its argument is prose, not a function
        for param, arg in zip(params, app.args, strict=True):
            if str(param) in vectors:
                body = _index_vector(body, str(param), arg)
        return body.xreplace(dict(zip(params, app.args, strict=True)))

    def differentiated(d):
        expr = d.expr
        if isinstance(expr, sp.Symbol) and expr.name in ctx.defs:
            body = ctx.defs[expr.name][1]
            if isinstance(body, sp.Expr) and expr not in body.free_symbols:
                return sp.Derivative(body, *d.variable_count)
        return d

    with warnings.catch_warnings():
        # a substitution SymPy deprecates (a Tuple into a Pow) is a substitution that does
        # not fit: it is refused below like the ones that raise
        warnings.simplefilter("error", SymPyDeprecationWarning)
        for _ in range(rounds):
            before = value
            try:
                value = value.replace(lambda e: isinstance(e, AppliedUndef), apply)
                if symbols:
                    value = value.replace(lambda e: isinstance(e, sp.Derivative), differentiated)
            except (TypeError, ValueError, AttributeError, sp.ShapeError, SymPyDeprecationWarning):
                return before  # a definition that does not fit here (shapes, arity)
            if value == before:
                break
    return value


def _compare_bounded(a, b, ctx: _Context):
    from symml.timeouts import run_bounded

    return run_bounded(compare, a, b, timeout=ctx.timeout)


def compare(a, b, seed: int = SEED) -> tuple[bool | None, str]:
    """Are ``a`` and ``b`` equal? See :func:`_compare`; SymPy's refusals become a reason."""
    import sympy as sp

    try:
        return _compare(a, b, seed)
    except (
        TypeError,
        ValueError,
        AttributeError,
        NotImplementedError,
        KeyError,
        IndexError,
        RecursionError,
        ZeroDivisionError,
        sp.ShapeError,
    ) as e:
        return None, f"SymPy cannot compare the sides ({type(e).__name__}: {e})"


def _compare(a, b, seed: int = SEED) -> tuple[bool | None, str]:
    """Are ``a`` and ``b`` equal? (True | False | None, how or why not).

    True when their difference simplifies to 0 or when they agree at every sampled point;
    False only with a numeric counterexample; None when neither can be decided (undefined
    functions, matrices, expectations).
    """
    import numpy as np
    import sympy as sp
    from sympy.core.function import AppliedUndef

    a, b = _evaluate(a), _evaluate(b)
    diff = a - b
    undefined_here = bool(diff.atoms(AppliedUndef))
    # simplify is the slow part: only for small differences, or where sampling cannot help
    small = sp.count_ops(diff) <= SIMPLIFY_OPS and not diff.has(sp.Sum, sp.Product)
    if undefined_here or small:
        try:
            if sp.simplify(diff) == 0:
                return True, "symbolically"
        except (TypeError, ValueError, NotImplementedError, AttributeError):
            pass  # not decided symbolically: the numeric comparison below decides
    undefined = sorted({f.func.__name__ for f in diff.atoms(AppliedUndef)})
    if undefined:
        return None, f"{', '.join(undefined)} not defined (in the document or the registry)"
    if diff.atoms(sp.MatrixSymbol) or diff.has(sp.Derivative) or diff.has(sp.Integral):
        return None, "matrix or unevaluated calculus: no numeric comparison"
    rng = np.random.default_rng(seed)
    integers = [k for k, v in _sample_point(diff, rng).items() if isinstance(v, int)]
    # integers (sum bounds, indices) take two sizes, so that an identity true for one
    # length only is not passed; each size expands the sums once
    agree, how = 0, []
    for size in (3, 4) if integers else (None,):
        fixed = {k: sp.Integer(size) for k in integers}
        verdict, detail, count = _sample_equal(a, b, fixed, rng, seed)
        if verdict is not True:
            return verdict, detail
        agree += count
        how.append(detail)
    if all(h == "written out" for h in how):
        return True, "symbolically, once the sums are written out (lengths 3 and 4)"
    return True, f"numerically at {agree} points (seed {seed})"


def _sample_equal(a, b, fixed: dict, rng, seed: int) -> tuple[bool | None, str, int]:
    """Compare at random points once the integers are ``fixed``: (verdict, detail, points)."""
    import sympy as sp

    try:
        a, b = a.xreplace(fixed).doit(), b.xreplace(fixed).doit()
    except (TypeError, ValueError, NotImplementedError, AttributeError, ZeroDivisionError):
        return None, "could not expand the sums for a numeric comparison", 0
    if a == b:
        return True, "written out", 0
    entries = a.atoms(sp.Indexed) | b.atoms(sp.Indexed)
    labels = {ix.base.label for ix in entries}
    free = a.free_symbols | b.free_symbols
    scalars = {s for s in free if isinstance(s, sp.Symbol) and s not in labels}
    unknowns = sorted(entries | scalars, key=str)
    agree = 0
    for _ in range(SAMPLES // 2):
        point = {u: sp.Float(float(rng.uniform(0.1, 0.9))) for u in unknowns}
        va, vb = _number(a, point), _number(b, point)
        if va is None or vb is None:
            continue
        if abs(va - vb) > RTOL * (1 + abs(vb)):
            shown = ", ".join(f"{k} = {float(v):.4g}" for k, v in {**fixed, **point}.items())
            return False, f"at {shown} (seed {seed}): {va:.6g} != {vb:.6g}", agree
        agree += 1
    if agree < 3:
        return None, "could not be evaluated at sampled points", agree
    return True, "sampled", agree


def _number(expr, point) -> float | None:
    """A real number, or None where ``expr`` is undefined, infinite or complex at ``point``."""
    import sympy as sp

    try:
        v = complex(sp.N(expr.xreplace(point)))
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf") or abs(v.imag) > 1e-9 * (1 + abs(v.real)):
        return None
    return v.real


def _index_vector(body, name: str, arg):
    """``h(x) = w^T x`` applied to ``x_i``: the entries ``x[j]`` become ``x[i, j]``."""
    import sympy as sp

    def entry(ix):
        if str(ix.base.label) != name:
            return ix
        if isinstance(arg, sp.Indexed):
            return sp.Indexed(arg.base, *arg.indices, *ix.indices)
        if isinstance(arg, sp.Symbol):
            return sp.Indexed(sp.IndexedBase(arg), *ix.indices)
        return ix

    return body.replace(lambda e: isinstance(e, sp.Indexed), entry)


def _evaluate(value):
    """Turn derivative notation into derivatives: ``dL/dw`` of an undefined L is L(w)'."""
    import sympy as sp

    def fix(d):
        expr = d.expr
        if isinstance(expr, (sp.Symbol, sp.Indexed)) and expr not in d.variables:
            name = (
                str(expr)
                if isinstance(expr, sp.Symbol)
                else "_".join(map(str, (expr.base.label, *expr.indices)))
            )
            expr = sp.Function(name)(*d.variables)
        return sp.Derivative(expr, *d.variable_count)

    # bound indices renamed first: d/dw_j of a sum over j must not capture the j
    value = _canon(value).replace(lambda e: isinstance(e, sp.Derivative), fix)
    try:
        return value.doit()
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return value


def _sample_point(expr, rng) -> dict:
    """Values for the symbols and indexed entries of ``expr`` (sums cut to 3 terms)."""
    import sympy as sp

    point = {}
    bounds = set()
    for s in expr.atoms(sp.Sum, sp.Product):
        for _var, lo, hi in s.limits:
            bounds |= lo.free_symbols | hi.free_symbols
    labels = {ix.base.label for ix in expr.atoms(sp.Indexed)}
    for sym in sorted(expr.free_symbols, key=str):
        if isinstance(sym, sp.Symbol) and sym not in labels:
            point[sym] = 3 if (sym in bounds or sym.is_integer) else float(rng.uniform(0.1, 0.9))
    return point


def _value(expr, point, rng=None) -> float | None:
    """``expr`` at ``point``; indexed entries (``x[1]``) get values from ``rng`` or their name."""
    import sympy as sp

    try:
        e = expr.xreplace(
            {k: sp.Integer(v) if isinstance(v, int) else sp.Float(v) for k, v in point.items()}
        )
        e = e.doit()
        entries = {}
        for idx in sorted(e.atoms(sp.Indexed), key=str):
            if rng is not None:
                entries[idx] = sp.Float(float(rng.uniform(0.1, 0.9)))
            else:  # the same value for the same entry on both sides of a comparison
                seed = sum(ord(c) * (k + 1) for k, c in enumerate(str(idx)))
                entries[idx] = sp.Float(0.1 + (seed * 0.6180339887) % 0.8)
        e = e.xreplace(entries)
        v = complex(sp.N(e))
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf") or abs(v.imag) > 1e-9 * (1 + abs(v.real)):
        return None
    return v.real


def _property(value, ctx: _Context) -> tuple[Status, str, str | None]:
    """A relation (``KL(P||Q) \\geq 0``): sampled, within the time bound, when computable."""
    from symml.timeouts import run_bounded

    if hasattr(value, "items"):
        return Status.UNCHECKED, "several relations (a system of conditions), not a claim", None
    parts = [_expand(p, ctx) for p in value.parts]
    return run_bounded(_property_parts, parts, tuple(value.ops), timeout=ctx.timeout)


def _property_parts(parts: list, ops: tuple) -> tuple[Status, str, str | None]:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    undefined = sorted(
        {f.func.__name__ for p in parts if isinstance(p, sp.Basic) for f in p.atoms(AppliedUndef)}
    )
    if undefined:
        return (
            Status.UNCHECKED,
            f"property not checked: {', '.join(undefined)} not defined (in the document "
            f"or the registry)",
            None,
        )
    free = set().union(*(getattr(p, "free_symbols", set()) for p in parts))
    if len(free) > 1 or any(isinstance(p, sp.MatrixExpr) for p in parts):
        return Status.UNCHECKED, "property not checked: a condition on several unknowns", None
    return _sample_relation(parts, ops)


def _sample_relation(parts, ops) -> tuple[Status, str, str | None]:
    import sympy as sp

    free = sorted(set().union(*(getattr(p, "free_symbols", set()) for p in parts)), key=str)
    grid = [-30.0, -5.0, -1.0, -0.3, 0.0, 0.3, 1.0, 5.0, 30.0] if free else [0.0]
    checks = {
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        r"\leq": lambda a, b: a <= b,
        r"\geq": lambda a, b: a >= b,
        r"\neq": lambda a, b: a != b,
    }
    tested = 0
    for x in grid:
        point = {free[0]: x} if free else {}
        values = [_value(sp.sympify(p), point) for p in parts]
        if any(v is None for v in values):
            continue
        tested += 1
        for (a, b), op in zip(zip(values, values[1:], strict=False), ops, strict=True):
            if op in checks and not checks[op](a, b):
                where = f"{free[0]} = {x:g}: " if free else ""
                return Status.REFUTED, f"property fails at {where}{a:.6g} {op} {b:.6g}", None
    if not tested:
        return Status.UNCHECKED, "property not checked: no point could be evaluated", None
    return Status.VERIFIED, f"property holds at {tested} sampled points", None


# --- the registry, and the claims of table rows

# Names too common to identify a registry entry by name alone (L, J, f, ...).
_GENERIC = re.compile(r"^([A-Za-z]|[A-Za-z]_\w+)$")


def _registry_definitions() -> list:
    from symml.errors import SymmlError
    from symml.registry import formulas

    try:
        entries = formulas()
    except SymmlError:
        return []
    out = []
    for f in entries:
        try:
            lhs = f.lhs
            head = _definition_head(lhs) if lhs is not None else None
            if head is None or hasattr(f.expr, "parts"):
                continue
            out.append((f.name, f.title, head[0], head[1], f.definition()))
        except SymmlError:
            continue  # an entry that does not load is the registry's test to report
    return out


def _canon(expr):
    """``expr`` with the bound variables of sums and integrals renamed in order of appearance."""
    import sympy as sp

    counter = iter(range(10_000))

    def rename(node):
        mapping = {}
        for limit in node.limits:
            var = limit[0]
            mapping[var] = sp.Symbol(f"_bound{next(counter)}", **var.assumptions0)
        return node.xreplace(mapping)

    try:
        return expr.replace(lambda n: isinstance(n, (sp.Sum, sp.Product, sp.Integral)), rename)
    except (TypeError, AttributeError):
        return expr


def _match_registry(
    name: str, params: tuple, body, ctx: _Context, title: str | None = None
) -> tuple[str | None, str]:
    """(registry name, note): the registry entry this definition is, or differs from."""
    import sympy as sp

    entries = ctx.registry()
    if not isinstance(body, sp.Basic):
        return None, ""
    canon = _canon(body)
    for rname, _title, _head, rparams, rbody in entries:
        if len(rparams) != len(params) or not isinstance(rbody, sp.Basic):
            continue
        renamed = canon.xreplace(_renaming(params, rparams, canon, rbody))
        if renamed == _canon(rbody):
            return rname, f"same as registry: {rname}"
    nodes = list(sp.preorder_traversal(body))
    for rname, rnodes in ctx.shapes():
        mapping = _parallel_renaming(nodes, rnodes)
        if mapping is not None:
            renames = ", ".join(f"{a} -> {b}" for a, b in mapping.items() if str(a) != str(b))
            how = f" (renaming {renames})" if renames else ""
            return rname, f"same as registry: {rname}{how}"
    for rname, rtitle, rhead, rparams, rbody in entries:
        same_name = not _GENERIC.match(name) and (rhead == name or rname == name.lower())
        same_title = bool(title) and title.lower() in {
            rname.replace("_", " "),
            rname,
            (rtitle or "").lower(),
        }
        if not (same_name or same_title):
            continue
        if len(rparams) != len(params):
            return rname, f"differs from registry: {rname} takes {len(rparams)} argument(s)"
        renamed = body.xreplace(_renaming(params, rparams, body, rbody))
        verdict, detail = _compare_bounded(renamed, rbody, ctx)
        if verdict is True:
            return rname, f"same as registry: {rname} (equivalent {detail})"
        if verdict is False:
            return rname, (
                f"differs from registry: {rname}: here {_short(renamed)}, registry "
                f"{_short(rbody)}; {detail}"
            )
        return None, f"registry {rname} has this name; not compared: {detail}"
    return None, "not in the registry"


def _parallel_renaming(nodes: list, rnodes: list) -> dict | None:
    """The renaming of symbols that turns one expression tree into the other, if any."""
    import sympy as sp

    if len(nodes) != len(rnodes):
        return None
    mapping: dict = {}
    for x, y in zip(nodes, rnodes, strict=True):
        if isinstance(x, sp.Symbol) and isinstance(y, sp.Symbol):
            if mapping.setdefault(x, y) != y:
                return None
        elif x.func != y.func or len(x.args) != len(y.args) or (x.is_Atom and x != y):
            return None
    if len(set(mapping.values())) != len(mapping):
        return None
    return mapping


def _renaming(params: tuple, rparams: tuple, body=None, rbody=None) -> dict:
    """Map a definition's parameters onto a registry entry's (``x`` onto ``z[i]``: bases).

    Other symbols map by name: the registry declares domains (``beta_t`` positive) that
    make its symbols different objects from the document's.
    """
    import sympy as sp

    mapping = {}
    if body is not None and rbody is not None:
        theirs_by_name = {str(t): t for t in rbody.free_symbols if isinstance(t, sp.Symbol)}
        for mine in body.free_symbols:
            if isinstance(mine, sp.Symbol) and str(mine) in theirs_by_name:
                mapping[mine] = theirs_by_name[str(mine)]
    for mine, theirs in zip(params, rparams, strict=True):
        if isinstance(theirs, sp.Indexed) and not isinstance(mine, sp.Indexed):
            mapping[sp.IndexedBase(mine)] = theirs.base
            mapping[mine] = theirs.base.label
        elif isinstance(theirs, sp.Indexed) and isinstance(mine, sp.Indexed):
            mapping[mine.base] = theirs.base
            mapping[mine.base.label] = theirs.base.label
        else:
            mapping[mine] = theirs
    return mapping


def _table_subject(found: Found):
    """The row's formula as a function of its one variable: (expr, variable)."""
    import sympy as sp

    expr = _parse(found.subject)
    if not isinstance(expr, sp.Expr):
        raise _Unparsed("the row's formula is not an expression")
    free = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=str)
    var = next((s for s in free if s.name == "x"), free[0] if free else sp.Symbol("x", real=True))
    return expr, var


def _match_expression(value, title: str, ctx: _Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    bases = {ix.base.label for ix in value.atoms(sp.Indexed)}
    free = sorted(
        (s for s in value.free_symbols if isinstance(s, sp.Symbol) and s not in bases), key=str
    )
    free = [s for s in free if not s.is_integer]
    if len(bases) == 1:
        params = (next(iter(bases)),)  # softmax over x_i: the vector is the argument
    else:
        params = tuple(s for s in free if s.name == "x")[:1] or tuple(free[:1])
    matched, note = _match_registry(title, params, value, ctx, title=title)
    return Status.OK, f"{title}: parsed; {note}", matched


def _range_claim(found: Found, ctx: _Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    expr, var = _table_subject(found)
    m = _INTERVAL.match(found.source)
    lo, hi = (
        sp.oo * (-1 if t.startswith("-") else 1) if t.strip("+-") in ("inf", "∞") else sp.Float(t)
        for t in (m.group(1), m.group(2))
    )
    text = found.source.strip()
    ops = [">" if text.startswith("(") else r"\geq", "<" if text.endswith(")") else r"\leq"]
    from symml.timeouts import run_bounded

    status, message, _ = run_bounded(_sample_bounds, expr, var, lo, hi, ops, timeout=ctx.timeout)
    return status, f"range of {found.title or 'the row formula'}: {message}", None


def _sample_bounds(expr, var, lo, hi, ops) -> tuple[Status, str, None]:
    import numpy as np

    rng = np.random.default_rng(SEED)
    grid = [-10.0, -3.0, -1.0, -0.3, 0.0, 0.3, 1.0, 3.0, 10.0]
    tested = 0
    for x in grid:
        point = _sample_point(expr, rng)
        point[var] = x
        v = _value(expr, point, rng)
        if v is None:
            continue
        tested += 1
        low_ok = v > lo if ops[0] == ">" else v >= lo
        high_ok = v < hi if ops[1] == "<" else v <= hi
        if not (bool(low_ok) and bool(high_ok)):
            return Status.REFUTED, f"at {var} = {x:g} the value is {v:.6g}, outside", None
    if not tested:
        return Status.UNCHECKED, "no sampled point could be evaluated", None
    return Status.VERIFIED, f"holds at {tested} sampled points ({var} from -10 to 10)", None


def _table_derivative(found: Found, ctx: _Context) -> tuple[Status, str, str | None]:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    expr, var = _table_subject(found)
    claim = _parse(found.latex)
    if not isinstance(claim, sp.Expr):
        raise _Unparsed("the derivative cell is not an expression")
    claim = claim.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "f",
        lambda e: expr.xreplace({var: e.args[0]}),
    )
    verdict, detail = _compare_bounded(sp.diff(expr, var), claim, ctx)
    what = f"derivative of {found.title or 'the row formula'}"
    if verdict is True:
        return Status.VERIFIED, f"{what} holds ({detail})", None
    if verdict is False:
        return Status.REFUTED, f"{what} is wrong: {detail}", None
    return Status.UNCHECKED, f"{what} not checked: {detail}", None


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
