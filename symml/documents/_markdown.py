"""Find the formulas of a Markdown document with markdown-it-py, with line and column.

The reader is the MyST / Jupyter Book stack: markdown-it-py (CommonMark, with tables and
front matter) and the mdit-py-plugins ``dollarmath`` (``$``, ``$$``) and ``amsmath``
(``\\begin{equation|align|gather|...}``) plugins, plus two inline rules of our own: for
``\\(...\\)`` and ``\\[...\\]``, as written or escaped the kramdown way (``\\\\( ... \\\\)``,
where Markdown turns ``\\\\`` into the one backslash MathJax reads), and for an environment
that starts inside a line of prose (``as \\begin{equation} ... \\end{equation} shows``),
which amsmath reads only at the start of a block and MathJax reads anywhere. So code
fences, inline code, HTML blocks and front matter are never read as math, and table cells
are.

markdown-it gives line ranges, not columns: each formula's column is found by searching
its delimiter and text in the source, from the end of the formula before it.

Broken blocks (a ``$$`` that swallows a heading, a rule, a fence or a blank line, or never
closes) are found first by :func:`symml.documents._extract.block`, as for LaTeX and
plain text; their lines are blanked before markdown-it reads the rest, so the rest is
found as if they were not there.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from symml.documents._extract import FENCE, block, rows
from symml.documents._model import Found
from symml.documents._plain import fence_formulas, is_code_equation, table_row
from symml.latex import plain_to_latex as to_latex

__all__ = ["extract_markdown"]

# (opener, closer, display): the longer (kramdown-escaped) openers first
_BRACKETS = (
    ("\\\\(", "\\\\)", False),
    ("\\\\[", "\\\\]", True),
    ("\\(", "\\)", False),
    ("\\[", "\\]", True),
)
# What kramdown unescapes in running text, so in a \\( ... \\) span: \\ -> \, \| -> |, ...
_KRAMDOWN_ESCAPE = re.compile(r"\\([\\.*_+><()\[\]{}#!:|\"'$=`-])")
_ALIGNED = re.compile(
    r"^\s*\\begin\{(align|aligned|alignat|gather|gathered|eqnarray|flalign|multline|split)\*?\}"
    r"(?:\{\d+\})?(.*)\\end\{\1\*?\}\s*$",
    re.S,
)
_EQUATION = re.compile(r"^\s*\\begin\{(equation|displaymath|math)\*?\}(.*)\\end\{\1\*?\}\s*$", re.S)


def _bracket_math(state, silent: bool) -> bool:
    """markdown-it inline rule: ``\\(...\\)``, ``\\[...\\]`` and their kramdown spellings."""
    src, pos = state.src, state.pos
    if src[pos] != "\\":
        return False
    for opener, closer, display in _BRACKETS:
        if not src.startswith(opener, pos):
            continue
        end = src.find(closer, pos + len(opener))
        if end < 0:
            return False
        if not silent:
            token = state.push("math_bracket", "math", 0)
            token.content = src[pos + len(opener) : end]
            token.markup = opener
            token.meta = {"display": display}
        state.pos = end + len(closer)
        return True
    return False


#: Environments MathJax typesets wherever they are: amsmath's, matrices and cases.
_ENVIRONMENTS = (
    "equation|align|alignat|gather|multline|flalign|eqnarray|displaymath|math|"
    "aligned|gathered|split|cases|matrix|pmatrix|bmatrix|Bmatrix|vmatrix|Vmatrix"
)
_BEGIN = re.compile(rf"\\begin\{{({_ENVIRONMENTS})(\*?)\}}")


def _environment_math(state, silent: bool) -> bool:
    """markdown-it inline rule: ``\\begin{env} ... \\end{env}`` inside a line of prose."""
    src, pos = state.src, state.pos
    if not src.startswith("\\begin{", pos):
        return False
    begin = _BEGIN.match(src, pos)
    if begin is None:
        return False
    closer = f"\\end{{{begin.group(1)}{begin.group(2)}}}"
    end = src.find(closer, begin.end())
    if end < 0:
        return False
    if not silent:
        token = state.push("math_environment", "math", 0)
        token.content = src[pos : end + len(closer)]
        token.markup = ""
        token.meta = {"display": True}
    state.pos = end + len(closer)
    return True


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.amsmath import amsmath_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(front_matter_plugin)
    md.use(dollarmath_plugin, allow_digits=False, allow_blank_lines=False, double_inline=True)
    md.use(amsmath_plugin)
    md.inline.ruler.before("escape", "math_bracket", _bracket_math)
    md.inline.ruler.before("escape", "math_environment", _environment_math)
    return md


class _Source:
    """The (masked) text with its line starts: offsets to 1-based (line, column)."""

    def __init__(self, lines: list[str]):
        self.text = "\n".join(lines)
        self.starts = [0]
        for line in lines:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.cursor = 0

    def position(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.starts, offset) - 1
        return k + 1, offset - self.starts[k] + 1

    def find(self, needle: str, line: int) -> int | None:
        """Offset of ``needle`` at or after 0-based ``line`` and the previous find."""
        start = max(self.cursor, self.starts[min(line, len(self.starts) - 1)])
        k = self.text.find(needle, start) if needle else -1
        if k < 0:
            return None
        self.cursor = k + max(1, len(needle))
        return k


def extract_markdown(text: str) -> list[Found]:
    """Every formula of a Markdown ``text``, in document order.

    Examples:
        >>> text = "Let \\\\\\\\( x^2 \\\\\\\\) be."
        >>> [(f.line, f.column, f.latex) for f in extract_markdown(text)]
        [(1, 5, 'x^2')]
    """
    lines = text.splitlines()
    found, lines = _broken_blocks(lines)
    source = _Source(lines)
    tokens = _parser().parse(source.text)
    for k, token in enumerate(tokens):
        if token.map is None:
            continue
        first = token.map[0]
        if token.type in ("math_block", "math_block_label"):
            found.extend(_display(token.content, "$$", first, source))
        elif token.type == "amsmath":
            found.extend(_display(token.content, "", first, source, kind="environment"))
        elif token.type == "fence" and not token.info.strip():
            if not _is_code(token.content):
                found.extend(fence_formulas(token.content.splitlines(), first + 2))
        elif token.type == "tr_open":
            line = lines[first]
            if "$" not in line and "\\(" not in line:
                found.extend(table_row(line, first + 1))
        elif token.type == "inline":
            in_table = k > 0 and tokens[k - 1].type in ("th_open", "td_open")
            found.extend(_inline(token, first, source, prose=not in_table))
    found.sort(key=lambda f: (f.line, f.column))
    return found


_CODE_LINE = re.compile(
    r"^\s*(#|//|>>>|import\b|from\s+\w+\s+import|def\b|class\b|for\b.*:\s*$|if\b.*:\s*$|"
    r"while\b|return\b|print\b|with\b.*:\s*$)|\w\.\w+\(|\bnp\.|==|^\s*\w+\s+\d+\s*:|"
    r"^\s*[A-Za-z_]+\s*\d*:\s*\S|\)\s*:\s*$|\w+\[[^\]]*\]\s*=|\bin\s+range\("
)


def _is_code(content: str) -> bool:
    """An unlabelled fence of code or program output (``import``, ``loss: 1.09``), not math."""
    lines = [line for line in content.splitlines() if line.strip()]
    code = sum(bool(_CODE_LINE.search(line)) for line in lines)
    return bool(lines) and code >= max(1, len(lines) // 4)


def _broken_blocks(lines: list[str]) -> tuple[list[Found], list[str]]:
    """The broken math blocks, and the lines with them blanked out."""
    broken: list[Found] = []
    masked = list(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            marker = fence.group(2)
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(marker):
                i += 1
            i += 1
            continue
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        opener = next(
            (
                (o, c)
                for o, c in (("$$", "$$"), ("\\\\[", "\\\\]"), ("\\[", "\\]"))
                if stripped.startswith(o) and c not in stripped[len(o) :]
            ),
            None,
        )
        if opener is None:
            i += 1
            continue
        out: list[Found] = []
        resume = block(lines, i, indent, opener[0], opener[1], out)
        problems = [f for f in out if f.problem]
        if problems:
            broken.extend(problems)
            for j in range(i, min(resume, len(lines))):
                masked[j] = ""
        i = max(resume, i + 1)
    return broken, masked


def _display(content: str, opener: str, first: int, source: _Source, kind: str = "display"):
    """A display block: one formula, or one per row of an align-like environment."""
    start = source.find(opener, first) if opener else None
    body = content
    aligned = _ALIGNED.match(content)
    equation = _EQUATION.match(content)
    if aligned or equation:
        body = (aligned or equation).group(2)
    stripped = body.strip()
    if not stripped:
        line, col = source.position(source.starts[first])
        return [Found(line, col, content, "", kind, problem="an empty math block")]
    at = source.find(stripped.splitlines()[0].strip(), first)
    if at is None:
        at = (start + len(opener)) if start is not None else source.starts[first]
    line, col = source.position(at)
    if aligned:
        return rows(stripped, line, col)
    return [Found(line, col, stripped, " ".join(stripped.split()), kind)]


def _inline(token, first: int, source: _Source, prose: bool) -> list[Found]:
    out: list[Found] = []
    for child in token.children or ():
        if child.type == "math_environment":
            out.extend(_inline_environment(child.content, first, source))
        elif child.type in ("math_inline", "math_inline_double", "math_bracket"):
            content = child.content
            opener = child.markup
            if opener.startswith("\\\\"):
                content = _KRAMDOWN_ESCAPE.sub(r"\1", content)
            display = child.type == "math_inline_double" or bool((child.meta or {}).get("display"))
            at = source.find(opener + child.content, first)
            if at is not None and display and child.content.lstrip(" \t").startswith("\n"):
                # $$ on a line of its own inside a paragraph: a display, found at its text
                at += len(opener) + len(child.content) - len(child.content.lstrip())
            if at is None:
                at = source.find(child.content.strip().split("\n")[0], first)
            line, col = source.position(at) if at is not None else (first + 1, 1)
            kind = "display" if display else "inline"
            if not content.strip():
                out.append(Found(line, col, child.content, "", kind, problem="an empty math span"))
                continue
            aligned = _ALIGNED.match(content)
            if aligned:
                out.extend(rows(aligned.group(2), line, col))
                continue
            out.append(Found(line, col, content.strip(), " ".join(content.split()), kind))
        elif child.type == "code_inline":
            at = source.find(child.content, first)
            # `$a = b$`, `\begin{equation}`: the source of math shown, not math
            shows_markup = any(m in child.content for m in ("$", "\\(", "\\begin{"))
            if prose and not shows_markup and is_code_equation(child.content) and at is not None:
                body = child.content
                line, col = source.position(at + len(body) - len(body.lstrip()))
                out.append(Found(line, col, body.strip(), to_latex(body.strip()), "code"))
    return out


def _inline_environment(content: str, first: int, source: _Source) -> list[Found]:
    """An environment found inside a line of prose: its formula (or rows), at its text."""
    at = source.find(content, first)
    aligned = _ALIGNED.match(content)
    equation = _EQUATION.match(content)
    match = aligned or equation
    body = match.group(2) if match else content
    if at is None:
        line, col = first + 1, 1
    else:  # the body's first character, as for a block environment
        offset = content.find(body) + len(body) - len(body.lstrip()) if match else 0
        line, col = source.position(at + offset)
    if not body.strip():
        return [Found(line, col, content, "", "environment", problem="an empty math block")]
    if aligned:
        return rows(body.strip(), line, col)
    return [Found(line, col, body.strip(), " ".join(body.split()), "environment")]
