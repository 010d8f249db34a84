"""Tokens of LaTeX math, with their columns.

The tokenizer is deliberately small: LaTeX math is a sequence of single letters, numbers,
commands (``\\frac``) and punctuation. Spacing commands are dropped here so the grammar in
``symml.latex._grammar`` never sees them; the token after an explicit space (``\\,``, ``\\;``)
carries ``spaced``, since the author typed it to set factors apart (``\\sin x\\,(1+x)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from symml.errors import ParseError
from symml.latex._limits import MAX_LITERAL_DIGITS

# Longest inputs we accept: a formula of a document is a few hundred characters (the longest
# in the registry and the documents is under 300); 5 000 leaves room for generated input
# while keeping the parser's worst case (long flat sums and products) well under a second.
MAX_LENGTH = 5_000

SPACING = frozenset(
    {
        r"\,",
        r"\;",
        r"\:",
        r"\!",
        r"\ ",
        r"\quad",
        r"\qquad",
        r"\displaystyle",
        r"\textstyle",
        r"\scriptstyle",
        r"\limits",
        r"\nolimits",
        r"\nonumber",
        r"\notag",
        r"\big",
        r"\Big",
        r"\bigg",
        r"\Bigg",
        r"\bigl",
        r"\bigr",
        r"\Bigl",
        r"\Bigr",
        r"\biggl",
        r"\biggr",
        r"\middle",
        r"\left.",
        r"\right.",
        r"\enspace",
        r"\thinspace",
        r"\medspace",
        r"\thickspace",
        r"\negthinspace",
        r"\negmedspace",
        r"\negthickspace",
    }
)

# Spaces an author types to set two factors apart: after ``\sin x\,`` the argument has ended.
# (\! is a negative space; \quad and \qquad are tokens of their own.)
SEPARATING_SPACES = frozenset(
    {
        r"\,",
        r"\;",
        r"\:",
        r"\ ",
        r"\enspace",
        r"\thinspace",
        r"\medspace",
        r"\thickspace",
    }
)

# Separators that split an aligned row into several equations ("a = b, \quad c = d").
ROW_SPACERS = frozenset({r"\quad", r"\qquad"})


# ASCII only: str.isdigit() also accepts "²" and Arabic-Indic digits.
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class Token:
    kind: str  # "cmd", "letter", "num", "op", "text", "end"
    value: str
    col: int
    space_before: bool = False
    spaced: bool = False  # an explicit space (\, \; \: ~) stands before it


# C0/C1 controls other than tab and line ends, zero-width and bidi controls, BOM, separators.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def conjunction(t: Token) -> str | None:
    """``and`` / ``or`` when ``t`` is the prose word ``\\text{ and }``, else None."""
    if t.kind != "text":
        return None
    word = t.value.partition("{")[2][:-1].strip().strip(",").strip()
    return word if word in ("and", "or") else None


def check_length(text: str) -> None:
    """Refuse input beyond MAX_LENGTH before any other work is done on it."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input is too long ({len(text)} characters, limit {MAX_LENGTH})", None)


def tokenize(text: str) -> list[Token]:
    """Split LaTeX math into tokens; raise ParseError on characters with no meaning."""
    check_length(text)
    bad = _INVISIBLE.search(text)
    if bad:  # also inside \text{...}: a NUL or a bidi override must not reach a name
        ch = bad.group()
        raise ParseError(
            f"unexpected character U+{ord(ch):04X} (a control or format character)",
            text,
            bad.start(),
        )
    out: list[Token] = []
    spaced: set[int] = set()  # the tokens after an explicit space
    i, n = 0, len(text)
    space = False
    while i < n:
        ch = text[i]
        if ch in " \t\r\n\u00a0\u2009\u202f":  # no-break and thin spaces pasted from the web
            space = True
            i += 1
            continue
        if ch == "%":  # a TeX comment runs to the end of the line
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch == "\\" and (m := _AMOUNT.match(text, i)):  # \$1,000.50: an amount is its number
            if len(m.group(1)) > MAX_LITERAL_DIGITS:
                raise ParseError(f"a number with {len(m.group(1))} digits", text, i)
            out.append(Token("num", m.group(1).replace(",", ""), i, space))
            space = False
            i = m.end()
            continue
        if ch == "\\":
            j = i + 1
            if j < n and text[j].isalpha() and text[j].isascii():
                while j < n and text[j].isalpha() and text[j].isascii():
                    j += 1
                name = text[i:j]
            elif j < n:
                name = text[i : j + 1]
                j += 1
            else:
                raise ParseError("a lone backslash", text, i)
            name = ALIASES.get(name, name)
            if name in (r"\left", r"\right") and j < n and text[j] == ".":
                j += 1
                name += "."
            if name in (
                r"\text",
                r"\textrm",
                r"\mbox",
                r"\textit",
                r"\textbf",
                r"\mathrm",
                r"\operatorname",
                r"\mathit",
                r"\textnormal",
            ):
                body, j2 = _braced_text(text, j, name, i)
                if body is not None:
                    out.append(Token("text", name + "{" + body + "}", i, space))
                    space = False
                    i = j2
                    continue
            if name in SPACING and name not in ROW_SPACERS:
                space = True
                if name in SEPARATING_SPACES:
                    spaced.add(len(out))
                i = j
                continue
            if name in OP_ALIASES:  # \div is /, \vert is |
                out.append(Token("op", OP_ALIASES[name], i, space))
            else:
                out.append(Token("cmd", name, i, space))
            space = False
            i = j
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            script = bool(out) and out[-1].kind == "op" and out[-1].value in ("^", "_")
            value, j = read_number(text, i, script)
            out.append(Token("num", value, i, space))
            space = False
            i = j
            continue
        if ch.isascii() and ch.isalpha():
            out.append(Token("letter", ch, i, space))
            space = False
            i += 1
            continue
        if ch in "+-*/^_()[]{}|,;:=<>!'&.~":
            if ch == "~":  # a non-breaking space
                space = True
                spaced.add(len(out))
                i += 1
                continue
            if ch == "!" and i + 1 < n and text[i + 1] == "=":  # a != b is a \neq b
                out.append(Token("cmd", r"\neq", i, space))
                i += 2
            elif ch == "|" and i + 1 < n and text[i + 1] == "|":
                out.append(Token("op", "||", i, space))
                i += 2
            else:
                out.append(Token("op", ch, i, space))
                i += 1
            space = False
            continue
        if ch in UNICODE_COMMANDS:
            value = UNICODE_COMMANDS[ch]
            out.append(Token("cmd" if value.startswith("\\") else "op", value, i, space))
            space = False
            i += 1
            continue
        raise ParseError(f"unexpected character {ch!r} (U+{ord(ch):04X})", text, i)
    out.append(Token("end", "", n, space))
    for k in spaced:
        out[k] = replace(out[k], spaced=True)
    return out


