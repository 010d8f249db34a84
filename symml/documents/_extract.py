"""Find the formulas of a Markdown/LaTeX/plain-text document, with their positions.

:func:`extract` is the first stage of :func:`symml.documents._check.check_document`: every
formula becomes a :class:`~symml.documents._model.Found` with its 1-based line and column. Math
delimiters, environments and broken blocks are read here; formulas written as plain text
(table cells, unlabelled fences, backtick equations) by :mod:`symml.documents._plain`.

What counts as a formula is listed in :mod:`symml.documents._check`.

A broken block (a ``$$`` that never closes, that swallows a heading, a ``---`` rule or a
blank paragraph, or that is empty) is reported at the line that opened it; extraction
resumes at the line that broke it, so the rest of the document is found as if the block
were not there.
"""

from __future__ import annotations

import re
from dataclasses import replace

from symml.documents._model import Found
from symml.documents._plain import fence_formulas, is_code_equation, table_row
from symml.latex import plain_to_latex as to_latex

__all__ = ["extract_scan"]


FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_RULE = re.compile(r"^\s{0,3}(-{3,}|\*{3,}|_{3,})\s*$")
_BEGIN = re.compile(r"\\begin\{((?:equation|align|gather|multline|eqnarray|flalign)\*?)\}")
_ALIGNED_ENVS = ("align", "gather", "multline", "eqnarray", "flalign")


def extract_scan(text: str) -> list[Found]:
    """Every formula of a LaTeX or plain-text ``text``, in document order (line by line).

    Examples:
        >>> [(f.line, f.latex) for f in extract_scan("Let $x^2$ be.\\n$$\\na = b\\n$$")]
        [(1, 'x^2'), (3, 'a = b')]
    """
    lines = text.splitlines()
    found: list[Found] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            i = _fence(lines, i, fence, found)
            continue
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("$$") and "$$" not in stripped[2:]:
            i = block(lines, i, indent, "$$", "$$", found)
            continue
        if stripped.startswith("\\[") and "\\]" not in stripped[2:]:
            i = block(lines, i, indent, "\\[", "\\]", found)
            continue
        begin = _BEGIN.match(stripped)
        if begin and f"\\end{{{begin.group(1)}}}" not in stripped:
            env = begin.group(1)
            i = block(lines, i, indent, begin.group(0), f"\\end{{{env}}}", found, env=env)
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
        found.extend(fence_formulas(lines[i + 1 : j], i + 2))
    return j + 1


def block(
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

    def broken(problem: str) -> Found:
        return Found(i + 1, start_col, lines[i].strip(), "", "display", problem=problem)

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
        elif FENCE.match(line):
            problem = f"the code fence at line {j + 1} is inside the block"
        if problem:
            content = "\n".join(parts).strip()
            what = "an empty" if not content else "an unterminated"
            closed = _closer_after_blank(lines, j, closer) if content and not line.strip() else None
            if closed is not None:
                # a block split by a blank line and closed below: one broken block, so that
                # its closing line is not read as the opening of another
                split = f"a {opener} block split by the blank line {j + 1}"
                why = "Markdown ends the math at the blank line"
                found.append(broken(f"{split} (closed at line {closed + 1}): {why}"))
                return closed + 1
            found.append(
                broken(f"{what} {opener} block: {problem} (no closing {closer} before it)")
            )
            return j
        k = line.find(closer)
        if k >= 0:
            parts.append(line[:k])
            content = "\n".join(parts)
            if not content.strip():
                found.append(broken(f"an empty {opener} block (closed at line {j + 1})"))
            elif env and env.rstrip("*") in _ALIGNED_ENVS:
                found.extend(rows(content, i + 1, start_col + len(opener)))
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
    end = "before the end of the document"
    found.append(broken(f"an unterminated {opener} block: no closing {closer} {end}"))
    return j


def _closer_after_blank(lines: list[str], j: int, closer: str) -> int | None:
    """The line that closes a block after the blank line ``j``, if no structure comes first."""
    for k in range(j + 1, len(lines)):
        line = lines[k]
        if _HEADING.match(line) or _RULE.match(line) or FENCE.match(line) or not line.strip():
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


def rows(content: str, line: int, col: int) -> list[Found]:
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
    return _continued(out)


_ENV = re.compile(r"\\(begin|end)\{[^}]*\}")


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
        env = _ENV.match(text, k)
        if env:  # a matrix inside a row: its \\ are its own
            depth += 1 if env.group(1) == "begin" else -1
            k = env.end()
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


_RELATION_START = re.compile(r"^\s*(=|\\approx|\\leq?|\\geq?|<|>)")


def _continued(rows: list[Found]) -> list[Found]:
    """An align row that starts with ``=`` continues the row above: ``a = b`` then ``= c``
    becomes the step ``b = c`` (its position kept), so a derivation is checked step by step."""
    out: list[Found] = []
    for found in rows:
        if out and _RELATION_START.match(found.latex):
            last = _last_side(out[-1].latex)
            if last:
                found = replace(found, latex=f"{last} {found.latex}")
        out.append(found)
    return out


def _last_side(latex: str) -> str:
    """The text after the last top-level ``=`` (or relation) of ``latex``."""
    depth, cut = 0, -1
    for k, ch in enumerate(latex):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth == 0 and ch in "=<>" and latex[k - 1 : k] not in ("<", ">", "!", "\\"):
            cut = k
    return latex[cut + 1 :].strip() if cut >= 0 else latex.strip()


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
            out.extend(rows(body, lineno, m.start(group) + 1))
            continue
        out.append(Found(lineno, m.start() + 1, body.strip(), " ".join(body.split()), kind))
    if line.lstrip().startswith("|") and "$" not in line:
        out.extend(table_row(line, lineno))
    for m in _CODE.finditer(line):
        body = m.group(2)
        if is_code_equation(body):
            start = m.start(2) + len(body) - len(body.lstrip())
            out.append(Found(lineno, start + 1, body.strip(), to_latex(body.strip()), "code"))
    out.sort(key=lambda f: f.column)
    return out