# Spellings of commands the grammar knows under another name.
ALIASES = {
    r"\mleft": r"\left",
    r"\mright": r"\right",
    r"\Vert": r"\|",
    r"\longrightarrow": r"\rightarrow",
    r"\Longrightarrow": r"\Rightarrow",
}
OP_ALIASES = {r"\div": "/", r"\vert": "|"}

# What may stand between two groups of three digits (1\,000 000): TeX's thin space and spaces.
_GROUP_SEPARATOR = re.compile(r"(?:[ \t\u00a0\u2009\u202f~]|\\,|\\ |\\thinspace(?![A-Za-z]))+")
_EXPONENT = re.compile(r"[eE][+-]?[0-9]+")
_AMOUNT = re.compile(
    r"\\\$\s*([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?![0-9,])"
)


def read_number(text: str, i: int, script: bool = False) -> tuple[str, int]:
    """The number that starts at ``i`` (as a plain decimal string) and where it ends.

    ``1\\,000`` and ``1 000`` are one thousand (digit groups of three after one to three
    digits), ``2.5E2`` and ``1e-3`` are scientific notation. ``1.1.1`` and two numbers with only
    a space between them (``2 3``, which TeX prints as 23) are refused, not multiplied. A
    number right after ``^`` or ``_`` (``\\log_2 8``) is a script: the next number is apart.
    """
    n = len(text)
    j = i
    while j < n and text[j] in _DIGITS:
        j += 1
    digits = text[i:j]
    if 1 <= len(digits) <= 3 and not script:
        while (m := _GROUP_SEPARATOR.match(text, j)) and _group_of_three(text, m.end()):
            digits += text[m.end() : m.end() + 3]
            j = m.end() + 3
    fraction = ""
    if j + 1 < n and text[j] == "." and text[j + 1] in _DIGITS:
        k = j + 1
        while k < n and text[k] in _DIGITS:
            k += 1
        fraction, j = text[j + 1 : k], k
        if j + 1 < n and text[j] == "." and text[j + 1] in _DIGITS:
            raise ParseError("a number with two decimal points", text, i)
    value = digits + ("." + fraction if fraction else "")
    if (m := _EXPONENT.match(text, j)) is not None:
        exponent = int(m.group()[1:])
        if abs(exponent) > MAX_LITERAL_DIGITS:
            raise ParseError(f"a number with exponent {exponent} (too large)", text, i)
        value = format(Decimal(value + "e" + str(exponent)), "f")
        j = m.end()
    if len(value) > MAX_LITERAL_DIGITS:
        raise ParseError(f"a number with {len(value)} digits (limit {MAX_LITERAL_DIGITS})", text, i)
    m = None if script else _GROUP_SEPARATOR.match(text, j)
    if m and m.end() < n and text[m.end()] in _DIGITS:
        raise ParseError(
            "two numbers with only a space between them (TeX prints them as one number); "
            "write \\cdot or \\times for a product, or group digits by three",
            text,
            m.end(),
        )
    return value, j


def _group_of_three(text: str, k: int) -> bool:
    return (
        len(text) >= k + 3
        and all(c in _DIGITS for c in text[k : k + 3])
        and (k + 3 == len(text) or text[k + 3] not in _DIGITS)
    )


def _braced_text(text: str, j: int, name: str, start: int) -> tuple[str | None, int]:
    """Read ``{...}`` after a text command; nested braces allowed."""
    while j < len(text) and text[j] == " ":
        j += 1
    if j >= len(text) or text[j] != "{":
        return None, j
    depth = 0
    k = j
    while k < len(text):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[j + 1 : k], k + 1
        k += 1
    raise ParseError(f"unbalanced braces after {name}", text, start)


# A few Unicode symbols that appear in LaTeX written by hand; everything else is an error.
UNICODE_COMMANDS = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "ε": r"\epsilon",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "π": r"\pi",
    "σ": r"\sigma",
    "φ": r"\phi",
    "η": r"\eta",
    "ξ": r"\xi",
    "ρ": r"\rho",
    "τ": r"\tau",
    "ω": r"\omega",
    "Σ": r"\Sigma",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "∞": r"\infty",
    "≤": r"\leq",
    "≥": r"\geq",
    "≠": r"\neq",
    "·": r"\cdot",
    "×": r"\times",
    "∂": r"\partial",
    "∇": r"\nabla",
    "√": r"\sqrt",
    "⊙": r"\odot",
    "∈": r"\in",
    "∼": r"\sim",
    "≈": r"\approx",
    "−": "-",
}
